import { createHmac } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
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
import { NoteError, type Verifier } from '../transparency/signed-note.ts';
import {
  type BuildOptions,
  DEFAULT_NOTICE_FLOOR_DAYS,
  type NoticeFloor,
  type ObjectorSource,
} from './build-options.ts';
import type { BuildRun } from './build-run.ts';
import { preloadLanguageDetector } from './content-languages.ts';
import { journalPath, openBuildJournal } from './dataset-recovery.ts';
import type { JudgeConfig } from './judge.ts';
import type { DatasetAnchor, DatasetManifest } from './manifest.ts';
import { type NamedAccount, namedObjectorTerms, readNamesFile } from './named-subjects.ts';
import {
  hashSnapshotChunk,
  loadSnapshotTable,
  ObjectorFilter,
  type ObjectorSetDescriptor,
  ObjectorTable,
  objectorSetFrom,
} from './objector-set.ts';
import { type LoadedPolicy, loadPolicy } from './policy.ts';
import { checkMapping, type FieldMapping } from './record-fields.ts';
import type { GateRegistry } from './registry-port.ts';
import { WorkerPool } from './worker-pool.ts';

/*
 * A gate build's first step: everything settled before any record is read. The options are
 * checked, the policy loaded, the inputs stat'ed, the objector set loaded and verified (with the
 * worker pool booting meanwhile), the snapshot identified and anchored, and every check the
 * policy requires shown to be performable; then the output and staging folders are made and the
 * judge's configuration is complete. Any problem here throws: nothing has been judged.
 */

/** A setup problem: bad options, unreadable input, purpose mismatch. Thrown before any work. */
export class GateSetupError extends Error {
  override name = 'GateSetupError';
}

/** Why an offline build's registry checks are not in its manifest yet. */
export const OFFLINE_NOTE =
  'offline build: no registry reachable; not performed, check before training';
const MIN_PSEUDONYM_KEY = 32;
const DAY_MS = 86_400_000;

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

/** An input export as planned: judged in the order given. */
export interface PlannedInput {
  path: string;
  format: 'jsonl' | 'parquet';
  bytes: number;
}

/** What is settled from the options alone, before any worker starts. */
interface CheckedOptions {
  options: BuildOptions;
  now: () => Date;
  /** The build's start, by `now`: the manifest's `startedAt`, the default dataset id's time. */
  started: Date;
  loaded: LoadedPolicy;
  policy: LoadedPolicy['policy'];
  mapping: FieldMapping;
  /** Worker threads; 0 judges on the main thread. */
  workers: number;
  inputs: PlannedInput[];
  /** The names file, read and checked. */
  names?: { accounts: NamedAccount[]; sha256: string };
  datasetId: string;
  /** This dataset's pseudonym key and its id, under a `pseudonym` redaction policy. */
  pseudonyms?: { key: string; keyId: string };
}

/**
 * A build as planned: everything the judging and sealing steps need that is known before any
 * record is read. The staging folder exists (and the journal entry, with a registry and a journal
 * folder); nothing has been judged.
 */
export interface BuildPlan extends CheckedOptions {
  /** The worker pool, booting since the options were checked (none with 0 workers). */
  booting?: Promise<WorkerPool>;
  /** The objector set, loaded and verified (the judge's and the verify's). */
  objectors: ObjectorSetDescriptor;
  /** The snapshot the set is, as the registry recorded it when there is one. */
  snapshot: DatasetManifest['snapshot'];
  /** The transparency log's checkpoint at the snapshot (the registry's, or an offline file's). */
  anchor?: DatasetAnchor;
  floor: NoticeFloor;
  /** The date the policy's notice announces the processing from, if the registry knows one. */
  announcedAt?: string;
  /** The notice-period check's date: kept authors not shown the notice by then are removed. */
  shownBy: string;
  assessment: NonNullable<DatasetManifest['assessment']>;
  /** The parent folder, the dataset's sealed folder in it, and its staging folder. */
  outDir: string;
  finalDir: string;
  staging: string;
  /** The build journal's entry (dataset-recovery.ts), when the build has one. */
  journal?: string;
  /** The third parties' terms from the registry, as of the cut-off (the manifest counts them). */
  registryTerms: string[];
  /** The objections those terms come from, for the terms commitment (with a terms key). */
  termReferences?: string[];
  /** Named objectors' names and links, redacted under a policy that does not cover mentions. */
  namedTerms: string[];
  config: JudgeConfig;
}

/**
 * Plans a build: throws for a setup problem ({@link GateSetupError}, `PolicyError`,
 * `RegistryFileError`), closing the worker pool if it started. Reports the `loading-objectors`
 * phase through `run`.
 */
export async function planBuild(options: BuildOptions, run: BuildRun): Promise<BuildPlan> {
  const checked = await checkOptions(options);
  run.progress.bytesTotal = checked.inputs.reduce((n, p) => n + p.bytes, 0);
  // Workers load their code while the objector set is read (a second or so under tsx).
  // A build judged elsewhere has them load the objector set only (then they are closed).
  const booting = checked.workers > 0 ? WorkerPool.start(checked.workers) : undefined;
  booting?.catch(() => {});
  // Needed at sealing; compiled now, while the workers boot (content-languages.ts says why).
  preloadLanguageDetector();
  try {
    return await planWithObjectors(checked, booting, run);
  } catch (err) {
    // A setup error: the pool (if it started) must not outlive the call.
    await booting?.then(
      (p) => p.close(),
      () => {},
    );
    throw err;
  }
}

/**
 * A build whose inputs and objector file together are smaller than this judges on its main
 * thread unless told otherwise (`workers`): starting a worker thread and setting up its judge
 * costs ~0.3-0.5 s of CPU each, more than the threads save on a few MiB (the main thread judges
 * ~100 MB/s). As `veto dataset verify` reads a small data file alone. The output is the same.
 * A Parquet input never counts as small: its bytes are compressed, several times fewer than the
 * JSONL lines it becomes.
 */
export const SMALL_BUILD_BYTES = 32 << 20;

/** All cores, or none for a small build ({@link SMALL_BUILD_BYTES}). */
async function defaultWorkers(options: BuildOptions, inputs: PlannedInput[]): Promise<number> {
  const file =
    'snapshot' in options.objectors ? options.objectors.snapshot : options.objectors.filter;
  // An objector file that cannot be read fails later, with its own message.
  const setBytes = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  const bytes = inputs.reduce((n, p) => n + p.bytes, setBytes);
  const small = bytes < SMALL_BUILD_BYTES && inputs.every((p) => p.format === 'jsonl');
  return small ? 0 : availableParallelism();
}

async function checkOptions(options: BuildOptions): Promise<CheckedOptions> {
  const now = options.now ?? (() => new Date());
  const started = now();
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
  if (
    options.workers !== undefined &&
    (!Number.isInteger(options.workers) || options.workers < 0 || options.workers > 256)
  ) {
    throw new GateSetupError('workers must be an integer from 0 to 256');
  }
  const inputs: PlannedInput[] = [];
  for (const path of options.inputs) {
    try {
      const s = await stat(path);
      if (!s.isFile()) throw new Error('not a file');
      inputs.push({
        path,
        format: extname(path).toLowerCase() === '.parquet' ? 'parquet' : 'jsonl',
        bytes: s.size,
      });
    } catch (err) {
      throw new GateSetupError(`input ${path}: cannot read (${(err as Error).message})`);
    }
  }
  const workers = options.workers ?? (await defaultWorkers(options, inputs));
  let names: CheckedOptions['names'];
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

  return {
    options,
    now,
    started,
    loaded,
    policy,
    mapping,
    workers,
    inputs,
    ...(names ? { names } : {}),
    datasetId,
    ...(pseudonyms ? { pseudonyms } : {}),
  };
}

async function planWithObjectors(
  checked: CheckedOptions,
  booting: Promise<WorkerPool> | undefined,
  run: BuildRun,
): Promise<BuildPlan> {
  const { options, now, started, loaded, policy, mapping, inputs, names, datasetId, pseudonyms } =
    checked;
  // The objector set, verified before any record is read.
  run.report();
  const loadedSet = await loadObjectorSet(options.objectors, policy.purpose, booting);
  const { objectors, fileAnchor } = loadedSet;
  let snapshotInfo = loadedSet.snapshot;
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
    inputs: inputs.map((p) => p.path),
    objectorTerms,
    pseudonymKey: pseudonyms?.key,
    ...(names ? { namedAccounts: names.accounts } : {}),
  };
  // The notice period: the kept authors not shown the notice by this date are removed.
  const shownBy = new Date(
    Date.parse(snapshotInfo.asOf) - policy.notice.minimumDays * DAY_MS,
  ).toISOString();
  return {
    ...checked,
    ...(booting ? { booting } : {}),
    objectors,
    snapshot: snapshotInfo,
    ...(anchor ? { anchor } : {}),
    floor,
    ...(announcedAt !== undefined ? { announcedAt } : {}),
    shownBy,
    assessment,
    outDir,
    finalDir,
    staging,
    ...(journal ? { journal } : {}),
    registryTerms,
    ...(termReferences ? { termReferences } : {}),
    namedTerms,
    config,
  };
}

/**
 * Loads and verifies the objector set of `source` for the policy's purpose: a snapshot file read,
 * checked and hashed into the objector table (on the booting workers as they come up), or a
 * filter file. `fileAnchor`: the log's checkpoint at the snapshot as the file carries it.
 */
async function loadObjectorSet(
  source: ObjectorSource,
  purpose: string,
  booting: Promise<WorkerPool> | undefined,
): Promise<{
  objectors: ObjectorSetDescriptor;
  snapshot: DatasetManifest['snapshot'];
  fileAnchor: SnapshotAnchor | null;
}> {
  let objectors: ObjectorSetDescriptor;
  let snapshotInfo: DatasetManifest['snapshot'];
  // The log's checkpoint at the snapshot, as the file carries it (format v3; null: none).
  let fileAnchor: SnapshotAnchor | null;
  if ('snapshot' in source) {
    const path = source.snapshot;
    const { meta: header, anchor } = await readSnapshotAnchor(path);
    fileAnchor = anchor;
    if (header.purpose !== purpose) {
      throw new RegistryFileError(
        path,
        `snapshot is for purpose "${header.purpose}", the policy for "${purpose}"`,
      );
    }
    let table: ObjectorTable;
    let meta: SnapshotMeta;
    if (booting) {
      table = new ObjectorTable(header.count);
      // The workers check, hash and add the keys while this thread reads and verifies the file
      // (hash, count, order across chunks); until they have booted, this thread does it for the
      // chunks it reads instead of waiting. Each of them puts the keys it hashed in their regions
      // of the shared table as the chunks come (`ObjectorTable.stage`); the regions are settled
      // together at the end (`WorkerPool.flushSnapshotChunks`).
      table.concurrent = true;
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
      // The workers hand the chunks' buffers back: read into again (and judged into later).
      const takeBuffer = (bytes: number) => booted?.takeInput(bytes);
      meta = await scanSnapshotFile(
        path,
        async (chunk, firstLine) => {
          if (failure) throw failure;
          const pool = booted;
          if (!pool) {
            const { his, los } = hashSnapshotChunk(path, chunk, chunk.length, firstLine, {
              borrow: true,
            });
            table.stage(his, los, los.length);
            // Lets the workers' "booted" messages in between chunks.
            await new Promise((r) => setImmediate(r));
            return;
          }
          while (loading.size >= pool.size * 2) await Promise.race(loading);
          if (failure) throw failure;
          const job = pool.hashSnapshotChunk(path, chunk, firstLine, table).then(
            (n) => {
              added += n;
            },
            (err) => {
              failure ??= err;
            },
          );
          const tracked = job.finally(() => loading.delete(tracked));
          loading.add(tracked);
        },
        { takeBuffer },
      );
      await Promise.all(loading);
      if (failure) throw failure;
      // Every thread's staged keys into the table, before anyone looks up.
      if (booted) await booted.flushSnapshotChunks(table);
      else table.flush();
      table.count += added;
      if (table.count !== meta.count) {
        throw new Error(`objector table holds ${table.count} keys, the snapshot ${meta.count}`);
      }
    } else {
      // No workers: on this thread, as verify loads one.
      ({ table, meta } = await loadSnapshotTable(path, header.count));
    }
    // The anchor read first belongs to the body just verified (the file was not replaced).
    if (meta.sha256 !== header.sha256 || meta.id !== header.id) {
      throw new RegistryFileError(path, 'the file changed while it was read');
    }
    objectors = table.descriptor();
    snapshotInfo = { ...meta, source: 'snapshot-file', path };
  } else {
    const path = source.filter;
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
  return { objectors, snapshot: snapshotInfo, fileAnchor };
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
