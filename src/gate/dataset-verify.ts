import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createObjectorRecognizer } from '../redact/recognizers/objector-terms.ts';
import type { PiiSpan } from '../redact/types.ts';
import { readFilterFile } from '../registry-files/filter-file.ts';
import { HI, hashKey64, keyHash, LO } from '../registry-files/key-hash.ts';
import { readSnapshotHeader, scanSnapshotFile } from '../registry-files/snapshot-file.ts';
import { subjectKeyProblem } from '../registry-files/subject-keys.ts';
import type { ObjectorSource } from './build.ts';
import { hashFile } from './line-files.ts';
import { type DatasetManifest, MANIFEST_FORMAT } from './manifest.ts';
import {
  hashKeys,
  hashSnapshotChunk,
  type KeyHashes,
  ObjectorFilter,
  type ObjectorSet,
  ObjectorTable,
} from './objector-set.ts';
import { loadPolicy } from './policy.ts';
import type { Policy } from './policy-schema.ts';
import { REASONS } from './reasons.ts';
import { type FieldMapping, getterFor, mappedName } from './record-fields.ts';
import { ABSENT, ARRAY, NULL, NUMBER, RecordScanner, STRING } from './record-scanner.ts';
import type { GateRegistry } from './registry-port.ts';

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
 * `JSON.parse`), and the authors of a chunk are looked up in the objector set together.
 */

export const VERIFY_FORMAT = 'veto-dataset-verify/v1';

/** What verify checks, in report order (docs/gate.md "Verifying a dataset"). */
export const VERIFY_CHECKS = [
  'manifest',
  'utf8-json',
  'unique-ids',
  'objectors',
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
}

export interface VerifyOptions {
  /** The dataset directory (with `manifest.json`). */
  dir: string;
  /** A snapshot or filter file of the objector set at the cut-off (a recipient's, a regulator's). */
  objectors?: ObjectorSource;
  /** The live registry's answers: late objections, notice period, third parties' terms. */
  registry?: VerifyRegistry;
  /** The registry's records (standalone verify against a reachable registry). */
  records?: RegistryRecords;
  /** Problems listed in the report (all are counted). Default 100. */
  maxProblems?: number;
  now?: () => Date;
}

/** Kept authors asked about the notice at once (the port's limit). */
const NOTICE_BATCH = 10_000;
const READ_SIZE = 4 << 20;
const MAX_ID_LENGTH = 500;

const S_ID = 0;
const S_AUTHOR = 1;
const S_MENTIONS = 2;
const S_TEXT = 3;

/** Reads and checks a dataset directory; never throws for what it finds (only for I/O faults). */
export async function verifyDataset(options: VerifyOptions): Promise<VerifyReport> {
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
  try {
    manifest = JSON.parse(await readFile(join(options.dir, 'manifest.json'), 'utf8'));
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
        ['counts', JSON.stringify(recorded.counts), JSON.stringify(manifest.counts)],
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
  try {
    if (fileSource && 'snapshot' in fileSource) {
      const path = fileSource.snapshot;
      const header = await readSnapshotHeader(path);
      checkSameSnapshot(header, manifest, path, fail);
      const table = new ObjectorTable(header.count);
      const hashes: KeyHashes[] = [];
      const meta = await scanSnapshotFile(path, (chunk, firstLine) => {
        hashes.push(hashSnapshotChunk(path, chunk, chunk.length, firstLine));
      });
      table.addHashes(hashes);
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
  if (!objectors && checks.objectors.status !== 'fail') {
    fail({
      check: 'objectors',
      message:
        'no objector set to check against: connect the registry, or give --snapshot or --filter',
    });
  }

  // The registry's answers, asked again.
  const registry = options.registry;
  const coverMentions = policy.objections.coverMentions;
  let late: Set<string> | undefined;
  let sinceBuild: Set<string> | undefined;
  let terms: string[] = [];
  if (registry) {
    late = new Set(await registry.objectorsAddedSince(manifest.purpose, asOf));
    // Objections received after the build's last re-check are not the build's to remove: they
    // are listed as removals due (the removal planner records them against the inclusion index).
    const recheckAt = manifest.recheck?.performed ? manifest.recheck.at : undefined;
    sinceBuild = recheckAt
      ? new Set(await registry.objectorsAddedSince(manifest.purpose, recheckAt))
      : new Set(late);
    terms = await registry.objectorTerms(manifest.purpose, asOf);
  }
  const termFinder = terms.length > 0 ? createObjectorRecognizer(terms) : undefined;
  const spans: PiiSpan[] = [];
  const dueItems = new Map<string, string[]>();
  const keptAuthors = registry ? new Set<string>() : undefined;

  // The data file: hash, UTF-8, JSON, ids, objectors, late objections, terms, in one pass.
  const mapping: FieldMapping = manifest.mapping ?? {};
  const names = [
    mappedName(mapping, 'id'),
    mappedName(mapping, 'author_id'),
    mappedName(mapping, 'mentions'),
    mappedName(mapping, 'text'),
  ];
  const getters = (['id', 'author_id', 'mentions', 'text'] as const).map((f) =>
    getterFor(mapping, f),
  );
  const scanner =
    names.every((n) => !n.includes('.') && !(n in Object.prototype)) &&
    new Set(names).size === names.length
      ? new RecordScanner(names)
      : undefined;
  const ids = new HashSet64();
  const duplicateHashes = new HashSet64();
  let dataPath = join(options.dir, manifest.output.file);
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
    const hash = createHash('sha256');
    // Per chunk: the records' subjects, hashed, looked up together after the chunk.
    let pending: { key: string; line: number; itemId: string; role: 'author' | 'mention' }[] = [];
    const lookUp = () => {
      if (pending.length === 0) return;
      const n = pending.length;
      const out = new Uint8Array(n);
      if (objectors) {
        const { his, los } = hashKeys(pending.map((p) => p.key));
        objectors.hasAll(his, los, n, out);
      }
      for (let k = 0; k < n; k++) {
        const p = pending[k]!;
        if (out[k] === 1) {
          fail({
            check: 'objectors',
            line: p.line,
            itemId: p.itemId,
            subjectKey: p.key,
            message: `kept record ${p.role === 'author' ? 'authored by' : 'mentioning'} a subject whose objection was effective at the cut-off`,
          });
        } else if (late?.has(p.key)) {
          if (sinceBuild?.has(p.key)) {
            const items = dueItems.get(p.key) ?? [];
            items.push(p.itemId);
            dueItems.set(p.key, items);
          } else {
            fail({
              check: 'late-objections',
              line: p.line,
              itemId: p.itemId,
              subjectKey: p.key,
              message: `kept record ${p.role === 'author' ? 'authored by' : 'mentioning'} a subject whose objection arrived after the cut-off but before the build's re-check`,
            });
          }
        }
      }
      pending = [];
    };

    const onLine = (b: Buffer, s: number, e: number) => {
      const line = ++lineNo;
      if (s === e) {
        blank++;
        fail({ check: 'utf8-json', line, message: 'empty line' });
        return;
      }
      let id: unknown;
      let author: unknown;
      let mentions: unknown;
      let text: unknown;
      if (scanner?.scanAt(s, e)) {
        id = scanner.type[S_ID] === ABSENT ? undefined : scanner.value(b, S_ID);
        author = scanner.type[S_AUTHOR] === ABSENT ? undefined : scanner.value(b, S_AUTHOR);
        const mt = scanner.type[S_MENTIONS];
        mentions =
          mt === ABSENT
            ? undefined
            : mt === ARRAY || mt === NULL
              ? scanner.value(b, S_MENTIONS)
              : 0;
        const tt = scanner.type[S_TEXT];
        text = termFinder && tt === STRING ? scanner.string(b, S_TEXT) : tt === STRING ? '' : 0;
        if (scanner.type[S_ID] === NUMBER && !Number.isSafeInteger(id)) id = Number.NaN;
      } else {
        let record: unknown;
        try {
          record = JSON.parse(b.toString('utf8', s, e));
        } catch (err) {
          fail({ check: 'utf8-json', line, message: `not JSON: ${(err as Error).message}` });
          return;
        }
        if (record === null || typeof record !== 'object' || Array.isArray(record)) {
          fail({ check: 'utf8-json', line, message: 'not a JSON object' });
          return;
        }
        const r = record as Record<string, unknown>;
        id = getters[S_ID]!(r);
        author = getters[S_AUTHOR]!(r);
        mentions = getters[S_MENTIONS]!(r);
        text = getters[S_TEXT]!(r);
      }
      const itemId = identifier(id);
      if (itemId === undefined) {
        fail({ check: 'unique-ids', line, message: `${names[S_ID]}: missing or not an id` });
      } else {
        hashKey64(itemId);
        if (!ids.add(keyHash[HI]!, keyHash[LO]!)) duplicateHashes.add(keyHash[HI]!, keyHash[LO]!);
      }
      const item = itemId ?? `line ${line}`;
      const authorId = identifier(author);
      if (authorId === undefined) {
        fail({
          check: 'objectors',
          line,
          itemId: item,
          message: `${names[S_AUTHOR]}: missing or not an account id, so the author cannot be checked`,
        });
      } else {
        const key = `acct:${authorId}`;
        pending.push({ key, line, itemId: item, role: 'author' });
        keptAuthors?.add(key);
      }
      if (mentions !== undefined && mentions !== null) {
        if (!Array.isArray(mentions)) {
          fail({
            check: 'objectors',
            line,
            itemId: item,
            message: `${names[S_MENTIONS]}: not an array`,
          });
        } else if (coverMentions) {
          for (const m of mentions) {
            // As the gate reads a mention: a string or an integer, a subject key once prefixed.
            const s2 =
              typeof m === 'string'
                ? m
                : typeof m === 'number' && Number.isSafeInteger(m)
                  ? String(m)
                  : undefined;
            const key =
              s2 === undefined
                ? undefined
                : s2.startsWith('acct:') || s2.startsWith('email:')
                  ? s2
                  : `acct:${s2}`;
            if (key === undefined || subjectKeyProblem(key)) {
              fail({
                check: 'objectors',
                line,
                itemId: item,
                message: `${names[S_MENTIONS]}: an entry is not an account id or subject key`,
              });
              continue;
            }
            if (key !== `acct:${authorId}`)
              pending.push({ key, line, itemId: item, role: 'mention' });
          }
        }
      }
      if (typeof text !== 'string') {
        fail({ check: 'utf8-json', line, itemId: item, message: `${names[S_TEXT]}: not a string` });
      } else if (termFinder && text.length > 0) {
        spans.length = 0;
        termFinder.find(text, spans);
        if (spans.length > 0) {
          fail({
            check: 'third-party-terms',
            line,
            itemId: item,
            message: `kept text names a third party who objected (${spans.length} place${spans.length === 1 ? '' : 's'} unredacted)`,
          });
        }
      }
    };

    const file = await open(dataPath, 'r');
    try {
      let carry: Buffer | undefined;
      let buf = Buffer.allocUnsafe(READ_SIZE + (64 << 10));
      for (;;) {
        const carried = carry?.length ?? 0;
        if (carried + READ_SIZE > buf.length) {
          const bigger = Buffer.allocUnsafe(carried + READ_SIZE);
          buf = bigger;
        }
        if (carry) carry.copy(buf, 0);
        const { bytesRead } = await file.read(buf, carried, READ_SIZE, null);
        if (scratch === undefined) hash.update(buf.subarray(carried, carried + bytesRead));
        dataBytes += scratch === undefined ? bytesRead : 0;
        const total = carried + bytesRead;
        const last = bytesRead === 0 ? total - 1 : buf.lastIndexOf(10, total - 1);
        if (last < 0 && bytesRead > 0) {
          carry = Buffer.from(buf.subarray(0, total));
          continue;
        }
        const end = bytesRead === 0 ? total : last + 1;
        if (end > 0) {
          const region = buf.subarray(0, end);
          const firstLine = lineNo + 1;
          // Which lines are not UTF-8: looked for only when the chunk as a whole is not.
          const badStarts = new Set<number>();
          if (!isUtf8(region)) {
            let s = 0;
            let n = firstLine;
            while (s < end) {
              let nl = buf.indexOf(10, s);
              if (nl < 0 || nl >= end) nl = end;
              if (!isUtf8(buf.subarray(s, nl))) {
                fail({ check: 'utf8-json', line: n, message: 'not valid UTF-8' });
                badStarts.add(s);
              }
              n++;
              s = nl + 1;
            }
          }
          scanner?.load(buf, end);
          let s = 0;
          while (s < end) {
            let nl = buf.indexOf(10, s);
            if (nl < 0 || nl >= end) nl = end;
            if (badStarts.size > 0 && badStarts.has(s)) lineNo++;
            else onLine(buf, s, nl);
            s = nl + 1;
          }
          lookUp();
        }
        if (bytesRead === 0) break;
        carry = end < total ? Buffer.from(buf.subarray(end, total)) : undefined;
      }
    } finally {
      await file.close();
    }
    if (scratch === undefined) dataSha = hash.digest('hex');
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
  checks.manifest.detail = [`data and policy hashes against manifest.json`, ...manifestNotes].join(
    '; ',
  );

  checks['unique-ids'].detail = `${keptRecords} ids`;

  checks.objectors.detail = `${objectorSource}; authors${coverMentions ? ' and mentioned people' : ''}`;

  // Notice period: every kept author must have been shown the notice long enough.
  if (registry && keptAuthors) {
    const shownBy = new Date(
      Date.parse(asOf) - policy.notice.minimumDays * 86_400_000,
    ).toISOString();
    const authors = [...keptAuthors];
    let missing = 0;
    for (let i = 0; i < authors.length; i += NOTICE_BATCH) {
      const answer = await registry.subjectsWithoutNotice({
        purpose: manifest.purpose,
        noticeVersion: policy.notice.version,
        shownBy,
        subjectKeys: authors.slice(i, i + NOTICE_BATCH),
      });
      for (const key of answer) {
        missing++;
        fail({
          check: 'notice-period',
          subjectKey: key,
          message: `a kept author was not shown notice ${policy.notice.version} by ${shownBy}`,
        });
      }
    }
    checks['notice-period'].detail =
      `${authors.length} kept authors, notice ${policy.notice.version} shown by ${shownBy}${missing ? `; ${missing} not` : ''}`;
    checks['late-objections'].detail =
      `${late?.size ?? 0} objections received since the cut-off; ${sinceBuild?.size ?? 0} since the build's re-check`;
    checks['third-party-terms'].detail = `${terms.length} terms`;
  } else {
    const why = 'no registry to ask (give one, or verify where the registry is reachable)';
    skip('notice-period', why);
    skip('late-objections', why);
    skip('third-party-terms', why);
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
  const decisionsPath = join(options.dir, manifest.files.decisions);
  if (existsSync(decisionsPath)) {
    const tally = await tallyDecisions(decisionsPath);
    for (const [reason, n] of tally) {
      const claimed = (counts as Record<string, number>)[reason] ?? 0;
      if (claimed !== n)
        countProblem(
          `${manifest.files.decisions} has ${n} "${reason}" rows, the manifest ${claimed}`,
        );
    }
    for (const r of REASONS) {
      if ((counts[r] ?? 0) > 0 && !tally.has(r))
        countProblem(`${manifest.files.decisions} has no "${r}" rows, the manifest ${counts[r]}`);
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

/** A record id as the gate reads one: a string, or a safe integer, without control characters. */
function identifier(v: unknown): string | undefined {
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) s = String(v);
  else return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ids hold none
  if (s.length === 0 || s.length > MAX_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(s))
    return undefined;
  return s;
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

/** Rows per reason of a decision log (`input line reason item_id`, header first). */
async function tallyDecisions(path: string): Promise<Map<string, number>> {
  const { forEachLine } = await import('./line-files.ts');
  const tally = new Map<string, number>();
  let header = true;
  await forEachLine(path, (b, s, e) => {
    if (header) {
      header = false;
      return;
    }
    const t1 = b.indexOf(9, s);
    const t2 = t1 < 0 ? -1 : b.indexOf(9, t1 + 1);
    const t3 = t2 < 0 ? -1 : b.indexOf(9, t2 + 1);
    const reason = t3 < 0 || t3 > e ? '(malformed row)' : b.toString('latin1', t2 + 1, t3);
    tally.set(reason, (tally.get(reason) ?? 0) + 1);
  });
  return tally;
}

/** An open-addressing set of 64-bit hashes (two uint32 lanes), growing at 60 % load. */
class HashSet64 {
  #slots = new Uint32Array(2 * 1024);
  #mask = 1023;
  size = 0;

  /** False when the hash was already there. */
  add(hi: number, lo: number): boolean {
    const h = hi || 1;
    if (this.size + 1 > (this.#mask + 1) * 0.6) this.#grow();
    const slots = this.#slots;
    let i = lo & this.#mask;
    for (;;) {
      const a = slots[2 * i]!;
      if (a === 0) {
        slots[2 * i] = h;
        slots[2 * i + 1] = lo;
        this.size++;
        return true;
      }
      if (a === h && slots[2 * i + 1] === lo) return false;
      i = (i + 1) & this.#mask;
    }
  }

  has(hi: number, lo: number): boolean {
    const h = hi || 1;
    const slots = this.#slots;
    let i = lo & this.#mask;
    for (;;) {
      const a = slots[2 * i]!;
      if (a === 0) return false;
      if (a === h && slots[2 * i + 1] === lo) return true;
      i = (i + 1) & this.#mask;
    }
  }

  #grow(): void {
    const old = this.#slots;
    this.#mask = this.#mask * 2 + 1;
    this.#slots = new Uint32Array(2 * (this.#mask + 1));
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) this.add(old[i]!, old[i + 1]!);
  }
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
