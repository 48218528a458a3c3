import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import {
  type BuildOptions,
  buildDataset,
  type GateRunResult,
  GateSetupError,
  type NoticeFloor,
} from './build.ts';
import { hashFile, textLines } from './line-files.ts';
import type { LoadedPolicy } from './policy.ts';
import type { GateRegistry } from './registry-port.ts';

/**
 * `veto dataset import`: a dataset built by the platform's own engine (the SQL of
 * `veto policy sql`, docs/scale.md) is taken in only if the gate, run on it against the same
 * snapshot, keeps every record of it unchanged. The records are re-judged by the gate's own
 * code, so nothing the other engine did is trusted: objectors as authors and as mentions, the
 * policy's rules, UTF-8 and JSON (a bad line is `malformed`), redaction (a record the policy
 * would still redact is refused: run `veto redact` first). Unique ids and the folder's
 * `SHA256SUMS` are checked here. Then the build's own steps run as for any dataset: the notice
 * period and the objections received since the snapshot remove what they must, the dataset is
 * recorded with its inclusion index (removals and "Am I in the dataset?" cover it) and sealed.
 */
export interface ImportOptions {
  /** The folder of the other engine's output: JSONL or Parquet files and a `SHA256SUMS`. */
  dir: string;
  policy: string | LoadedPolicy;
  /** The snapshot the other engine filtered against (its Parquet twin has the same id and hash). */
  snapshot: string;
  /** Imports always need the live registry: the late checks and the inclusion index. */
  registry: GateRegistry;
  outDir: string;
  datasetId?: string;
  workers?: number;
  pseudonymKey?: string;
  /** The current VRF key: the imported dataset commits its subjects (`BuildOptions.exclusionKey`). */
  exclusionKey?: BuildOptions['exclusionKey'];
  /** The terms key: the imported dataset commits to the terms objections the gate applied. */
  termsKey?: BuildOptions['termsKey'];
  /** The notice-period floor (see `BuildOptions.noticeFloor`). */
  noticeFloor?: NoticeFloor;
  /** Seal without a recorded assessment (see `BuildOptions.withoutAssessment`). */
  withoutAssessment?: string | undefined;
  onProgress?: BuildOptions['onProgress'];
  now?: () => Date;
}

/** The checksum list an imported folder must carry (`sha256sum *.jsonl > SHA256SUMS`). */
export const SUMS_FILE = 'SHA256SUMS';
/** How many refused records an error names before it says "and N more". */
const NAMED = 10;

/** Why an imported folder was refused: each problem as `file:line: why`. */
export class ImportRefusedError extends Error {
  override name = 'ImportRefusedError';
  constructor(readonly problems: string[]) {
    super(`import refused:\n  ${problems.join('\n  ')}`);
  }
}

/**
 * The data files of `dir`, checked against its `SHA256SUMS`: every data file listed, every
 * listed file present with that hash (a partial copy of an engine's output is refused).
 */
export async function checkedImportFiles(
  dir: string,
): Promise<{ files: string[]; sumsSha256: string }> {
  const sumsPath = join(dir, SUMS_FILE);
  let sumsText: string;
  try {
    sumsText = await readFile(sumsPath, 'utf8');
  } catch {
    throw new GateSetupError(
      `${sumsPath}: missing; list every data file's sha256 in it (cd ${dir} && sha256sum *.jsonl > ${SUMS_FILE})`,
    );
  }
  const listed = new Map<string, string>();
  const problems: string[] = [];
  sumsText.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    // sha256sum's format: hash, two spaces (or space and '*' for binary mode), the name.
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m) {
      problems.push(`${sumsPath}:${i + 1}: not "SHA256  NAME"`);
      return;
    }
    const name = m[2]!;
    if (name.includes('/') || name === '.' || name === '..') {
      problems.push(`${sumsPath}:${i + 1}: ${name}: name a file of the folder itself`);
    } else if (listed.has(name)) {
      problems.push(`${sumsPath}:${i + 1}: ${name}: listed twice`);
    } else listed.set(name, m[1]!);
  });
  const entries = (await readdir(dir)).sort();
  const data = entries.filter((f) =>
    ['.jsonl', '.ndjson', '.json', '.parquet'].includes(extname(f)),
  );
  for (const f of data) if (!listed.has(f)) problems.push(`${join(dir, f)}: not in ${SUMS_FILE}`);
  for (const [name, sha256] of listed) {
    const path = join(dir, name);
    try {
      if (!(await stat(path)).isFile()) throw new Error('not a file');
    } catch {
      problems.push(`${path}: listed in ${SUMS_FILE} but missing`);
      continue;
    }
    if (!data.includes(name)) {
      problems.push(`${path}: not a data file (.jsonl, .ndjson, .json or .parquet)`);
      continue;
    }
    const actual = (await hashFile(path)).sha256;
    if (actual !== sha256) problems.push(`${path}: sha256 ${actual}, ${SUMS_FILE} says ${sha256}`);
  }
  if (problems.length > 0) throw new ImportRefusedError(problems);
  if (data.length === 0) throw new GateSetupError(`${dir}: no data files (.jsonl or .parquet)`);
  return {
    files: data.map((f) => join(dir, f)),
    sumsSha256: createHash('sha256').update(sumsText).digest('hex'),
  };
}

/**
 * Imports the folder as a dataset. Throws {@link ImportRefusedError} for a folder whose files
 * do not match their sums; returns `failed` (nothing sealed or recorded) when a record is
 * refused, with every refused record named up to ten.
 */
export async function importDataset(options: ImportOptions): Promise<GateRunResult> {
  const dir = resolve(options.dir);
  const { files, sumsSha256 } = await checkedImportFiles(dir);
  return buildDataset({
    policy: options.policy,
    inputs: files,
    outDir: options.outDir,
    objectors: { snapshot: options.snapshot },
    registry: options.registry,
    workers: options.workers,
    datasetId: options.datasetId,
    pseudonymKey: options.pseudonymKey,
    ...(options.exclusionKey ? { exclusionKey: options.exclusionKey } : {}),
    ...(options.termsKey ? { termsKey: options.termsKey } : {}),
    noticeFloor: options.noticeFloor,
    withoutAssessment: options.withoutAssessment,
    onProgress: options.onProgress,
    now: options.now,
    origin: { kind: 'import', dir, sha256sums: sumsSha256 },
    async afterJudging(judged) {
      const problems: string[] = [];
      let refused = 0;
      const ids = new Map<string, string>();
      let duplicates = 0;
      for await (const lines of textLines(judged.decisions)) {
        for (const row of lines) {
          if (row === '' || row.startsWith('input\t')) continue;
          const [input, line, reason, ...rest] = row.split('\t');
          const where = `${judged.inputs[Number(input)]}:${line}`;
          const id = rest.join('\t');
          // A repeated id is named as such (the build excluded the later copies as duplicate-id).
          if (reason !== 'kept' && reason !== 'duplicate-id') {
            if (++refused <= NAMED)
              problems.push(
                `${where}: record ${JSON.stringify(id)}: the policy drops it (${reason})`,
              );
            continue;
          }
          const first = ids.get(id);
          if (first !== undefined) {
            if (++duplicates <= NAMED)
              problems.push(`${where}: record id ${JSON.stringify(id)} again (first at ${first})`);
          } else ids.set(id, where);
        }
      }
      if (refused > NAMED) problems.push(`and ${refused - NAMED} more records the policy drops`);
      if (duplicates > NAMED) problems.push(`and ${duplicates - NAMED} more repeated ids`);
      if (judged.redactedRecords > 0) {
        problems.push(
          `${judged.redactedRecords} records still hold what the policy redacts: run veto redact on them first`,
        );
      }
      if (problems.length > 0) throw new ImportRefusedError(problems);
    },
  });
}
