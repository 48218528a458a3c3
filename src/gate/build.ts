import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { appendFile, copyFile, mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { uuidv7 } from '../lib/ids.ts';
import { readFilterFile } from '../registry-files/filter-file.ts';
import { RegistryFileError } from '../registry-files/registry-file-error.ts';
import type { SnapshotAnchor } from '../registry-files/snapshot-anchor.ts';
import {
  readSnapshotAnchor,
  type SnapshotMeta,
  scanSnapshotFile,
} from '../registry-files/snapshot-file.ts';
import { openCheckpoint } from '../transparency/checkpoint.ts';
import type { VrfPrivateKey } from '../transparency/rsa-fdh-vrf.ts';
import { NoteError, type Verifier } from '../transparency/signed-note.ts';
import { preloadLanguageDetector, sampleContentLanguages } from './content-languages.ts';
import {
  closeBuildJournal,
  crashPoint,
  journalPath,
  openBuildJournal,
  syncDir,
  syncStagedFiles,
} from './dataset-recovery.ts';
import { formatVerifyReport, type VerifyReport, verifyDataset } from './dataset-verify.ts';
import { DecisionIds, excludeDuplicateIds } from './duplicate-ids.ts';
import { commitExclusion } from './exclusion-commitment.ts';
import { INCLUSIONS_HEADER, readInclusionFile } from './inclusion-file.ts';
import type { BatchResult, JudgeConfig } from './judge.ts';
import { KeptAuthorsNoticeCheck } from './kept-authors-notice.ts';
import { HashedWriter, hashFile } from './line-files.ts';
import {
  type DatasetAnchor,
  type DatasetManifest,
  MANIFEST_FORMAT,
  manifestText,
} from './manifest.ts';
import { namedObjectorTerms, readNamesFile } from './named-subjects.ts';
import {
  hashSnapshotChunk,
  type KeyHashes,
  ObjectorFilter,
  type ObjectorSetDescriptor,
  ObjectorTable,
  objectorSetFrom,
} from './objector-set.ts';
import { type LoadedPolicy, loadPolicy } from './policy.ts';
import { emptyCounts, REASONS, type Reason, type ReasonCounts } from './reasons.ts';
import { checkMapping, type FieldMapping, mappedName } from './record-fields.ts';
import type { GateRegistry } from './registry-port.ts';
import { removeSubjects, type StagedFiles } from './removal.ts';
import { commitTerms } from './terms-leaves.ts';
import { verificationOf } from './verification-outcome.ts';
import { WorkerPool } from './worker-pool.ts';

/** Where the objector set of a run comes from: a snapshot file (exact) or a filter file. */
export type ObjectorSource = { snapshot: string } | { filter: string };

export interface BuildOptions {
  /** Policy file (YAML or JSON), or a policy already loaded with `loadPolicy`. */
  policy: string | LoadedPolicy;
  /** Content exports, judged in this order. `.parquet` files are Parquet, others JSONL. */
  inputs: string[];
  /** Parent folder: the dataset is sealed as `<outDir>/<datasetId>/`. */
  outDir: string;
  objectors: ObjectorSource;
  /**
   * The live registry: re-check before sealing, inclusion index, notice hook. Without it the run
   * fails at setup unless `offline` is set; an offline manifest says the re-check was not done.
   */
  registry?: GateRegistry;
  offline?: boolean;
  /** Worker threads; 0 judges on the main thread. Default: available cores. */
  workers?: number;
  mapping?: FieldMapping;
  /**
   * A names file (JSONL: `account_id`, `handles`, `display_names`): texts naming an account by
   * one of them name it as `mentions` would (docs/gate.md "Named objectors").
   */
  names?: string;
  outputFormat?: 'jsonl' | 'parquet';
  datasetId?: string;
  /**
   * The operator's pseudonym key, for a policy whose redaction mode is `pseudonym` (at least 32
   * characters; the CLI reads VETO_PSEUDONYM_KEY or --pseudonym-key-file). Each dataset gets its
   * own key derived from it, so a person's pseudonym is the same throughout one dataset and
   * differs from one dataset to the next. Never written anywhere.
   */
  pseudonymKey?: string;
  /**
   * The deployment's VRF key: with it the manifest commits to who is in the dataset
   * (`exclusion`, docs/transparency.md), without it the dataset has no such commitment.
   */
  exclusionKey?: VrfPrivateKey;
  /**
   * The transparency log's verifier keys (current and previous), for an offline build: the
   * snapshot or filter file's anchor must be signed by one of them, else the build is refused.
   * Without them the anchor is copied unchecked, and the manifest says so.
   */
  logKeys?: readonly Verifier[];
  /**
   * The deployment's terms key (`termsKey(VETO_SECRET)`): with it and a registry, the manifest
   * commits to which terms objections (people without an account) the redaction step applied
   * (`terms`, docs/transparency.md); without it the dataset has no such commitment.
   */
  termsKey?: Uint8Array;
  /**
   * The shortest notice period a policy may ask for (`notice.minimumDays`): by default
   * {@link DEFAULT_NOTICE_FLOOR_DAYS}; a deployment lowers it only by an explicit setting
   * (`VETO_NOTICE_FLOOR_DAYS`, which the CLI logs), named in the manifest as its source.
   */
  noticeFloor?: NoticeFloor;
  /**
   * Build although no legitimate-interest assessment is recorded for the policy version: the
   * setting that allowed it (`VETO_BUILD_WITHOUT_ASSESSMENT`), named in the manifest. Without it
   * such a build is refused before any record is read.
   */
  withoutAssessment?: string;
  /**
   * Where the build journals its sealing (`<data dir>/builds`, see dataset-recovery.ts): with a
   * registry, a crash at any step leaves an entry that `serve` and `veto dataset recover` finish
   * or undo. Without one (offline, or embedders), nothing is recorded in a registry to repair.
   */
  journalDir?: string;
  /**
   * Seal a dataset even when the export holds no valid record (empty, blank lines only, or
   * nothing but malformed lines). Off by default: such a run fails and seals nothing, since an
   * export that yields nothing is far more often a wrong file than an empty platform.
   */
  allowEmpty?: boolean;
  /** Bytes per batch sent to a worker (default 1 MiB); records are judged alone, so no output depends on it. */
  batchBytes?: number;
  onProgress?: (progress: GateProgress) => void;
  progressIntervalMs?: number;
  now?: () => Date;
  /**
   * Called once every record is judged, before the registry's checks: a caller that accepts
   * only some outcomes (`veto dataset import` accepts a dataset only if the gate keeps every
   * record of it unchanged) throws here, and nothing is sealed.
   */
  afterJudging?: (judged: JudgedRun) => Promise<void>;
  /**
   * Judges the records elsewhere (the JetStream runner, `jetstream-runner.ts`): called instead of
   * the local judging with the judge's configuration and the staged files to fill, in input
   * order and byte for byte what the local judging writes. Everything before (setup, objector
   * set) and after (notice period, late objections, recording, sealing) is this function's.
   */
  judgeElsewhere?: (stage: JudgeStage) => Promise<JudgeStageResult>;
  /**
   * Remove a staging folder left by an earlier build of the same dataset id that died (the
   * JetStream runner's `--resume`); only when no other build of that id is running.
   */
  replaceStaging?: boolean;
  /** Recorded in the manifest: where the records came from, when not from the platform's export. */
  origin?: DatasetManifest['origin'];
}

/** What {@link BuildOptions.judgeElsewhere} is given. */
export interface JudgeStage {
  datasetId: string;
  config: JudgeConfig;
  policy: LoadedPolicy;
  objectors: ObjectorSource;
  /** The dataset's staging folder, gone once the build ends (sealed or not). */
  staging: string;
  /** The parent folder of the dataset: shard outputs go under it. */
  outDir: string;
  /** The staged files, headers written: append each shard's rows in order. */
  writers: {
    data: HashedWriter;
    inclusions: HashedWriter;
    decisions: HashedWriter;
    rejects: HashedWriter;
  };
  /** Adds judged bytes and decisions to the build's progress. */
  progress(bytes: number, counts: readonly number[]): void;
}

export interface JudgeStageResult {
  kept: number;
  blankLines: number;
  redacted: number;
  inputs: DatasetManifest['inputs'];
  /** The ids of every decision row appended, if the stage hashed them: else the log is read back. */
  decisionIds?: DecisionIds;
}

/** What {@link BuildOptions.afterJudging} is shown: the staged files and the counts so far. */
export interface JudgedRun {
  /** The input paths in the order of `decisions.tsv`'s `input` column. */
  inputs: string[];
  /** The staged `decisions.tsv`: `input\tline\treason\titem_id`, one row per record. */
  decisions: string;
  counts: ReasonCounts;
  redactedRecords: number;
}

export interface GateProgress {
  phase: 'loading-objectors' | 'judging' | 'rechecking' | 'verifying' | 'recording' | 'sealing';
  bytesDone: number;
  bytesTotal: number;
  records: number;
  counts: ReasonCounts;
  elapsedMs: number;
}

/** The staged dataset failed `veto dataset verify`: nothing is sealed. */
export class DatasetVerifyFailed extends Error {
  override name = 'DatasetVerifyFailed';
  constructor(readonly report: VerifyReport) {
    super(`the dataset failed verification, nothing sealed:\n${formatVerifyReport(report)}`);
  }
}

/**
 * Four weeks: the period between a notice and the processing it announces that data-protection
 * authorities reviewed as reasonable for AI training on existing content (the 2024 notice gave
 * about five weeks; docs/policy.md). A policy asking for less is refused unless a deployment
 * lowered the floor explicitly.
 */
export const DEFAULT_NOTICE_FLOOR_DAYS = 28;

export interface NoticeFloor {
  days: number;
  /** `default`, or the setting that lowered or raised it (e.g. `VETO_NOTICE_FLOOR_DAYS`). */
  source: string;
}

/**
 * The floor a deployment set with `VETO_NOTICE_FLOOR_DAYS` (undefined: the default), or why the
 * setting is not a floor. Every command that seals a dataset reads it the same way.
 */
export function noticeFloorSetting(env: Record<string, string | undefined>): {
  floor?: NoticeFloor;
  problem?: string;
} {
  const setting = env.VETO_NOTICE_FLOOR_DAYS;
  if (setting === undefined || setting === '') return {};
  const days = Number(setting);
  if (!/^\d{1,3}$/.test(setting) || days > 365)
    return {
      problem: `VETO_NOTICE_FLOOR_DAYS must be a whole number of days from 0 to 365, not "${setting}"`,
    };
  return { floor: { days, source: 'VETO_NOTICE_FLOOR_DAYS' } };
}

/** The setting that lets a build go on without a recorded legitimate-interest assessment. */
export const WITHOUT_ASSESSMENT_SETTING = 'VETO_BUILD_WITHOUT_ASSESSMENT';

/**
 * Whether the deployment set `VETO_BUILD_WITHOUT_ASSESSMENT=1` (then the setting's name, for the
 * manifest), or why the value is not accepted. Every command that seals a dataset reads it so.
 */
export function withoutAssessmentSetting(env: Record<string, string | undefined>): {
  withoutAssessment?: string;
  problem?: string;
} {
  const setting = env[WITHOUT_ASSESSMENT_SETTING];
  if (setting === undefined || setting === '') return {};
  if (setting !== '1')
    return { problem: `${WITHOUT_ASSESSMENT_SETTING} must be 1 (or unset), not "${setting}"` };
  return { withoutAssessment: WITHOUT_ASSESSMENT_SETTING };
}

/** A setup problem: bad options, unreadable input, purpose mismatch. Thrown before any work. */
export class GateSetupError extends Error {
  override name = 'GateSetupError';
}

export type GateRunResult =
  | {
      status: 'sealed';
      datasetId: string;
      dir: string;
      manifest: DatasetManifest;
      /** `veto dataset verify` of the staged dataset, which it passed before it was sealed. */
      verification: VerifyReport;
    }
  | {
      status: 'failed';
      datasetId: string;
      error: Error;
      /** Counts reached before the failure, for the report. */
      counts: ReasonCounts;
    };

const VETO_VERSION: string = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
})();

const NOTICE_BATCH = 10_000;
/** Why an offline build's registry checks are not in its manifest yet. */
const OFFLINE_NOTE = 'offline build: no registry reachable; not performed, check before training';
const MIN_PSEUDONYM_KEY = 32;

/**
 * A dataset's pseudonym key: HMAC-SHA-256 of the dataset id under the operator's key, and its id
 * for the manifest (an HMAC under the dataset key, which tells nothing of either key).
 */
export function datasetPseudonymKey(
  master: string,
  datasetId: string,
): { key: string; keyId: string } {
  const key = createHmac('sha256', master)
    .update(`veto-pseudonym v1\u0000${datasetId}`)
    .digest('hex');
  const keyId = createHmac('sha256', key)
    .update('veto-pseudonym key id')
    .digest('hex')
    .slice(0, 16);
  return { key, keyId };
}
/** For the fault-injection test: the process dies once the store has taken the first row. */
async function* crashAfterFirstRow<T>(rows: AsyncIterable<T>): AsyncGenerator<T> {
  let first = true;
  for await (const row of rows) {
    yield row;
    if (first) crashPoint('recording');
    first = false;
  }
}

/**
 * The registry's own record of the snapshot a file says it is, checked field by field against
 * the file: the cut-off and purpose every later question uses are the registry's, never the
 * file's word alone. A snapshot the registry never took is refused (a file from another registry,
 * or one whose id was edited and re-hashed).
 */
async function recordedIdentity(
  registry: GateRegistry,
  file: DatasetManifest['snapshot'],
): Promise<Pick<SnapshotMeta, 'id' | 'purpose' | 'asOf'>> {
  const record = await registry.snapshotRecord(file.id);
  if (!record) {
    throw new RegistryFileError(
      file.path,
      `snapshot ${file.id} is not recorded in this registry: take one with veto registry snapshot (or registry filter), or build --offline`,
    );
  }
  const differs: string[] = [];
  if (record.purpose !== file.purpose)
    differs.push(`purpose "${file.purpose}" (registry: "${record.purpose}")`);
  if (Date.parse(record.asOf) !== Date.parse(file.asOf))
    differs.push(`asOf ${file.asOf} (registry: ${record.asOf})`);
  if (record.count !== file.count) differs.push(`count ${file.count} (registry: ${record.count})`);
  if (record.sha256 !== file.sha256)
    differs.push(`sha256 ${file.sha256} (registry: ${record.sha256})`);
  if (differs.length > 0) {
    throw new RegistryFileError(
      file.path,
      `the file is not the registry's snapshot ${file.id}: ${differs.join('; ')}`,
    );
  }
  return { id: record.id, purpose: record.purpose, asOf: new Date(record.asOf).toISOString() };
}

/**
 * An offline build's anchor, from its snapshot or filter file: the checkpoint's signature checked
 * with the log's keys when the building machine has them (a bad one refuses the build), copied
 * unchecked otherwise, and the manifest says which. Either way `veto dataset register` and
 * `veto dataset verify` against the registry check it fully (dataset-anchor.ts).
 */
function offlineAnchor(
  file: SnapshotAnchor,
  snapshot: DatasetManifest['snapshot'],
  logKeys: readonly Verifier[],
): DatasetAnchor {
  const anchor = { size: file.size, root: file.root, checkpoint: file.checkpoint };
  if (logKeys.length === 0) {
    return {
      ...anchor,
      offline: {
        source: snapshot.source,
        signature: 'not checked',
        note: 'no log key on the building machine (--log-key): veto dataset register checks it',
      },
    };
  }
  let cp: ReturnType<typeof openCheckpoint>;
  try {
    cp = openCheckpoint(file.checkpoint, logKeys);
  } catch (err) {
    if (!(err instanceof NoteError)) throw err;
    throw new RegistryFileError(
      snapshot.path,
      `the file's anchor is not signed by the transparency log's key: ${err.message}`,
    );
  }
  if (cp.size !== file.size || cp.root.toString('base64') !== file.root) {
    throw new RegistryFileError(
      snapshot.path,
      `the file's anchor says size ${file.size} root ${file.root}, its signed checkpoint size ${cp.size} root ${cp.root.toString('base64')}`,
    );
  }
  return {
    ...anchor,
    offline: { source: snapshot.source, signature: 'checked', signedBy: cp.signedBy.name },
  };
}

/** The record schema's required fields (docs/gate.md), the columns of an empty Parquet output. */
const REQUIRED_FIELDS = ['id', 'author_id', 'kind', 'audience', 'created_at', 'text'] as const;
const DAY_MS = 86_400_000;

interface InputPlan {
  path: string;
  format: 'jsonl' | 'parquet';
  bytes: number;
}

/**
 * Builds a training dataset: judges every record of `inputs` under the policy, writes the kept
 * ones (redacted), re-checks the live registry, records the inclusion index and seals the
 * dataset directory by renaming it into place.
 *
 * Throws only for setup errors ({@link GateSetupError}, `PolicyError`, `RegistryFileError`).
 * Bad records never throw: they are counted and listed in `rejects.jsonl`. A failure during the
 * run returns `{ status: 'failed' }` and leaves no dataset directory behind.
 */
export async function buildDataset(options: BuildOptions): Promise<GateRunResult> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const startedMs = Date.now();
  const loaded =
    typeof options.policy === 'string' ? await loadPolicy(options.policy) : options.policy;
  const policy = loaded.policy;
  const mapping = options.mapping ?? {};
  const mappingProblems = checkMapping(mapping);
  if (mappingProblems.length > 0) {
    throw new GateSetupError(`field mapping: ${mappingProblems.join('; ')}`);
  }
  if (options.inputs.length === 0) throw new GateSetupError('no input files');
  if (!options.registry && !options.offline) {
    throw new GateSetupError(
      'no live registry to re-check objections before sealing; connect one, or run offline (the manifest will say the re-check was not performed)',
    );
  }
  const workers = options.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 0 || workers > 256) {
    throw new GateSetupError('workers must be an integer from 0 to 256');
  }
  const plans: InputPlan[] = [];
  for (const path of options.inputs) {
    try {
      const s = await stat(path);
      if (!s.isFile()) throw new Error('not a file');
      plans.push({
        path,
        format: extname(path).toLowerCase() === '.parquet' ? 'parquet' : 'jsonl',
        bytes: s.size,
      });
    } catch (err) {
      throw new GateSetupError(`input ${path}: cannot read (${(err as Error).message})`);
    }
  }
  let names: Awaited<ReturnType<typeof readNamesFile>> | undefined;
  if (options.names) {
    try {
      names = await readNamesFile(options.names);
    } catch (err) {
      throw new GateSetupError(`--names: ${(err as Error).message}`);
    }
  }
  const datasetId = options.datasetId ?? `ds_${uuidv7(started.getTime())}`;
  if (!/^[A-Za-z0-9_.-]+$/.test(datasetId))
    throw new GateSetupError('dataset id: letters, digits, _ . - only');
  let pseudonyms: { key: string; keyId: string } | undefined;
  if (policy.redaction.mode === 'pseudonym') {
    const master = options.pseudonymKey;
    if (master === undefined || master.length < MIN_PSEUDONYM_KEY) {
      throw new GateSetupError(
        `redaction.mode is "pseudonym": give a key of at least ${MIN_PSEUDONYM_KEY} characters in VETO_PSEUDONYM_KEY or --pseudonym-key-file${master === undefined ? '' : ` (this one has ${master.length})`}`,
      );
    }
    pseudonyms = datasetPseudonymKey(master, datasetId);
  }

  // Workers load their code while the objector set is read (a second or so under tsx).
  // A build judged elsewhere has them load the objector set only (then they are closed).
  const booting = workers > 0 ? WorkerPool.start(workers) : undefined;
  booting?.catch(() => {});
  try {
    return await run();
  } catch (err) {
    // A setup error: the pool (if it started) must not outlive the call.
    await booting?.then(
      (p) => p.close(),
      () => {},
    );
    throw err;
  }

  async function run(): Promise<GateRunResult> {
    // The objector set, verified before any record is read.
    const counts = emptyCounts();
    const progress: GateProgress = {
      phase: 'loading-objectors',
      bytesDone: 0,
      bytesTotal: plans.reduce((n, p) => n + p.bytes, 0),
      records: 0,
      counts,
      elapsedMs: 0,
    };
    const report = () => {
      progress.elapsedMs = Date.now() - startedMs;
      options.onProgress?.(progress);
    };
    report();
    let objectors: ObjectorSetDescriptor;
    let snapshotInfo: DatasetManifest['snapshot'];
    // The log's checkpoint at the snapshot, as the file carries it (format v3; null: none).
    let fileAnchor: SnapshotAnchor | null;
    if ('snapshot' in options.objectors) {
      const path = options.objectors.snapshot;
      const { meta: header, anchor } = await readSnapshotAnchor(path);
      fileAnchor = anchor;
      if (header.purpose !== policy.purpose) {
        throw new RegistryFileError(
          path,
          `snapshot is for purpose "${header.purpose}", the policy for "${policy.purpose}"`,
        );
      }
      const table = new ObjectorTable(header.count);
      let meta: SnapshotMeta;
      if (booting) {
        // The workers check, hash and add the keys while this thread reads and verifies the file
        // (hash, count, order across chunks); until they have booted, this thread does it for the
        // chunks it reads instead of waiting. All of them add to the shared table as the chunks
        // come (`ObjectorTable.claimAll`): at 10M keys the load went from 1.42-1.72 s, when the
        // workers kept their hashes and filled the table together at the end, to 1.31-1.38 s.
        let booted: WorkerPool | undefined;
        booting.then(
          (p) => {
            booted = p;
          },
          () => {},
        );
        const loading = new Set<Promise<unknown>>();
        let failure: unknown;
        let added = 0;
        meta = await scanSnapshotFile(path, async (chunk, firstLine) => {
          if (failure) throw failure;
          const pool = booted;
          if (!pool) {
            const { his, los } = hashSnapshotChunk(path, chunk, chunk.length, firstLine);
            table.claimAll(his, los, los.length);
            // Lets the workers' "booted" messages in between chunks.
            await new Promise((r) => setImmediate(r));
            return;
          }
          while (loading.size >= pool.size * 2) await Promise.race(loading);
          if (failure) throw failure;
          const job = pool.hashSnapshotChunk(path, chunk, firstLine, table.shared).then(
            (n) => {
              added += n;
            },
            (err) => {
              failure ??= err;
            },
          );
          const tracked = job.finally(() => loading.delete(tracked));
          loading.add(tracked);
        });
        await Promise.all(loading);
        if (failure) throw failure;
        table.count += added;
      } else {
        const hashes: KeyHashes[] = [];
        meta = await scanSnapshotFile(path, (chunk, firstLine) => {
          hashes.push(hashSnapshotChunk(path, chunk, chunk.length, firstLine));
        });
        table.addHashes(hashes);
      }
      if (table.count !== meta.count) {
        throw new Error(`objector table holds ${table.count} keys, the snapshot ${meta.count}`);
      }
      // The anchor read first belongs to the body just verified (the file was not replaced).
      if (meta.sha256 !== header.sha256 || meta.id !== header.id) {
        throw new RegistryFileError(path, 'the file changed while it was read');
      }
      objectors = table.descriptor();
      snapshotInfo = { ...meta, source: 'snapshot-file', path };
    } else {
      const path = options.objectors.filter;
      const { meta, filter } = await readFilterFile(path);
      fileAnchor = meta.anchor;
      objectors = new ObjectorFilter(filter, meta.snapshot.count).descriptor();
      snapshotInfo = {
        ...meta.snapshot,
        source: 'filter-file',
        path,
        falsePositiveRate: meta.falsePositiveRate,
        filterSha256: meta.checksum,
      };
    }
    if (snapshotInfo.purpose !== policy.purpose) {
      throw new RegistryFileError(
        snapshotInfo.path,
        `snapshot is for purpose "${snapshotInfo.purpose}", the policy for "${policy.purpose}"`,
      );
    }
    // A cut-off in the future would make the late-objection re-check look at a window that has
    // not happened yet, and let objections received before the build go unasked.
    if (Date.parse(snapshotInfo.asOf) > now().getTime()) {
      throw new GateSetupError(
        `${snapshotInfo.path}: the snapshot's cut-off ${snapshotInfo.asOf} is in the future; a dataset can only be built from a registry state that has happened`,
      );
    }
    let anchor: DatasetAnchor | undefined;
    if (options.registry) {
      snapshotInfo = {
        ...snapshotInfo,
        ...(await recordedIdentity(options.registry, snapshotInfo)),
      };
      // The log's signed checkpoint at the snapshot: the registry state this dataset is built
      // from, which `veto dataset verify` replays. A snapshot the log does not hold is refused.
      anchor = await options.registry.snapshotAnchor(snapshotInfo.id);
      if (!anchor) {
        throw new RegistryFileError(
          snapshotInfo.path,
          `snapshot ${snapshotInfo.id} has no snapshot.created event in this registry's transparency log: the dataset could not be anchored`,
        );
      }
      if (fileAnchor && (fileAnchor.size !== anchor.size || fileAnchor.root !== anchor.root)) {
        throw new RegistryFileError(
          snapshotInfo.path,
          `the file's anchor (size ${fileAnchor.size}, root ${fileAnchor.root}) is not this registry's checkpoint at snapshot ${snapshotInfo.id} (size ${anchor.size}, root ${anchor.root})`,
        );
      }
    } else if (fileAnchor) {
      anchor = offlineAnchor(fileAnchor, snapshotInfo, options.logKeys ?? []);
    }

    // The notice period the policy asks for may not be shorter than the deployment's floor.
    const floor = options.noticeFloor ?? { days: DEFAULT_NOTICE_FLOOR_DAYS, source: 'default' };
    if (policy.notice.minimumDays < floor.days) {
      throw new GateSetupError(
        `policy "${policy.id}": notice.minimumDays is ${policy.notice.minimumDays}, below the notice-period floor of ${floor.days} days (${floor.source === 'default' ? 'the default; a deployment lowers it only with VETO_NOTICE_FLOOR_DAYS' : `set by ${floor.source}`}; docs/policy.md)`,
      );
    }

    // Every check the policy requires must be performable before any record is read.
    let announcedAt: string | undefined;
    if (options.registry) {
      const problem = await options.registry.noticeCheckProblem(policy.notice.version);
      if (problem) {
        throw new GateSetupError(
          `the policy requires the notice-period check, which cannot be performed: ${problem}`,
        );
      }
      // What the notice told people: no processing before the date it announces. Objections
      // keep counting until then, so neither the build nor its cut-off may be earlier.
      announcedAt = await options.registry.noticeAnnouncedAt(policy.notice.version);
      const earliest = Math.min(started.getTime(), Date.parse(snapshotInfo.asOf));
      if (announcedAt !== undefined && earliest < Date.parse(announcedAt)) {
        throw new GateSetupError(
          `notice version "${policy.notice.version}" announces the processing from ${announcedAt}; a build ${Date.parse(snapshotInfo.asOf) < started.getTime() ? `with a cut-off (${snapshotInfo.asOf})` : `on ${started.toISOString()}`} before that date is refused`,
        );
      }
    }

    // The legitimate-interest assessment of this policy version: required with a registry,
    // unless the operator explicitly builds without one (the manifest says so either way).
    let assessment: NonNullable<DatasetManifest['assessment']>;
    if (options.registry) {
      const recorded = await options.registry.assessmentFor(loaded.sha256);
      if (recorded) assessment = { status: 'recorded', ...recorded };
      else if (options.withoutAssessment)
        assessment = { status: 'overridden', source: options.withoutAssessment };
      else
        throw new GateSetupError(
          `no legitimate-interest assessment is recorded for policy "${policy.id}" (sha256 ${loaded.sha256}): record one with veto assessment record --policy ${loaded.path} --text FILE (docs/assessment.md), or build without one explicitly with VETO_BUILD_WITHOUT_ASSESSMENT=1`,
        );
    } else assessment = { status: 'not checked', note: OFFLINE_NOTE };

    const outDir = resolve(options.outDir);
    await mkdir(outDir, { recursive: true });
    const finalDir = join(outDir, datasetId);
    const staging = join(outDir, `.${datasetId}.partial`);
    try {
      await stat(finalDir);
      throw new GateSetupError(`${finalDir} already exists`);
    } catch (err) {
      if (err instanceof GateSetupError) throw err;
    }
    // A build taken up again after its coordinator died: the dead one's staging folder goes (the
    // caller says no other build of this id runs; the shards it judged are kept elsewhere).
    if (options.replaceStaging) {
      await rm(staging, { recursive: true, force: true });
      // Its journal entry too: this build takes the sealing over.
      if (options.journalDir) await rm(journalPath(options.journalDir, datasetId), { force: true });
    }
    const journal =
      options.journalDir && options.registry
        ? await openBuildJournal(options.journalDir, { datasetId, staging, finalDir })
        : undefined;
    await mkdir(staging);

    // Third parties who objected are redacted wherever they appear, as of the cut-off.
    const registryTerms = options.registry
      ? await options.registry.objectorTerms(policy.purpose, snapshotInfo.asOf)
      : [];
    // The objections those terms come from, for the terms commitment: the same question.
    const termReferences =
      options.registry && options.termsKey
        ? await options.registry.objectorTermReferences(policy.purpose, snapshotInfo.asOf)
        : undefined;
    // Named objectors under a policy that does not cover mentions: their names are redacted.
    const namedTerms =
      names && !policy.objections.coverMentions
        ? (() => {
            const set = objectorSetFrom(objectors);
            return namedObjectorTerms(names.accounts, policy.objections.profileUrls, (key) =>
              set.has(key),
            );
          })()
        : [];
    const objectorTerms = [...registryTerms, ...namedTerms];
    const config: JudgeConfig = {
      policy,
      mapping,
      objectors,
      inputs: plans.map((p) => p.path),
      objectorTerms,
      pseudonymKey: pseudonyms?.key,
      ...(names ? { namedAccounts: names.accounts } : {}),
    };
    let pool: WorkerPool | undefined;
    const writers: HashedWriter[] = [];
    const timer = setInterval(report, options.progressIntervalMs ?? 500);
    let renamed = false;
    try {
      const staged: StagedFiles = {
        data: join(staging, 'data.jsonl'),
        inclusions: join(staging, 'inclusions.tsv'),
        decisions: join(staging, 'decisions.tsv'),
      };
      const data = await HashedWriter.create(staged.data);
      // Only the data's digest goes into the manifest.
      const inclusions = await HashedWriter.create(staged.inclusions, { hash: false });
      const decisions = await HashedWriter.create(staged.decisions, { hash: false });
      const rejects = await HashedWriter.create(join(staging, 'rejects.jsonl'), { hash: false });
      writers.push(data, inclusions, decisions, rejects);
      inclusions.pushString(INCLUSIONS_HEADER);
      decisions.pushString('input\tline\treason\titem_id\n');

      let kept = 0;
      let blankLines = 0;
      // The judged records' ids, hashed as their decisions are written (not for shards judged
      // elsewhere: their decision log is read back instead).
      let decisionIds: DecisionIds | undefined;
      let redacted = 0;
      let inputsInfo: DatasetManifest['inputs'] = [];
      // Needed at sealing, loaded meanwhile (content-languages.ts says what it saves).
      preloadLanguageDetector();
      // The notice period: the kept authors asked about as their rows are written (when this
      // process writes them; a runner's shards are read back after judging).
      const shownBy = new Date(
        Date.parse(snapshotInfo.asOf) - policy.notice.minimumDays * DAY_MS,
      ).toISOString();
      const noticeRegistry = options.registry;
      const noticeCheck = {
        check: new KeptAuthorsNoticeCheck(
          (subjectKeys) =>
            noticeRegistry
              ? noticeRegistry.subjectsWithoutNotice({
                  purpose: policy.purpose,
                  noticeVersion: policy.notice.version,
                  shownBy,
                  subjectKeys,
                })
              : Promise.resolve([]),
          NOTICE_BATCH,
        ),
        fedWhileJudging: noticeRegistry !== undefined && !options.judgeElsewhere,
      };
      if (options.judgeElsewhere) {
        await booting?.then((p) => p.close());
        progress.phase = 'judging';
        report();
        const judged = await options.judgeElsewhere({
          datasetId,
          config,
          policy: loaded,
          objectors: options.objectors,
          staging,
          outDir,
          writers: { data, inclusions, decisions, rejects },
          progress(bytes, shardCounts) {
            progress.bytesDone += bytes;
            for (let i = 0; i < REASONS.length; i++) {
              counts[REASONS[i]!] += shardCounts[i]!;
              progress.records += shardCounts[i]!;
            }
          },
        });
        ({ kept, blankLines, redacted, decisionIds } = judged);
        inputsInfo = judged.inputs;
      } else {
        if (booting) {
          pool = await booting;
          await pool.init(config);
        }
        // Imported here, not at the top: with workers the main thread never judges, and the judge's
        // imports (the redactor's lexicons, libphonenumber) cost ~0.34 s of CPU to load; DuckDB
        // (~0.17 s) is loaded only for Parquet.
        const judge = pool ? undefined : new (await import('./judge.ts')).Judge(config);
        decisionIds = new DecisionIds();
        progress.phase = 'judging';
        report();

        // 1 MiB batches: a batch's input and result stay in cache while a worker judges it. Whole
        // run at bench scale 0.3, 2 workers, process CPU time: 4 MiB 6.5-6.6 s, 2 MiB 6.2 s,
        // 1 MiB 5.9-6.2 s, 512 KiB 6.0-6.2 s, 256 KiB 6.0-6.1 s.
        const batchBytes = options.batchBytes ?? 1 << 20;
        // Four batches per worker in flight (two measured about the same, within noise, at 1 MiB):
        // a worker always has the next batch queued while the main thread writes results.
        const maxInFlight = Math.max(2, (pool?.size ?? 1) * 4);
        const results = new Map<number, BatchResult>();
        // Read buffers are reused (handed back by the workers, or judged inline): allocating 4 MiB
        // per batch is what drove the main thread's "external memory pressure" collections (see
        // `Judge.processBatch`). The slack takes the partial line carried over from the last read.
        const readSize = batchBytes + (64 << 10);
        const freeInputs: ArrayBuffer[] = [];
        let spareResult: ArrayBuffer | undefined;
        const readBuffer = (bytes: number): Buffer => {
          if (bytes <= readSize) {
            const reused = pool ? pool.takeInput(readSize) : freeInputs.pop();
            return Buffer.from(reused ?? new ArrayBuffer(readSize));
          }
          return Buffer.allocUnsafeSlow(bytes);
        };
        const inFlight = new Set<Promise<void>>();
        let nextSeq = 0;
        let nextToWrite = 0;
        let failure: Error | undefined;

        const writeReady = async () => {
          for (;;) {
            const result = results.get(nextToWrite);
            if (!result) return;
            results.delete(nextToWrite);
            nextToWrite++;
            await data.write(result.out);
            inclusions.push(result.inclusions);
            if (noticeCheck.fedWhileJudging) noticeCheck.check.scanRows(result.inclusions);
            decisions.push(result.decisions);
            decisionIds?.scan(result.decisions, 0, result.decisions.length);
            if (result.rejects) rejects.pushString(result.rejects);
            // All three views are copied or written: the buffer can take a later batch's result.
            if (pool) pool.recycle(result.out.buffer as ArrayBuffer);
            else spareResult = result.out.buffer as ArrayBuffer;
            await inclusions.flushIfFull();
            await decisions.flushIfFull();
            await rejects.flushIfFull();
            for (let i = 0; i < REASONS.length; i++) {
              const n = result.counts[i]!;
              counts[REASONS[i]!] += n;
              progress.records += n;
            }
            kept += result.kept;
            blankLines += result.blank;
            redacted += result.redacted;
          }
        };
        let writing = Promise.resolve();
        const dispatch = (input: number, firstLine: number, buffer: Buffer, length: number) => {
          const seq = nextSeq++;
          const bytes = length;
          const job = (
            pool
              ? pool.run({ seq, input, firstLine, buffer: buffer.buffer as ArrayBuffer, length })
              : new Promise<BatchResult>((done) =>
                  setImmediate(() => {
                    const spare = spareResult;
                    spareResult = undefined;
                    const result = judge!.processBatch(buffer, 0, length, input, firstLine, spare);
                    if (
                      buffer.buffer.byteLength === readSize &&
                      result.out.buffer !== buffer.buffer
                    )
                      freeInputs.push(buffer.buffer as ArrayBuffer);
                    done(result);
                  }),
                )
          ).then(
            (result) => {
              results.set(seq, result);
              progress.bytesDone += bytes;
              writing = writing.then(writeReady);
              return writing;
            },
            (err: Error) => {
              failure ??= err;
            },
          );
          const tracked = job.finally(() => inFlight.delete(tracked));
          inFlight.add(tracked);
        };

        for (let index = 0; index < plans.length && !failure; index++) {
          const plan = plans[index]!;
          let readPath = plan.path;
          if (plan.format === 'parquet') {
            readPath = join(staging, `input-${index}.jsonl`);
            await (await import('./parquet.ts')).parquetToJsonl(plan.path, readPath);
          }
          const hash = createHash('sha256');
          const file = await open(readPath, 'r');
          let line = 1;
          let carry: Buffer | undefined;
          try {
            for (;;) {
              while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
              if (failure) break;
              const carried = carry?.length ?? 0;
              const buf = readBuffer(carried + batchBytes);
              if (carry) carry.copy(buf, 0);
              const { bytesRead } = await file.read(buf, carried, batchBytes, null);
              const total = carried + bytesRead;
              if (plan.format === 'jsonl') hash.update(buf.subarray(carried, total));
              if (bytesRead === 0) {
                if (carried > 0) dispatch(index, line, buf, total);
                break;
              }
              const last = buf.lastIndexOf(10, total - 1);
              if (last < 0) {
                carry = Buffer.from(buf.subarray(0, total));
                continue;
              }
              carry = last + 1 < total ? Buffer.from(buf.subarray(last + 1, total)) : undefined;
              let lines = 0;
              for (let i = buf.indexOf(10); i !== -1 && i <= last; i = buf.indexOf(10, i + 1))
                lines++;
              dispatch(index, line, buf, last + 1);
              line += lines;
            }
          } finally {
            await file.close();
          }
          const lines = carry ? line : line - 1;
          if (plan.format === 'parquet') {
            await rm(readPath, { force: true });
            inputsInfo.push({
              path: plan.path,
              format: 'parquet',
              ...(await hashFile(plan.path)),
              lines,
            });
          } else {
            inputsInfo.push({
              path: plan.path,
              format: 'jsonl',
              bytes: plan.bytes,
              sha256: hash.digest('hex'),
              lines,
            });
          }
        }
        while (inFlight.size > 0) await Promise.race(inFlight);
        await writing;
        if (failure) throw failure;
      }
      const judged = REASONS.reduce((n, r) => n + counts[r], 0);
      if (judged - counts.malformed === 0 && !options.allowEmpty) {
        throw new Error(
          `the export holds no valid record (${judged} malformed lines, ${blankLines} blank lines): nothing sealed; --allow-empty seals an empty dataset`,
        );
      }
      let dataSha256 = await data.close();
      let dataBytes = data.bytes;
      await inclusions.close();
      await decisions.close();
      await rejects.close();
      writers.length = 0;

      // Repeated ids: later copies out, and every copy when they disagree on the author.
      const duplicates = await excludeDuplicateIds(staged, plans, mapping, staging, decisionIds);
      if (duplicates.rejects) await appendFile(join(staging, 'rejects.jsonl'), duplicates.rejects);
      if (duplicates.removal.removed > 0) {
        const removal = duplicates.removal;
        for (const [reason, n] of Object.entries(removal.byReason) as [Reason, number][]) {
          counts[reason] += n;
          counts.kept -= n;
        }
        kept -= removal.removed;
        dataSha256 = removal.data!.sha256;
        dataBytes = removal.data!.bytes;
      }
      await options.afterJudging?.({
        inputs: plans.map((p) => p.path),
        decisions: staged.decisions,
        counts: { ...counts },
        redactedRecords: redacted,
      });

      // Before sealing: people not shown the notice long enough (hook), then late objections.
      const noticePeriod: DatasetManifest['noticePeriod'] = {
        checked: false,
        noticeVersion: policy.notice.version,
        minimumDays: policy.notice.minimumDays,
        floorDays: floor.days,
        floorSource: floor.source,
        ...(announcedAt !== undefined ? { announcedAt } : {}),
        removedRecords: 0,
      };
      const applyRemoval = (removal: Awaited<ReturnType<typeof removeSubjects>>) => {
        for (const [reason, n] of Object.entries(removal.byReason) as [Reason, number][]) {
          counts[reason] += n;
          counts.kept -= n;
        }
        kept -= removal.removed;
        if (removal.data) {
          dataSha256 = removal.data.sha256;
          dataBytes = removal.data.bytes;
        }
      };
      const registry = options.registry;
      if (registry) {
        if (!noticeCheck.fedWhileJudging) {
          await noticeCheck.check.scanFile(staged.inclusions);
        }
        const missing = await noticeCheck.check.missing();
        const removal = await removeSubjects(staged, missing, (role) =>
          role === 'author' ? 'notice-period' : undefined,
        );
        applyRemoval(removal);
        noticePeriod.checked = true;
        noticePeriod.shownBy = shownBy;
        noticePeriod.removedRecords = removal.removed;
      } else {
        // Offline: said in the manifest, like a re-check not performed, for whoever trains on it.
        noticePeriod.note = OFFLINE_NOTE;
      }

      progress.phase = 'rechecking';
      report();
      const recheck: DatasetManifest['recheck'] = {
        performed: false,
        lateObjectors: 0,
        removedRecords: 0,
      };
      if (registry) {
        // Objections keep arriving while we remove: ask again until an answer brings nothing new.
        const handled = new Set<string>();
        for (let round = 0; round < 10; round++) {
          const late = await registry.objectorsAddedSince(policy.purpose, snapshotInfo.asOf);
          const fresh = new Set(late.filter((k) => !handled.has(k)));
          recheck.at = now().toISOString();
          if (fresh.size === 0) break;
          for (const k of fresh) handled.add(k);
          const removal = await removeSubjects(staged, fresh, (role) =>
            role === 'author'
              ? 'objected'
              : policy.objections.coverMentions
                ? 'objected-mention'
                : undefined,
          );
          applyRemoval(removal);
          recheck.removedRecords += removal.removed;
        }
        recheck.performed = true;
        recheck.lateObjectors = handled.size;
      } else {
        recheck.note = OFFLINE_NOTE;
      }

      progress.phase = 'sealing';
      report();
      // From the JSONL as kept, after every removal (a Parquet file is written from it next).
      const languages = await sampleContentLanguages(staged.data, { records: kept, mapping });
      let dataFile = 'data.jsonl';
      const outputFormat = options.outputFormat ?? 'jsonl';
      if (outputFormat === 'parquet') {
        dataFile = 'data.parquet';
        const parquet = await import('./parquet.ts');
        if (kept > 0) {
          await parquet.jsonlToParquet(staged.data, join(staging, dataFile));
        } else {
          // Nothing kept: no rows to infer a schema from; the required fields' columns.
          await parquet.emptyParquet(
            join(staging, dataFile),
            REQUIRED_FIELDS.map((f) => mappedName(mapping, f).split('.').pop()!),
          );
        }
        await rm(staged.data);
        ({ sha256: dataSha256, bytes: dataBytes } = await hashFile(join(staging, dataFile)));
      }
      const policyFile = `policy${extname(loaded.path) || '.yaml'}`;
      await writeFile(join(staging, policyFile), loaded.source);
      let namesInfo: DatasetManifest['names'];
      if (names && options.names) {
        await copyFile(options.names, join(staging, 'names.jsonl'));
        const { NamedSubjectFinder } = await import('./named-subjects.ts');
        namesInfo = {
          file: 'names.jsonl',
          sha256: names.sha256,
          accounts: names.accounts.length,
          displayNamesSkipped: new NamedSubjectFinder(names.accounts, []).skippedDisplayNames,
          redactedTerms: namedTerms.length,
        };
      }

      // After every removal: the commitment covers exactly the subjects of the sealed index.
      const exclusion =
        options.exclusionKey &&
        (await commitExclusion(options.exclusionKey, datasetId, staged.inclusions, staging));
      const terms =
        termReferences &&
        options.termsKey &&
        (await commitTerms(options.termsKey, datasetId, termReferences, staging));
      const manifest: DatasetManifest = {
        format: MANIFEST_FORMAT,
        datasetId,
        purpose: policy.purpose,
        ...(options.origin ? { origin: options.origin } : {}),
        policy: {
          id: policy.id,
          title: policy.title,
          sha256: loaded.sha256,
          path: loaded.path,
          file: policyFile,
        },
        ...(anchor ? { anchor } : {}),
        snapshot: snapshotInfo,
        inputs: inputsInfo,
        ...(Object.keys(mapping).length > 0 ? { mapping } : {}),
        ...(namesInfo ? { names: namesInfo } : {}),
        output: {
          file: dataFile,
          format: dataFile.endsWith('.parquet') ? 'parquet' : 'jsonl',
          bytes: dataBytes,
          sha256: dataSha256,
          records: kept,
        },
        counts,
        records: REASONS.reduce((n, r) => n + counts[r], 0),
        blankLines,
        duplicateIds: {
          ids: duplicates.ids,
          authorsDiffer: duplicates.authorsDiffer,
          copiesExcluded: duplicates.removal.removed,
        },
        redactedRecords: redacted,
        languages,
        redaction: {
          mode: policy.redaction.mode,
          categories: policy.redaction.enabled ? [...policy.redaction.categories] : [],
          ...(pseudonyms ? { pseudonymKeyId: pseudonyms.keyId } : {}),
        },
        thirdPartyTerms: registry
          ? { count: registryTerms.length, asOf: snapshotInfo.asOf }
          : { count: 0, note: OFFLINE_NOTE },
        recheck,
        noticePeriod,
        assessment,
        checks: {
          objectors: {
            status: 'performed',
            counts: {
              objectors: snapshotInfo.count,
              objected: counts.objected,
              'objected-mention': counts['objected-mention'],
            },
          },
          'late-objections': registry
            ? {
                status: 'performed',
                counts: {
                  lateObjectors: recheck.lateObjectors,
                  removedRecords: recheck.removedRecords,
                },
              }
            : { status: 'deferred', note: OFFLINE_NOTE },
          'notice-period': registry
            ? { status: 'performed', counts: { removedRecords: noticePeriod.removedRecords } }
            : { status: 'deferred', note: OFFLINE_NOTE },
          'third-party-terms': registry
            ? { status: 'performed', counts: { terms: registryTerms.length } }
            : { status: 'deferred', note: OFFLINE_NOTE },
        },
        files: {
          data: dataFile,
          rejects: 'rejects.jsonl',
          decisions: 'decisions.tsv',
          inclusions: 'inclusions.tsv',
          policy: policyFile,
        },
        ...(exclusion ? { exclusion: exclusion.field } : {}),
        ...(terms ? { terms: terms.field } : {}),
        startedAt: started.toISOString(),
        finishedAt: now().toISOString(),
        vetoVersion: VETO_VERSION,
        workers,
      };
      const manifestFile = await open(join(staging, 'manifest.json'), 'wx');
      await manifestFile.writeFile(manifestText(manifest));
      await manifestFile.sync();
      await manifestFile.close();

      // The independent check, on exactly what is about to be sealed: it re-reads the staged
      // directory as a verifier would, and a dataset that fails it is not sealed.
      progress.phase = 'verifying';
      report();
      const verification = await verifyDataset({
        dir: staging,
        objectors: options.objectors,
        loadedObjectors: objectorSetFrom(objectors),
        registry,
        now,
        // The workers that judged read the staged data's chunks (their judge set-up is idle now).
        pool,
        threads: workers,
      });
      await pool?.close();
      pool = undefined;
      // Kept in the registry, passed or not: the console shows each dataset's last verification.
      if (registry) {
        const recorded = registry.recordVerification(
          verificationOf(verification, 'gate', now().toISOString(), datasetId),
        );
        // A failed verification is what the build reports, even if keeping it failed too.
        if (verification.ok) await recorded;
        else await recorded.catch(() => undefined);
      }
      if (!verification.ok) throw new DatasetVerifyFailed(verification);
      await writeFile(join(staging, 'verify.json'), `${JSON.stringify(verification, null, 2)}\n`);

      // Sealing, in the order that cannot half-happen (dataset-recovery.ts): every staged byte
      // durable, the directory renamed into place and its parent synced, and only then the
      // registry's record, whose last step makes the dataset visible to the removal planner.
      await syncStagedFiles(staging);
      crashPoint('staged');
      await rename(staging, finalDir);
      renamed = true;
      await syncDir(outDir);
      crashPoint('renamed');
      if (registry) {
        progress.phase = 'recording';
        report();
        const rows = readInclusionFile(join(finalDir, 'inclusions.tsv'), datasetId);
        await registry.recordDataset(
          manifest,
          process.env.VETO_TEST_CRASH_AT === 'recording' ? crashAfterFirstRow(rows) : rows,
          exclusion?.leaves,
          finalDir,
          terms?.leaves,
        );
        crashPoint('recorded');
      }
      await closeBuildJournal(journal);
      report();
      return { status: 'sealed', datasetId, dir: finalDir, manifest, verification };
    } catch (err) {
      for (const w of writers) await w.abort();
      await (pool ?? (await booting?.catch(() => undefined)))?.close();
      await rm(staging, { recursive: true, force: true });
      // Renamed but not recorded (the registry refused or failed): a directory the registry does
      // not know would be a dataset no removal reaches, so it goes too.
      if (renamed) await rm(finalDir, { recursive: true, force: true });
      await closeBuildJournal(journal);
      return { status: 'failed', datasetId, error: err as Error, counts };
    } finally {
      clearInterval(timer);
    }
  }
}
