import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../domain/audit-chain.ts';
import { startPlainWorker } from '../lib/worker-flags.ts';
import { readFilterFile } from '../registry-files/filter-file.ts';
import { HI, hashKey64, keyHash, LO } from '../registry-files/key-hash.ts';
import { readSnapshotHeader } from '../registry-files/snapshot-file.ts';
import type { ObjectorSource } from './build.ts';
import { type AnchorCheckResult, checkDatasetAnchor, type RegistryLog } from './dataset-anchor.ts';
import {
  AUTHOR_ROLE,
  type ChunkScan,
  identifier,
  S_AUTHOR,
  S_ID,
  S_MENTIONS,
  S_TEXT,
  type ScanCheck,
  SubjectLanes,
  type VerifyScanConfig,
  VerifyScanner,
} from './dataset-verify-scan.ts';
import { readExclusionLeaves } from './exclusion-commitment.ts';
import { HashSet64, IdHashes } from './id-hashes.ts';
import { hashFile } from './line-files.ts';
import { type DatasetManifest, MANIFEST_FORMAT } from './manifest.ts';
import { type NamedAccount, namedObjectorTerms, readNamesFile } from './named-subjects.ts';
import {
  hashKeys,
  loadSnapshotTable,
  ObjectorFilter,
  type ObjectorSet,
  ObjectorTable,
} from './objector-set.ts';
import { loadPolicy } from './policy.ts';
import type { Policy } from './policy-schema.ts';
import { REASONS } from './reasons.ts';
import type { GateRegistry } from './registry-port.ts';
import { readTermsLeaves } from './terms-leaves.ts';
import { WorkerPool } from './worker-pool.ts';

/**
 * `veto dataset verify`: the one independent check of a sealed dataset. It re-reads the dataset
 * directory and trusts nothing the build wrote except as a claim to check: the data file against
 * the manifest's hash, every line as UTF-8 JSON, every kept record against the objector set at
 * the cut-off (read again from the registry or from a snapshot or filter file the verifier
 * holds), the registry's objections received since, the notice period, the third parties' terms,
 * and the manifest's counts against each other and against the decision log. The gate runs it
 * on the staged directory before sealing (a dataset that fails it is never sealed); an operator,
 * a recipient holding a filter file or a regulator runs it alone.
 *
 * One streaming pass over the data: chunks are checked for UTF-8 as a whole (a chunk cut at a
 * line end is valid exactly when each of its lines is), records are read with the gate's byte
 * scanner (which validates each line against the JSON grammar and leaves anything else to
 * `JSON.parse`), ids and authors are hashed from their bytes, and every record's subjects are
 * looked up in the objector set together at the end (lookups one by one are a cache miss each).
 * The data's sha256 and the decision log's tally run on a worker thread meanwhile.
 */

export const VERIFY_FORMAT = 'veto-dataset-verify/v1';

/** What verify checks, in report order (docs/gate.md "Verifying a dataset"). */
export const VERIFY_CHECKS = [
  'manifest',
  'utf8-json',
  'unique-ids',
  'objectors',
  'anchor',
  'late-objections',
  'notice-period',
  'third-party-terms',
  'counts',
] as const;
export type VerifyCheck = (typeof VERIFY_CHECKS)[number];

export type VerifyStatus = 'pass' | 'fail' | 'not checked';

export interface VerifyCheckResult {
  status: VerifyStatus;
  /** What was checked and against what, or why it could not be. */
  detail: string;
  problems: number;
}

export interface VerifyProblem {
  check: VerifyCheck;
  message: string;
  /** 1-based line of the data file. */
  line?: number;
  itemId?: string;
  subjectKey?: string;
}

export interface RemovalDue {
  subjectKey: string;
  /** Item ids of kept records by or naming the subject. */
  items: string[];
}

export interface VerifyReport {
  format: typeof VERIFY_FORMAT;
  datasetId: string;
  dir: string;
  /** True only when no check failed. */
  ok: boolean;
  checks: Record<VerifyCheck, VerifyCheckResult>;
  /** The first problems found (at most `maxProblems`); `problemCount` counts them all. */
  problems: VerifyProblem[];
  problemCount: number;
  /** Objections received after the build's last re-check whose subjects are in the dataset. */
  removalsDue: RemovalDue[];
  /** Where the objector set came from. */
  objectorSource: string;
  records: number;
  bytes: number;
  ms: number;
}

/** What verify asks the live registry: the same answers the build asked for, asked again. */
export type VerifyRegistry = Pick<
  GateRegistry,
  'objectorsAddedSince' | 'subjectsWithoutNotice' | 'objectorTerms'
>;

/**
 * The registry's own records, which a standalone verify prefers to every file: the objector set
 * as of the cut-off, the snapshot the manifest names, and the manifest recorded at sealing.
 */
export interface RegistryRecords {
  objectorsAsOf(purpose: string, asOf: string): AsyncIterable<string>;
  snapshotRecord(
    id: string,
  ): Promise<
    { id: string; purpose: string; asOf: string; count: number; sha256: string } | undefined
  >;
  datasetManifest(id: string): Promise<DatasetManifest | undefined>;
  /** The registry's transparency log: the anchor check (src/gate/dataset-anchor.ts). */
  log: RegistryLog;
}

export interface VerifyOptions {
  /** The dataset directory (with `manifest.json`). */
  dir: string;
  /** A snapshot or filter file of the objector set at the cut-off (a recipient's, a regulator's). */
  objectors?: ObjectorSource;
  /**
   * An objector set already loaded from `objectors` (the gate's own, when it verifies what it is
   * about to seal: the same file, verified as it was loaded), instead of reading it again.
   */
  loadedObjectors?: ObjectorSet;
  /** The live registry's answers: late objections, notice period, third parties' terms. */
  registry?: VerifyRegistry;
  /** The registry's records (standalone verify against a reachable registry). */
  records?: RegistryRecords;
  /** Problems listed in the report (all are counted). Default 100. */
  maxProblems?: number;
  now?: () => Date;
  /** Gate workers to read the data's chunks on (the build's own); else see `threads`. */
  pool?: WorkerPool;
  /**
   * Worker threads to start for the data's chunks when no `pool` is given; 0 reads them on this
   * thread. Default: as many as the machine has cores for a data file of 32 MiB or more, else 0.
   */
  threads?: number;
  /** Bytes read per chunk (default 4 MiB; tests use small chunks to cross many chunk ends). */
  chunkBytes?: number;
}

/** Kept authors asked about the notice at once (the port's limit). */
const NOTICE_BATCH = 10_000;
const READ_SIZE = 4 << 20;

/** A data file smaller than this is read on the verifying thread alone (workers take ~0.2 s to start). */
const POOL_MIN_BYTES = 32 << 20;

/** Reads and checks a dataset directory; never throws for what it finds (only for I/O faults). */
export async function verifyDataset(options: VerifyOptions): Promise<VerifyReport> {
  // Workers started here are closed here, however the check ends.
  let own: Promise<WorkerPool> | undefined;
  const startPool = (threads: number) => {
    own ??= WorkerPool.start(threads);
    return own;
  };
  try {
    return await verifyWith(options, startPool);
  } finally {
    if (own) await (await own.catch(() => undefined))?.close();
  }
}

async function verifyWith(
  options: VerifyOptions,
  startPool: (threads: number) => Promise<WorkerPool>,
): Promise<VerifyReport> {
  const started = performance.now();
  const now = options.now ?? (() => new Date());
  const maxProblems = options.maxProblems ?? 100;
  const checks = Object.fromEntries(
    VERIFY_CHECKS.map((c) => [c, { status: 'pass', detail: '', problems: 0 }]),
  ) as Record<VerifyCheck, VerifyCheckResult>;
  const problems: VerifyProblem[] = [];
  let problemCount = 0;
  const fail = (problem: VerifyProblem) => {
    problemCount++;
    checks[problem.check].status = 'fail';
    checks[problem.check].problems++;
    if (problems.length < maxProblems) problems.push(problem);
  };
  /** Problems a chunk's reader counted beyond those it listed. */
  const failUnlisted = (check: VerifyCheck, n: number) => {
    problemCount += n;
    checks[check].status = 'fail';
    checks[check].problems += n;
  };
  const skip = (check: VerifyCheck, why: string) => {
    checks[check].status = 'not checked';
    checks[check].detail = why;
  };
  const report = (
    datasetId: string,
    extra: Partial<Pick<VerifyReport, 'removalsDue' | 'objectorSource' | 'records' | 'bytes'>> = {},
  ): VerifyReport => ({
    format: VERIFY_FORMAT,
    datasetId,
    dir: options.dir,
    ok: VERIFY_CHECKS.every((c) => checks[c].status !== 'fail'),
    checks,
    problems,
    problemCount,
    removalsDue: extra.removalsDue ?? [],
    objectorSource: extra.objectorSource ?? 'none',
    records: extra.records ?? 0,
    bytes: extra.bytes ?? 0,
    ms: performance.now() - started,
  });
  const stopHere = (datasetId: string) => {
    for (const c of VERIFY_CHECKS) {
      if (checks[c].status === 'pass' && checks[c].problems === 0 && checks[c].detail === '')
        skip(c, 'not reached: the manifest cannot be read');
    }
    return report(datasetId);
  };

  // The manifest: read as a claim; its format and its own arithmetic first.
  let manifest: DatasetManifest;
  let manifestFileSha256 = '';
  try {
    const bytes = await readFile(join(options.dir, 'manifest.json'));
    manifestFileSha256 = createHash('sha256').update(bytes).digest('hex');
    manifest = JSON.parse(bytes.toString('utf8'));
    if (manifest === null || typeof manifest !== 'object' || manifest.format !== MANIFEST_FORMAT) {
      throw new Error(`not a ${MANIFEST_FORMAT} manifest`);
    }
  } catch (err) {
    fail({ check: 'manifest', message: `manifest.json: ${(err as Error).message}` });
    return stopHere('');
  }
  const datasetId = String(manifest.datasetId);
  let policy: Policy | undefined;
  try {
    const loaded = await loadPolicy(join(options.dir, manifest.files.policy));
    if (loaded.sha256 !== manifest.policy.sha256) {
      fail({
        check: 'manifest',
        message: `${manifest.files.policy}: sha256 ${loaded.sha256}, the manifest says ${manifest.policy.sha256}`,
      });
    }
    if (loaded.policy.purpose !== manifest.purpose) {
      fail({
        check: 'manifest',
        message: `the policy is for purpose "${loaded.policy.purpose}", the manifest says "${manifest.purpose}"`,
      });
    }
    policy = loaded.policy;
  } catch (err) {
    fail({ check: 'manifest', message: `policy: ${(err as Error).message}` });
  }
  if (!policy) return stopHere(datasetId);
  // The exclusion commitment: its file sorted and distinct, giving the manifest's count and root.
  if (manifest.exclusion) {
    try {
      await readExclusionLeaves(options.dir, manifest);
    } catch (err) {
      fail({ check: 'manifest', message: `exclusion: ${(err as Error).message}` });
    }
  }
  // The terms commitment likewise: its file sorted and distinct, giving the count and root.
  if (manifest.terms) {
    try {
      await readTermsLeaves(options.dir, manifest);
    } catch (err) {
      fail({ check: 'manifest', message: `terms: ${(err as Error).message}` });
    }
  }
  const asOf = manifest.snapshot.asOf;
  if (!(Date.parse(asOf) <= now().getTime())) {
    fail({ check: 'manifest', message: `the cut-off ${asOf} is not a past instant` });
  }
  if (manifest.snapshot.purpose !== manifest.purpose) {
    fail({
      check: 'manifest',
      message: `the snapshot is for purpose "${manifest.snapshot.purpose}", the dataset for "${manifest.purpose}"`,
    });
  }

  // The registry's record of this dataset and of its snapshot, when it can be asked.
  const records = options.records;
  const manifestNotes: string[] = [];
  if (records) {
    const recorded = await records.datasetManifest(datasetId);
    if (!recorded) {
      manifestNotes.push('not recorded in this registry');
    } else {
      const same: [string, unknown, unknown][] = [
        ['output.sha256', recorded.output.sha256, manifest.output.sha256],
        ['output.records', recorded.output.records, manifest.output.records],
        ['policy.sha256', recorded.policy.sha256, manifest.policy.sha256],
        ['snapshot.id', recorded.snapshot.id, manifest.snapshot.id],
        ['snapshot.sha256', recorded.snapshot.sha256, manifest.snapshot.sha256],
        ['snapshot.asOf', recorded.snapshot.asOf, manifest.snapshot.asOf],
        ['counts', canonicalJson(recorded.counts), canonicalJson(manifest.counts)],
        ['anchor', canonicalJson(recorded.anchor ?? null), canonicalJson(manifest.anchor ?? null)],
        [
          'exclusion',
          canonicalJson(recorded.exclusion ?? null),
          canonicalJson(manifest.exclusion ?? null),
        ],
        ['terms', canonicalJson(recorded.terms ?? null), canonicalJson(manifest.terms ?? null)],
      ];
      for (const [field, theirs, ours] of same) {
        if (theirs !== ours) {
          fail({
            check: 'manifest',
            message: `${field}: the registry recorded ${String(theirs)}, manifest.json says ${String(ours)}`,
          });
        }
      }
      manifestNotes.push('matches the registry’s record');
    }
    const snap = await records.snapshotRecord(manifest.snapshot.id);
    if (!snap) {
      manifestNotes.push(`snapshot ${manifest.snapshot.id} not recorded in this registry`);
    } else {
      for (const field of ['purpose', 'asOf', 'count', 'sha256'] as const) {
        if (snap[field] !== manifest.snapshot[field]) {
          fail({
            check: 'manifest',
            message: `snapshot.${field}: the registry recorded ${String(snap[field])} for ${snap.id}, manifest.json says ${String(manifest.snapshot[field])}`,
          });
        }
      }
    }
  }

  // The anchor: the log's checkpoint at the snapshot, the log since, and the objector set the
  // log's events give (dataset-anchor.ts); started now, it reads the log while the data is read.
  const anchorChecked = records
    ? checkDatasetAnchor({
        manifest,
        manifestSha256: manifestFileSha256,
        log: records.log,
        registryObjectors: () => records.objectorsAsOf(manifest.purpose, asOf),
      }).catch(
        (err: Error): AnchorCheckResult => ({
          status: 'fail',
          detail: 'the log could not be read',
          problems: [`the registry's log: ${err.message}`],
          manifestProblems: [],
          sealedEvent: '',
        }),
      )
    : undefined;

  // The objector set at the cut-off: the verifier's file, else the registry's own records, else
  // the snapshot file the manifest names (checked against the manifest's id and hash).
  let objectors: ObjectorSet | undefined;
  let objectorSource = 'none';
  const fileSource: ObjectorSource | undefined =
    options.objectors ??
    (!records && manifest.snapshot.path && existsSync(manifest.snapshot.path)
      ? manifest.snapshot.source === 'filter-file'
        ? { filter: manifest.snapshot.path }
        : { snapshot: manifest.snapshot.path }
      : undefined);
  // Gate workers read the data's chunks when there are some: the caller's (the build's), or
  // started here for a data file big enough to pay for their start (~0.2 s); with no pool given,
  // one of them loads a snapshot file's table meanwhile.
  let pool = options.pool;
  let poolStarting: Promise<WorkerPool | undefined> | undefined;
  if (!pool) {
    const dataFileBytes = await stat(join(options.dir, manifest.output.file)).then(
      (st) => st.size,
      () => 0,
    );
    const threads =
      options.threads ?? (dataFileBytes >= POOL_MIN_BYTES ? availableParallelism() : 0);
    if (threads > 0) {
      poolStarting = startPool(threads);
      poolStarting.catch(() => {});
    }
  }
  // Started before the data is read (a registry's or a filter's set loads while the data's reads
  // wait); the subjects are looked up once both are done.
  const loadObjectors = async () => {
    try {
      if (options.loadedObjectors && options.objectors) {
        objectors = options.loadedObjectors;
        const path =
          'snapshot' in options.objectors ? options.objectors.snapshot : options.objectors.filter;
        objectorSource = `the build's objector set, loaded from ${path}`;
      } else if (fileSource && 'snapshot' in fileSource) {
        const path = fileSource.snapshot;
        const header = await readSnapshotHeader(path);
        checkSameSnapshot(header, manifest, path, fail);
        // On a worker when verify started its own: the others read the data meanwhile.
        const loader = poolStarting && (await poolStarting);
        const { table, meta } = loader
          ? await loader.loadSnapshotTable(path, header.count)
          : await loadSnapshotTable(path, header.count);
        checkSameSnapshot(meta, manifest, path, fail);
        objectors = table;
        objectorSource = `snapshot file ${path}`;
      } else if (fileSource && 'filter' in fileSource) {
        const path = fileSource.filter;
        const { meta, filter } = await readFilterFile(path, { shared: false });
        checkSameSnapshot(meta.snapshot, manifest, path, fail);
        objectors = new ObjectorFilter(filter, meta.snapshot.count);
        objectorSource = `filter file ${path} (a false positive rate of ${meta.falsePositiveRate}: a flagged record may be a false alarm)`;
      } else if (records) {
        const keys: string[] = [];
        for await (const key of records.objectorsAsOf(manifest.purpose, asOf)) keys.push(key);
        const table = new ObjectorTable(keys.length);
        table.addHashes([hashKeys(keys)]);
        objectors = table;
        objectorSource = `the registry's objections effective at ${asOf} (${keys.length})`;
      }
    } catch (err) {
      fail({ check: 'objectors', message: `objector set: ${(err as Error).message}` });
    }
  };
  let objectorsReady = false;
  const objectorsLoaded = loadObjectors().then(() => {
    objectorsReady = true;
  });

  // The registry's answers, asked again.
  const registry = options.registry;
  const coverMentions = policy.objections.coverMentions;
  let late: Set<string> | undefined;
  let sinceBuild: Set<string> | undefined;
  let terms: string[] = [];
  if (registry) {
    try {
      late = new Set(await registry.objectorsAddedSince(manifest.purpose, asOf));
      // Objections received after the build's last re-check are not the build's to remove: they
      // are listed as removals due (the removal planner records them against the inclusion index).
      const recheckAt = manifest.recheck?.performed ? manifest.recheck.at : undefined;
      sinceBuild = recheckAt
        ? new Set(await registry.objectorsAddedSince(manifest.purpose, recheckAt))
        : new Set(late);
    } catch (err) {
      fail({ check: 'late-objections', message: `cannot be checked: ${(err as Error).message}` });
    }
    try {
      terms = await registry.objectorTerms(manifest.purpose, asOf);
    } catch (err) {
      fail({ check: 'third-party-terms', message: `cannot be checked: ${(err as Error).message}` });
    }
  }
  // The dataset's names file (handles, display names), read once and checked against the
  // manifest. Under a policy that covers mentions, the texts' named accounts are subjects of
  // their records (found again here); under one that does not, named objectors' names must be
  // redacted, and are looked for as third parties' terms are (the objector set says whose).
  let namedAccounts: NamedAccount[] = [];
  let namedTerms: string[] = [];
  if (manifest.names) {
    // A names file that cannot be read leaves unchecked what it is for.
    const check = coverMentions ? 'objectors' : 'third-party-terms';
    try {
      const read = await readNamesFile(join(options.dir, manifest.names.file));
      if (read.sha256 !== manifest.names.sha256) {
        fail({
          check: 'manifest',
          message: `${manifest.names.file}: sha256 ${read.sha256}, the manifest says ${manifest.names.sha256}`,
        });
      }
      if (coverMentions) namedAccounts = read.accounts;
      else {
        await objectorsLoaded;
        const set = objectors;
        namedTerms = namedObjectorTerms(read.accounts, policy.objections.profileUrls, (key) =>
          set ? set.has(key) : false,
        );
      }
    } catch (err) {
      fail({ check, message: `names file: ${(err as Error).message}` });
    }
  }
  const scanConfig: VerifyScanConfig = {
    mapping: manifest.mapping ?? {},
    coverMentions,
    terms: [...terms, ...namedTerms],
    namedAccounts,
    profileUrls: policy.objections.profileUrls,
    collectAuthors: registry !== undefined,
    maxProblems,
  };
  // This thread's reader: the chunks' reader when no pool reads them, and the one that names a
  // subject found by hash again from its line.
  const local = new VerifyScanner(scanConfig);
  const { getters } = local;
  const dueItems = new Map<string, string[]>();
  // Kept authors for the notice check, asked in batches as the data is read; repeats seen
  // recently within a chunk are dropped (`RecentHashes`; a set of every author cost a cache miss
  // per record, ~0.9 s at bench scale), so a repeated author may be asked twice, and is reported
  // once.
  let noticeBatch: string[] = [];
  let authorsAsked = 0;
  const notShownReported = new Set<string>();
  const shownBy = new Date(Date.parse(asOf) - policy.notice.minimumDays * 86_400_000).toISOString();
  let noticeUnavailable = false;
  const askNotice = async (all: boolean) => {
    if (!registry) return;
    if (noticeUnavailable) {
      noticeBatch = [];
      return;
    }
    while (noticeBatch.length >= NOTICE_BATCH || (all && noticeBatch.length > 0)) {
      const keys = noticeBatch.splice(0, NOTICE_BATCH);
      authorsAsked += keys.length;
      let answer: string[];
      try {
        answer = await registry.subjectsWithoutNotice({
          purpose: manifest.purpose,
          noticeVersion: policy.notice.version,
          shownBy,
          subjectKeys: keys,
        });
      } catch (err) {
        // The check cannot be performed (a notice this registry never published): it fails,
        // once, and no more is asked.
        fail({ check: 'notice-period', message: `cannot be checked: ${(err as Error).message}` });
        noticeBatch = [];
        noticeUnavailable = true;
        return;
      }
      for (const key of answer) {
        if (notShownReported.has(key)) continue;
        notShownReported.add(key);
        fail({
          check: 'notice-period',
          subjectKey: key,
          message: `a kept author was not shown notice ${policy.notice.version} by ${shownBy}`,
        });
      }
    }
  };
  const lateHashes = new HashSet64();
  for (const key of late ?? []) {
    hashKey64(key);
    lateHashes.add(keyHash[HI]! || 1, keyHash[LO]!);
  }

  // The data file: hash, UTF-8, JSON, ids, objectors, late objections, terms, in one pass.
  const ids = new IdHashes(Number(manifest.output.records) || 0);
  let duplicateHashes = new HashSet64();
  let dataPath = join(options.dir, manifest.output.file);
  const decisionsPath = join(options.dir, manifest.files.decisions);
  let side: ReturnType<typeof sideWork> | undefined;
  let scratch: string | undefined;
  let lineNo = 0;
  let blank = 0;
  let dataBytes = 0;
  let dataSha = '';
  try {
    if (manifest.output.format === 'parquet') {
      const { sha256, bytes } = await hashFile(dataPath);
      dataSha = sha256;
      dataBytes = bytes;
      scratch = await mkdtemp(join(tmpdir(), 'veto-verify-'));
      const jsonl = join(scratch, 'data.jsonl');
      await (await import('./parquet.ts')).parquetToJsonl(dataPath, jsonl);
      dataPath = jsonl;
    }
    // The records' subjects, hashed, looked up together at the end (and strings made only for
    // what is reported).
    // Sized for an author per kept record, as the manifest says (capped: a claim is not
    // trusted; mentions grow it): growing by doubling from small copied the lanes seven times
    // at 2.1M records, 0.76 s of the verifying thread's CPU in a profile under load.
    const subjects = new SubjectLanes(
      Math.max(1 << 15, Math.min(Number(manifest.output.records) || 0, 1 << 25) + 1024),
    );
    /** The item id and the subject key of subject `k`, read again from its line in the file. */
    const subjectAt = (fd: number, k: number): { itemId: string; key: string } => {
      const start = subjects.start[k]!;
      const bytes = Buffer.alloc(subjects.end[k]! - start);
      readSync(fd, bytes, 0, bytes.length, start);
      const r = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
      const itemId = identifier(getters[S_ID]!(r)) ?? `line ${subjects.line[k]}`;
      const candidates: string[] = [`acct:${identifier(getters[S_AUTHOR]!(r))}`];
      const text = getters[S_TEXT]!(r);
      if (typeof text === 'string') candidates.push(...local.namedIn(text));
      const ms = getters[S_MENTIONS]!(r);
      if (Array.isArray(ms)) {
        for (const m of ms) {
          const s2 = String(m);
          candidates.push(s2.startsWith('acct:') || s2.startsWith('email:') ? s2 : `acct:${s2}`);
        }
      }
      const hi = subjects.hi[k]!;
      const lo = subjects.lo[k]!;
      for (const key of candidates) {
        hashKey64(key);
        if ((keyHash[HI]! || 1) === hi && keyHash[LO] === lo) return { itemId, key };
      }
      return { itemId, key: '(unknown)' };
    };
    /**
     * The subjects against the objector set and the late objections, many at once (lookups one
     * by one are a cache miss each): the chunks merged so far as soon as the set is loaded (the
     * verifying thread is otherwise idle while workers read), the rest at the end. Hits are
     * reported at the end, in file order, whatever the timing.
     */
    let lookedUp = 0;
    const objectorHits: number[] = [];
    const lateHits: number[] = [];
    const lookUp = () => {
      const from = lookedUp;
      const n = subjects.n - from;
      if (n === 0) return;
      const out = new Uint8Array(n);
      objectors?.hasAll(subjects.hi.subarray(from), subjects.lo.subarray(from), n, out);
      for (let i = 0; i < n; i++) {
        const k = from + i;
        if (out[i] === 1) objectorHits.push(k);
        else if (lateHashes.size > 0 && lateHashes.has(subjects.hi[k]!, subjects.lo[k]!))
          lateHits.push(k);
      }
      lookedUp = subjects.n;
    };
    const reportHits = () => {
      const isObjector = new Set(objectorHits);
      const all = [...objectorHits, ...lateHits].sort((a, b) => a - b);
      let fd = -1;
      try {
        for (const k of all) {
          if (fd < 0) fd = openSync(dataPath, 'r');
          const role = subjects.role[k] === AUTHOR_ROLE ? 'authored by' : 'mentioning';
          const { itemId, key } = subjectAt(fd, k);
          if (isObjector.has(k)) {
            fail({
              check: 'objectors',
              line: subjects.line[k]!,
              itemId,
              subjectKey: key,
              message: `kept record ${role} a subject whose objection was effective at the cut-off`,
            });
          } else if (!late?.has(key)) {
            // Another key with the same hash.
          } else if (sinceBuild?.has(key)) {
            const items = dueItems.get(key) ?? [];
            items.push(itemId);
            dueItems.set(key, items);
          } else {
            fail({
              check: 'late-objections',
              line: subjects.line[k]!,
              itemId,
              subjectKey: key,
              message: `kept record ${role} a subject whose objection arrived after the cut-off but before the build's re-check`,
            });
          }
        }
      } finally {
        if (fd >= 0) closeSync(fd);
      }
    };
    /** A chunk's findings added to the file's, in file order. */
    const merge = async ({ scan }: { scan: ChunkScan }) => {
      const base = lineNo;
      for (const p of scan.problems) {
        const line = p.line + base;
        const itemId = p.itemId ?? (p.itemFromLine ? `line ${line}` : undefined);
        fail({
          check: p.check,
          line,
          ...(itemId === undefined ? {} : { itemId }),
          message: p.message,
        });
      }
      for (const [check, n] of Object.entries(scan.problemCounts) as [ScanCheck, number][]) {
        const unlisted = n - scan.problems.filter((p) => p.check === check).length;
        if (unlisted > 0) failUnlisted(check, unlisted);
      }
      lineNo += scan.lines;
      blank += scan.blank;
      ids.pushWords(scan.idWords);
      subjects.append(scan.subjects, base);
      if (objectorsReady) lookUp();
      if (registry) {
        // Asked a batch at a time as it fills: the batch never grows past NOTICE_BATCH (an array
        // above 128 KB would be allocated on new memory, see `ChunkScan.authors`).
        for (const piece of scan.authors) {
          for (const key of piece.split('\n')) {
            noticeBatch.push(key);
            if (noticeBatch.length >= NOTICE_BATCH) await askNotice(false);
          }
        }
      }
    };

    // The data's hash on another thread while the records are read.
    side = sideWork(
      scratch === undefined ? dataPath : undefined,
      existsSync(decisionsPath) ? decisionsPath : undefined,
    );
    side.catch(() => {});
    pool ??= await poolStarting;
    if (pool) await pool.initVerify(scanConfig);
    const file = await open(dataPath, 'r');
    let scanned = 0;
    try {
      // Chunks cut at a line end, read in order; with a pool, a few in flight at once, their
      // findings added up in file order as they come back.
      const queue: Promise<{ scan: ChunkScan; chunk: Buffer }>[] = [];
      const inFlight = pool ? 2 * pool.size : 1;
      const readSize = options.chunkBytes ?? READ_SIZE;
      let carry = Buffer.alloc(0);
      let own = Buffer.alloc(0);
      let offset = 0;
      for (;;) {
        const want = carry.length + readSize;
        // A pool's buffers travel to the workers and back; this thread reads into one of its own.
        const free = pool ? pool.takeInput(want) : own.length >= want ? own.buffer : undefined;
        const buf = free ? Buffer.from(free) : Buffer.allocUnsafeSlow(want + (64 << 10));
        if (!pool) own = buf;
        carry.copy(buf, 0);
        const { bytesRead } = await file.read(buf, carry.length, readSize, null);
        scanned += bytesRead;
        const total = carry.length + bytesRead;
        const end = bytesRead === 0 ? total : buf.lastIndexOf(10, total - 1) + 1;
        carry = Buffer.from(buf.subarray(end, total));
        if (end > 0) {
          const read = pool
            ? pool.verifyChunk(buf, end, offset)
            : Promise.resolve({ scan: local.scanChunk(buf, end, offset), chunk: buf });
          // A failed chunk is reported when its turn comes; those queued behind it are dropped
          // then, and must not surface as unhandled rejections meanwhile.
          read.catch(() => {});
          queue.push(read);
          offset += end;
        }
        while (queue.length >= inFlight || (bytesRead === 0 && queue.length > 0)) {
          const done = await queue.shift()!;
          await merge(done);
          // The chunk's buffer, done with: read into again.
          if (pool) pool.giveBackInput(done.chunk.buffer as ArrayBuffer);
        }
        if (bytesRead === 0) break;
      }
    } finally {
      await file.close();
    }
    // Searched while a snapshot's table may still be loading on a worker.
    duplicateHashes = ids.repeated();
    await objectorsLoaded;
    if (!objectors && checks.objectors.status !== 'fail') {
      fail({
        check: 'objectors',
        message:
          'no objector set to check against: connect the registry, or give --snapshot or --filter',
      });
    }
    lookUp();
    reportHits();
    const hashed = (await side).data;
    if (hashed) {
      dataSha = hashed.sha256;
      dataBytes = hashed.bytes;
      if (hashed.bytes !== scanned) {
        fail({
          check: 'manifest',
          message: `${manifest.output.file} changed while it was read (${hashed.bytes} bytes hashed, ${scanned} read)`,
        });
      }
    }
    // Duplicate ids: confirmed by their strings in a second pass (only when a hash repeated).
    if (duplicateHashes.size > 0) {
      const seen = new Map<string, number>();
      await forEachRecordId(dataPath, getters[S_ID]!, (id, line) => {
        hashKey64(id);
        if (!duplicateHashes.has(keyHash[HI]!, keyHash[LO]!)) return;
        const first = seen.get(id);
        if (first === undefined) seen.set(id, line);
        else
          fail({
            check: 'unique-ids',
            line,
            itemId: id,
            message: `id repeated (first on line ${first})`,
          });
      }).catch((err: Error) => fail({ check: 'unique-ids', message: err.message }));
    }
  } catch (err) {
    fail({ check: 'utf8-json', message: `${manifest.output.file}: ${(err as Error).message}` });
  } finally {
    // Never leaves the snapshot's worker behind, whatever happened to the data.
    await objectorsLoaded;
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
  const keptRecords = lineNo - blank;

  // Manifest hashes.
  if (dataSha !== manifest.output.sha256) {
    fail({
      check: 'manifest',
      message: `${manifest.output.file}: sha256 ${dataSha}, the manifest says ${manifest.output.sha256}`,
    });
  }
  if (dataBytes !== manifest.output.bytes) {
    fail({
      check: 'manifest',
      message: `${manifest.output.file}: ${dataBytes} bytes, the manifest says ${manifest.output.bytes}`,
    });
  }
  if (anchorChecked) {
    const anchor = await anchorChecked;
    for (const message of anchor.problems) fail({ check: 'anchor', message });
    for (const message of anchor.manifestProblems) fail({ check: 'manifest', message });
    if (anchor.status === 'not checked') skip('anchor', anchor.detail);
    else checks.anchor.detail = anchor.detail;
    if (anchor.sealedEvent) manifestNotes.push(anchor.sealedEvent);
  } else {
    skip('anchor', 'needs the registry: its transparency log and its objections');
  }
  checks.manifest.detail = [`data and policy hashes against manifest.json`, ...manifestNotes].join(
    '; ',
  );

  checks['unique-ids'].detail = `${keptRecords} ids`;

  checks.objectors.detail = `${objectorSource}; authors${coverMentions ? ' and mentioned people' : ''}`;

  // Notice period: every kept author must have been shown the notice long enough.
  if (registry) {
    await askNotice(true);
    checks['notice-period'].detail =
      `${authorsAsked} kept authors asked, notice ${policy.notice.version} shown by ${shownBy}${notShownReported.size ? `; ${notShownReported.size} not` : ''}`;
    checks['late-objections'].detail =
      `${late?.size ?? 0} objections received since the cut-off; ${sinceBuild?.size ?? 0} since the build's re-check`;
    checks['third-party-terms'].detail =
      `${terms.length} third parties' terms${namedTerms.length ? `, ${namedTerms.length} named objectors' terms` : ''}`;
  } else {
    const why = 'no registry to ask (give one, or verify where the registry is reachable)';
    skip('notice-period', why);
    skip('late-objections', why);
    if (namedTerms.length === 0) skip('third-party-terms', why);
    else
      checks['third-party-terms'].detail =
        `${namedTerms.length} named objectors' terms (the third parties' need the registry: not checked)`;
  }

  // Counts: the manifest against itself, the data and the decision log.
  const counts = manifest.counts;
  const sum = REASONS.reduce((n, r) => n + (counts[r] ?? 0), 0);
  const countProblem = (message: string) => fail({ check: 'counts', message });
  if (sum !== manifest.records)
    countProblem(
      `counts per reason add up to ${sum}, the manifest says ${manifest.records} records`,
    );
  if (counts.kept !== manifest.output.records)
    countProblem(`counts.kept is ${counts.kept}, output.records ${manifest.output.records}`);
  if (keptRecords !== manifest.output.records)
    countProblem(
      `${manifest.output.file} holds ${keptRecords} records, the manifest says ${manifest.output.records}`,
    );
  const inputLines = manifest.inputs.reduce((n, i) => n + i.lines, 0);
  if (inputLines !== manifest.records + manifest.blankLines)
    countProblem(
      `the inputs have ${inputLines} lines, the manifest ${manifest.records} records and ${manifest.blankLines} blank lines`,
    );
  if (existsSync(decisionsPath)) {
    const answer = await side?.catch((err: Error) => {
      countProblem(`${manifest.files.decisions}: ${err.message}`);
      return undefined;
    });
    const tally = new Map(answer?.tally ?? []);
    // A version rebuilt by removals (`veto dataset rebuild`) keeps the replaced build's decision
    // log: the records removed since are `kept` there and `objected` in its counts.
    const removed = Number(
      (manifest as { removal?: { removedRecords?: unknown } }).removal?.removedRecords ?? 0,
    );
    const logged: Record<string, number> = { ...counts };
    if (removed > 0) {
      logged.kept = (logged.kept ?? 0) + removed;
      logged.objected = (logged.objected ?? 0) - removed;
    }
    for (const [reason, n] of tally) {
      const claimed = logged[reason] ?? 0;
      if (claimed !== n)
        countProblem(
          `${manifest.files.decisions} has ${n} "${reason}" rows, the manifest ${claimed}`,
        );
    }
    for (const r of REASONS) {
      if ((logged[r] ?? 0) > 0 && !tally.has(r))
        countProblem(`${manifest.files.decisions} has no "${r}" rows, the manifest ${logged[r]}`);
    }
    checks.counts.detail = `${manifest.records} records in ${REASONS.length} reasons, against the data and ${manifest.files.decisions}`;
  } else {
    countProblem(`${manifest.files.decisions} is missing`);
  }

  const removalsDue = [...dueItems].map(([subjectKey, items]) => ({ subjectKey, items }));
  return report(datasetId, {
    removalsDue,
    objectorSource,
    records: keptRecords,
    bytes: dataBytes,
  });
}

function checkSameSnapshot(
  meta: { id: string; purpose: string; asOf: string; count: number; sha256: string },
  manifest: DatasetManifest,
  path: string,
  fail: (p: VerifyProblem) => void,
): void {
  for (const field of ['id', 'purpose', 'asOf', 'count', 'sha256'] as const) {
    if (meta[field] !== manifest.snapshot[field]) {
      fail({
        check: 'objectors',
        message: `${path}: ${field} ${String(meta[field])}, the dataset was built from ${String(manifest.snapshot[field])}`,
      });
    }
  }
}

/** Second pass for duplicate ids: each record's id, by `JSON.parse` (only rare datasets get here). */
async function forEachRecordId(
  path: string,
  getId: (r: Record<string, unknown>) => unknown,
  onId: (id: string, line: number) => void,
): Promise<void> {
  const { forEachLine } = await import('./line-files.ts');
  let line = 0;
  await forEachLine(path, (b, s, e) => {
    line++;
    try {
      const id = identifier(getId(JSON.parse(b.toString('utf8', s, e))));
      if (id !== undefined) onId(id, line);
    } catch {
      // Reported by the first pass.
    }
  });
}

/**
 * The work beside the records, on a worker thread while this one reads them: the data file's
 * sha256 and size, and the rows per reason of the decision log (`input line reason item_id`,
 * header first). Plain JavaScript, so the worker needs no loader. Reasons are matched as bytes
 * (by a hash of them, then byte for byte): no string per row.
 */
const SIDE_WORK = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const SIZE = 4 << 20;
function sha(path) {
  const hash = require('node:crypto').createHash('sha256');
  const fd = fs.openSync(path, 'r');
  const buf = Buffer.allocUnsafe(SIZE);
  let bytes = 0;
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      bytes += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { sha256: hash.digest('hex'), bytes };
}
/** Counts the rows of u[s, last) (whole lines) into counts, other reasons through bump. */
function rows(u, s, last, slot, known, counts, bump) {
  while (s < last) {
    let i = s;
    let tabs = 0;
    let c = 0;
    while (i < last) {
      c = u[i++];
      if (c === 9) {
        if (++tabs === 2) break;
      } else if (c === 10) break;
    }
    if (tabs < 2) {
      bump('(malformed row)');
      s = i;
      continue;
    }
    // The reason column, hashed on the way as the slots were.
    const from = i;
    let h = 0;
    while ((c = u[i]) !== 9 && c !== 10) {
      h = (Math.imul(h, 31) + c) | 0;
      i++;
    }
    if (c === 10) {
      bump('(malformed row)');
      s = i + 1;
      continue;
    }
    const n = i - from;
    let found = -1;
    for (let q = h & (SLOTS - 1); slot[q] !== -1; q = (q + 1) & (SLOTS - 1)) {
      const b = known[slot[q]];
      if (b.length !== n) continue;
      let j = 0;
      while (j < n && u[from + j] === b[j]) j++;
      if (j === n) {
        found = slot[q];
        break;
      }
    }
    if (found >= 0) counts[found]++;
    else bump(Buffer.from(u.buffer, u.byteOffset + from, n).toString('latin1'));
    i++;
    while (u[i] !== 10) i++;
    s = i + 1;
  }
}
const SLOTS = 256;
function tally(path, reasons) {
  const known = reasons.map((r) => Buffer.from(r, 'latin1'));
  // The reasons by a hash of their bytes, in a small open-addressing table: no Map, no string
  // and no iterator per row (3.5M rows: 181-207 ms against 259-287 ms with a Map of candidates,
  // this thread's start included).
  const slot = new Int32Array(SLOTS).fill(-1);
  known.forEach((b, k) => {
    let h = 0;
    for (let i = 0; i < b.length; i++) h = (Math.imul(h, 31) + b[i]) | 0;
    let q = h & (SLOTS - 1);
    while (slot[q] !== -1) q = (q + 1) & (SLOTS - 1);
    slot[q] = k;
  });
  const counts = new Float64Array(known.length);
  const other = new Map();
  const bump = (k) => other.set(k, (other.get(k) || 0) + 1);
  const fd = fs.openSync(path, 'r');
  let buf = Buffer.allocUnsafe(SIZE);
  let carried = 0;
  let header = true;
  try {
    for (;;) {
      if (carried === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, carried);
        buf = bigger;
      }
      const read = fs.readSync(fd, buf, carried, buf.length - carried, null);
      const total = carried + read;
      // Whole lines only; the rest waits for the next read.
      const last = total === 0 ? 0 : buf.lastIndexOf(10, total - 1) + 1;
      let s = 0;
      if (header && last > 0) {
        header = false;
        s = buf.indexOf(10) + 1;
      }
      rows(buf, s, last, slot, known, counts, bump);
      if (read === 0) {
        if (last < total) bump('(row without a line end)');
        break;
      }
      buf.copy(buf, 0, last, total);
      carried = total - last;
    }
  } finally {
    fs.closeSync(fd);
  }
  const out = [...other];
  reasons.forEach((r, i) => { if (counts[i] > 0) out.push([r, counts[i]]); });
  return out;
}
const out = {};
if (workerData.data) out.data = sha(workerData.data);
if (workerData.decisions) out.tally = tally(workerData.decisions, workerData.reasons);
parentPort.postMessage(out);
`;

function sideWork(
  data: string | undefined,
  decisions: string | undefined,
): Promise<{ data?: { sha256: string; bytes: number }; tally?: [string, number][] }> {
  return new Promise((resolve, reject) => {
    const worker = startPlainWorker(SIDE_WORK, {
      eval: true,
      workerData: { data, decisions, reasons: [...REASONS] },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}`));
    });
  });
}

/** The report as text: one line per check, then the problems and the removals due. */
export function formatVerifyReport(r: VerifyReport): string {
  const lines = [
    `dataset ${r.datasetId || '(unknown)'} in ${r.dir}: ${r.ok ? 'VERIFIED' : 'FAILED'}`,
    `  ${r.records.toLocaleString('en')} records, ${(r.bytes / 1e6).toFixed(1)} MB in ${(r.ms / 1000).toFixed(2)} s (${(r.bytes / 1e6 / Math.max(r.ms / 1000, 0.001)).toFixed(0)} MB/s)`,
    `  objector set: ${r.objectorSource}`,
    'checks',
  ];
  for (const c of VERIFY_CHECKS) {
    const x = r.checks[c];
    const status =
      x.status === 'pass' ? 'ok' : x.status === 'fail' ? `FAILED (${x.problems})` : 'not checked';
    lines.push(`  ${c.padEnd(18)} ${status}${x.detail ? `: ${x.detail}` : ''}`);
  }
  if (r.problemCount > 0) {
    lines.push(
      `problems (${r.problemCount}${r.problems.length < r.problemCount ? `, first ${r.problems.length}` : ''})`,
    );
    for (const p of r.problems) {
      const where = [
        p.line !== undefined ? `line ${p.line}` : '',
        p.itemId ? `item ${p.itemId}` : '',
        p.subjectKey ?? '',
      ]
        .filter(Boolean)
        .join(', ');
      lines.push(`  ${p.check}: ${where ? `${where}: ` : ''}${p.message}`);
    }
  }
  if (r.removalsDue.length > 0) {
    const items = r.removalsDue.reduce((n, d) => n + d.items.length, 0);
    lines.push(
      `removals due: ${r.removalsDue.length} subjects objected after the build, ${items} items`,
    );
    for (const d of r.removalsDue.slice(0, 20))
      lines.push(`  ${d.subjectKey}: ${d.items.length} item${d.items.length === 1 ? '' : 's'}`);
  }
  return lines.join('\n');
}
