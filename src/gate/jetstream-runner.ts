import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { endianness, tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import {
  AckPolicy,
  connect,
  type JetStreamClient,
  type JetStreamManager,
  type KV,
  type NatsConnection,
  nanos,
  type ObjectStore,
  RetentionPolicy,
  StorageType,
} from 'nats';
import { readFilterFile } from '../registry-files/filter-file.ts';
import { readSnapshotHeader } from '../registry-files/snapshot-file.ts';
import { summariseBatch } from './batch-summary.ts';
import { datasetPseudonymKey, type JudgeStage, type JudgeStageResult } from './build.ts';
import { DecisionIds } from './duplicate-ids.ts';
import type { BatchResult, Judge, JudgeConfig } from './judge.ts';
import { hashFile } from './line-files.ts';
import type { DatasetManifest } from './manifest.ts';
import { OBJECTOR_TABLE_FORMAT, ObjectorFilter, ObjectorTable } from './objector-set.ts';
import { parsePolicy } from './policy.ts';
import { REASONS } from './reasons.ts';
import type { FieldMapping } from './record-fields.ts';
import { WorkerPool } from './worker-pool.ts';

/**
 * The gate on many machines through NATS JetStream (docs/scale.md). The coordinator (`veto gate
 * build --runner jetstream`) cuts the inputs into fixed shards (byte ranges ending at a line
 * end), hands workers what they need by content hash (policy, third parties' terms and a filter
 * file through the Object Store; the objector table it has loaded through the build's shared
 * folder), and publishes one task per shard on a work-queue stream, each with `Nats-Msg-Id` =
 * build and shard so that publishing again never queues it twice. Workers (`veto gate worker`)
 * take one task at a time, fetch and verify what it names (keeping the set and the judge for the
 * next shard of the build), judge the shard with the gate's own `Judge`, write the shard's rows
 * and its manifest to the shared folder, note it in the build's KV bucket and acknowledge (with
 * in-progress acknowledgements while judging). A worker that dies leaves its task
 * unacknowledged: it is delivered again after the ack wait. The coordinator appends the shards
 * in order as they are done, so the staged files are byte for byte those of a one-process build
 * (a shard starts at a known line; records are judged alone), and `buildDataset` goes on as
 * always: duplicate ids, notice period, late objections, `veto dataset verify`, sealing.
 */

/** Names of the JetStream resources: one set per deployment (`VETO_GATE_QUEUE`). */
export interface QueueNames {
  stream: string;
  subject: string;
  consumer: string;
  kv: string;
  objects: string;
}

export function queueNames(prefix = process.env.VETO_GATE_QUEUE ?? 'veto-gate'): QueueNames {
  if (!/^[A-Za-z0-9_-]+$/.test(prefix))
    throw new Error('VETO_GATE_QUEUE: letters, digits, _ and -');
  return {
    stream: `${prefix}-tasks`,
    subject: `${prefix}.task`,
    consumer: `${prefix}-workers`,
    kv: `${prefix}-builds`,
    objects: `${prefix}-objects`,
  };
}

/** How often a waiting build looks whether any worker is at work. */
const IDLE_POLL_MS = 5000;

/** Seconds a task may go without an (in-progress) acknowledgement before it is redelivered. */
export function ackWaitSeconds(): number {
  const s = Number(process.env.VETO_GATE_ACK_WAIT_SECONDS ?? 30);
  if (!Number.isFinite(s) || s < 1) throw new Error('VETO_GATE_ACK_WAIT_SECONDS: at least 1');
  return s;
}

/**
 * Seconds a build waits with shards outstanding while no worker holds any task of the queue
 * (none running, or all gone) before it fails, saying so: without it a build started before its
 * workers, or after they all died, waits forever in silence.
 */
export function idleSeconds(): number {
  const s = Number(process.env.VETO_GATE_IDLE_SECONDS ?? 300);
  if (!Number.isFinite(s) || s < 1) throw new Error('VETO_GATE_IDLE_SECONDS: at least 1');
  return s;
}

interface Queue {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  kv: KV;
  os: ObjectStore;
  names: QueueNames;
}

/** Connects and makes sure the stream, its one pull consumer and the buckets exist. */
export async function openQueue(url: string, names = queueNames()): Promise<Queue> {
  const nc = await connect({ servers: url, name: 'veto-gate' });
  try {
    const jsm = await nc.jetstreamManager();
    try {
      await jsm.streams.info(names.stream);
    } catch {
      await jsm.streams.add({
        name: names.stream,
        subjects: [`${names.subject}.>`],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        duplicate_window: nanos(10 * 60_000),
      });
    }
    const ackWait = nanos(ackWaitSeconds() * 1000);
    try {
      const info = await jsm.consumers.info(names.stream, names.consumer);
      if (info.config.ack_wait !== ackWait)
        await jsm.consumers.update(names.stream, names.consumer, { ack_wait: ackWait });
    } catch {
      await jsm.consumers.add(names.stream, {
        durable_name: names.consumer,
        ack_policy: AckPolicy.Explicit,
        ack_wait: ackWait,
        max_ack_pending: -1,
      });
    }
    const js = nc.jetstream();
    const kv = await js.views.kv(names.kv, { history: 1 });
    const os = await js.views.os(names.objects);
    return { nc, js, jsm, kv, os, names };
  } catch (err) {
    await nc.close();
    throw err;
  }
}

/** One shard: a byte range of one input, starting at line `firstLine`. */
export interface ShardTask {
  /** The run: the dataset id and a random suffix. */
  build: string;
  datasetId: string;
  shard: number;
  input: number;
  path: string;
  start: number;
  end: number;
  firstLine: number;
  /**
   * CRC-32 of the shard's bytes as the coordinator read them while planning (the same read
   * that hashes the whole input for the manifest): a worker that reads other bytes fails the
   * shard. A change detector, not a seal: whoever can rewrite the inputs during a build can
   * rewrite them before it, and every record is judged whatever its bytes. Why not sha256:
   * zlib's CRC-32 takes about half its CPU (measured on 1 GiB in memory, machine loaded:
   * 0.8-1.2 s against 2.0 s), and this check runs over every input byte twice and every
   * output byte twice.
   */
  crc32: number;
  /**
   * A shard of a Parquet input: row groups, whose rows the worker turns into the JSONL lines one
   * process judges (`parquetRowsToJsonl`). `start`/`end` and `crc32` are then the bytes of
   * those row groups; the footer (the file's schema and row-group index) is checked too.
   */
  parquet?: ParquetShard;
  inputs: string[];
  policy: { sha256: string; name: string };
  objectors: TaskObjectors;
  terms: string;
  mapping: FieldMapping;
  /** The dataset pseudonym key's id: the worker derives the key from its own VETO_PSEUDONYM_KEY. */
  pseudonymKeyId?: string;
  /** Where the shard's files go (shared by every worker). */
  dir: string;
}

/**
 * The objector set a task is judged against. A snapshot goes as the coordinator's table
 * itself (its slots, as the one-process gate shares them between threads), written once to
 * the build's shared folder and named by its sha256: a worker reads it in ~0.3 s instead of
 * hashing 10M keys again (~1.9 s of CPU per worker process), and it does not pass through the
 * Object Store, which moved 134 MB at ~40 MB/s here (3.3 s to put, 2.9 s per worker to get).
 * A filter file (about 9 bits per key) goes through the Object Store, as the policy does.
 */
export type TaskObjectors =
  | { kind: 'filter'; sha256: string }
  | {
      kind: 'table';
      sha256: string;
      /** The file in the build's shared folder. */
      path: string;
      count: number;
      /** {@link OBJECTOR_TABLE_FORMAT} of the coordinator: a worker of another layout refuses. */
      format: string;
    };

/** Which rows of a Parquet input a shard holds, and the file's footer as planned. */
export interface ParquetShard {
  firstRow: number;
  rows: number;
  /** The file's size and the CRC-32 of its bytes after the last row group (the footer). */
  fileBytes: number;
  footerStart: number;
  footerCrc32: number;
}

/** A done shard, as the worker notes it in KV and in `shard-N.json`. */
export interface ShardManifest {
  shard: number;
  status: 'done';
  counts: number[];
  kept: number;
  blank: number;
  redacted: number;
  /**
   * Each file's size and CRC-32 (a change detector, as the task's: the files live seconds). The
   * summary files are missing from a worker of a version before them: its rows are scanned.
   */
  files: Record<ShardFile, { bytes: number; crc32: number }> &
    Partial<Record<SummaryFile, { bytes: number; crc32: number }>>;
  /** Wall time the worker spent reading, judging and writing the shard, once its objects were loaded (the bench). */
  judgeMs: number;
  /** When (epoch ms) the worker took the task, had its objects, had judged and written it (the bench's breakdown). */
  timings?: ShardTimings;
}

/** Where a worker's time on one shard went, as epoch milliseconds (clocks of one machine compare). */
export interface ShardTimings {
  worker: number;
  received: number;
  /** Policy, terms and objector set fetched (and the set loaded when this worker had not yet). */
  ready: number;
  /** Of `ready - received`: fetching the objector set from the object store, and loading it. */
  fetchMs: number;
  loadMs: number;
  /** Read, judged and written. */
  judged: number;
  /** Noted in KV. */
  noted: number;
}
type ShardFile = 'data' | 'inclusions' | 'decisions' | 'rejects';
const SHARD_FILES: ShardFile[] = ['data', 'inclusions', 'decisions', 'rejects'];
/**
 * What the worker works out of its shard's rows for the build, as one process's threads do for
 * each batch (batch-summary.ts): `ids`, the decision rows' id hashes (32-bit words, little-endian,
 * in row order); `authors`, each judged batch's kept authors, a line each. Why: the coordinator
 * scanning every decision and inclusion row for them was ~1.5 s of its one thread at bench scale
 * (1 GB), most of it a `Set` of author strings, while the workers judged; and that thread is what
 * assembles every worker's output.
 */
type SummaryFile = 'ids' | 'authors';
const SUMMARY_FILES: SummaryFile[] = ['ids', 'authors'];
const BIG_ENDIAN = endianness() === 'BE';

interface ShardFailure {
  shard: number;
  status: 'failed';
  error: string;
}

const shardKey = (build: string, shard: number) => `${build}.shard.${shard}`;
const shardFile = (dir: string, shard: number, f: ShardFile | SummaryFile | 'manifest') =>
  join(dir, `shard-${String(shard).padStart(6, '0')}.${f === 'manifest' ? 'json' : f}`);

async function putObject(os: ObjectStore, path: string, sha256: string): Promise<void> {
  if (await os.info(sha256)) return;
  await os.put(
    { name: sha256 },
    Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>,
  );
}

async function putText(os: ObjectStore, text: string): Promise<string> {
  const sha256 = createHash('sha256').update(text).digest('hex');
  if (!(await os.info(sha256))) await os.putBlob({ name: sha256 }, Buffer.from(text));
  return sha256;
}

/** Fetches an object into the local cache, checking its sha256 (its name). */
async function fetchObject(os: ObjectStore, sha256: string): Promise<string> {
  const dir = process.env.VETO_GATE_CACHE ?? join(tmpdir(), 'veto-gate-objects');
  await mkdir(dir, { recursive: true });
  const path = join(dir, sha256);
  try {
    if ((await hashFile(path)).sha256 === sha256) return path;
  } catch {}
  const result = await os.get(sha256);
  if (!result) throw new Error(`object ${sha256} is not in the object store`);
  const partial = `${path}.${process.pid}.partial`;
  const file = await open(partial, 'w');
  const hash = createHash('sha256');
  try {
    const reader = result.data.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      await file.write(value);
    }
    await result.error;
  } finally {
    await file.close();
  }
  if (hash.digest('hex') !== sha256) {
    await rm(partial, { force: true });
    throw new Error(`object ${sha256}: the bytes fetched do not have that sha256`);
  }
  await rename(partial, path);
  return path;
}

/**
 * Plans the shards of the JSONL inputs: about `total bytes / shards` each, cut at the first line
 * end at or after each mark, never across inputs. One read of every input gives the shards'
 * first lines and CRC-32s and the inputs' sha256s and line counts (the manifest's, as one
 * process computes them while it reads), shard by shard through `onShard` so tasks go out while
 * the rest is read: the first shard's task leaves after the first `total / shards` bytes.
 */
export async function planShards(
  inputs: string[],
  shards: number,
  onShard: (s: PlannedShard) => Promise<void>,
): Promise<DatasetManifest['inputs']> {
  const sizes = await Promise.all(inputs.map(async (p) => (await stat(p)).size));
  const target = Math.max(1, Math.ceil(sizes.reduce((a, b) => a + b, 0) / shards));
  const info: DatasetManifest['inputs'] = [];
  const buf = Buffer.allocUnsafe(4 << 20);
  for (let input = 0; input < inputs.length; input++) {
    const path = inputs[input]!;
    if (isParquet(path)) {
      info.push(await planParquetShards(input, path, target, buf, onShard));
      continue;
    }
    const file = await open(path, 'r');
    const whole = createHash('sha256');
    let crc = 0;
    let start = 0;
    let firstLine = 1;
    let line = 1;
    let pos = 0;
    let lastByte = 10;
    try {
      for (;;) {
        const { bytesRead } = await file.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        whole.update(chunk);
        let from = 0;
        for (;;) {
          const mark = start + target;
          // The end of this shard: the first line end at or after the mark, if in this chunk.
          const at = mark - 1 - pos;
          const nl = at < chunk.length ? chunk.indexOf(10, Math.max(from, at)) : -1;
          const upTo = nl === -1 ? chunk.length : nl + 1;
          for (let i = chunk.indexOf(10, from); i !== -1 && i < upTo; i = chunk.indexOf(10, i + 1))
            line++;
          crc = crc32(chunk.subarray(from, upTo), crc);
          if (nl === -1) break;
          const end = pos + nl + 1;
          await onShard({ input, start, end, firstLine, crc32: crc });
          crc = 0;
          start = end;
          firstLine = line;
          from = nl + 1;
        }
        lastByte = chunk[chunk.length - 1]!;
        pos += bytesRead;
      }
    } finally {
      await file.close();
    }
    if (pos > start) await onShard({ input, start, end: pos, firstLine, crc32: crc });
    // As one process describes a JSONL input (same fields, same order).
    info.push({
      path,
      format: 'jsonl',
      bytes: pos,
      sha256: whole.digest('hex'),
      lines: lastByte === 10 ? line - 1 : line,
    });
  }
  return info;
}

/** One shard as planned: a line-aligned byte range of a JSONL input, or row groups of a Parquet one. */
export interface PlannedShard {
  input: number;
  start: number;
  end: number;
  firstLine: number;
  crc32: number;
  parquet?: ParquetShard;
}

/** Whether the gate reads an input as Parquet (as `buildDataset` decides it: by its extension). */
function isParquet(path: string): boolean {
  return extname(path).toLowerCase() === '.parquet';
}

/**
 * Plans a Parquet input's shards: consecutive row groups of about `target` bytes, never one
 * split (a row group is the unit a Parquet reader reads). One read of the file gives its sha256
 * for the manifest and the CRC-32 of each shard's row groups and of the footer.
 */
async function planParquetShards(
  input: number,
  path: string,
  target: number,
  buf: Buffer,
  onShard: (s: PlannedShard) => Promise<void>,
): Promise<DatasetManifest['inputs'][number]> {
  const { parquetRowGroups } = await import('./parquet.ts');
  const groups = await parquetRowGroups(path);
  const planned: { start: number; end: number; firstRow: number; rows: number }[] = [];
  let row = 0;
  for (const g of groups) {
    const last = planned[planned.length - 1];
    if (last && last.end === g.start && last.end - last.start < target) {
      last.end = g.end;
      last.rows += g.rows;
    } else planned.push({ start: g.start, end: g.end, firstRow: row, rows: g.rows });
    row += g.rows;
  }
  const file = await open(path, 'r');
  const whole = createHash('sha256');
  let size = 0;
  const crcs = planned.map(() => 0);
  const footerStart = planned.length > 0 ? planned[planned.length - 1]!.end : 0;
  let footerCrc = 0;
  try {
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      whole.update(chunk);
      const from = size;
      const to = size + bytesRead;
      planned.forEach((p, i) => {
        const a = Math.max(p.start, from);
        const b = Math.min(p.end, to);
        if (a < b) crcs[i] = crc32(chunk.subarray(a - from, b - from), crcs[i]);
      });
      const f = Math.max(footerStart, from);
      if (f < to) footerCrc = crc32(chunk.subarray(f - from), footerCrc);
      size = to;
    }
  } finally {
    await file.close();
  }
  for (let i = 0; i < planned.length; i++) {
    const p = planned[i]!;
    await onShard({
      input,
      start: p.start,
      end: p.end,
      firstLine: p.firstRow + 1,
      crc32: crcs[i]!,
      parquet: {
        firstRow: p.firstRow,
        rows: p.rows,
        fileBytes: size,
        footerStart,
        footerCrc32: footerCrc,
      },
    });
  }
  // As one process describes a Parquet input (same fields, same order): its rows as lines.
  return { path, format: 'parquet', sha256: whole.digest('hex'), bytes: size, lines: row };
}

export interface JetStreamRunnerOptions {
  nats: string;
  shards: number;
  names?: QueueNames;
  /**
   * Take up the last run of this dataset id whose coordinator died, if it had the same inputs,
   * policy, objector set and shard count: shards already judged are appended, not judged again.
   */
  resume?: boolean;
  /** Called as each shard is published and as each is appended (tests, the bench). */
  onEvent?: (event: {
    kind:
      | 'entered'
      | 'started'
      | 'resumed'
      | 'stored'
      | 'published'
      | 'appended'
      | 'planned'
      | 'judged';
    shard: number;
    at: number;
    manifest?: ShardManifest;
    /** For `appended`: the coordinator's time copying and checking the shard's files. */
    appendMs?: number;
  }) => void;
}

/** `buildDataset`'s `judgeElsewhere` for the JetStream runner. */
export function jetstreamJudge(options: JetStreamRunnerOptions) {
  return async (stage: JudgeStage): Promise<JudgeStageResult> => {
    options.onEvent?.({ kind: 'entered', shard: 0, at: Date.now() });
    const queue = await openQueue(options.nats, options.names);
    const { kv, os, js, names } = queue;
    let build = '';
    let dir: string | undefined;
    let watcher: Awaited<ReturnType<KV['watch']>> | undefined;
    try {
      // What every task names, by content hash.
      const policyName = `policy${extname(stage.policy.path) || '.yaml'}`;
      const policySha = await putText(os, stage.policy.source);
      const objectorPath =
        'snapshot' in stage.objectors ? stage.objectors.snapshot : stage.objectors.filter;
      const loaded = stage.config.objectors;
      let objectorSha: string;
      let table: Extract<TaskObjectors, { kind: 'table' }> | undefined;
      if (loaded.kind === 'table') {
        table = objectorTable(loaded.slots, loaded.count);
        // The set's identity for taking a run up: the snapshot's (the sha256 of its keys, which
        // the build checked the body against). Not the table's: threads that fill it together
        // place colliding keys in the order they come, so two loads of one snapshot can differ.
        objectorSha = (await readSnapshotHeader(objectorPath)).sha256;
      } else {
        objectorSha = (await hashFile(objectorPath)).sha256;
        await putObject(os, objectorPath, objectorSha);
      }
      const terms = await putText(os, JSON.stringify(stage.config.objectorTerms ?? []));
      const keyId = stage.config.pseudonymKey
        ? pseudonymKeyIdOf(stage.config.pseudonymKey)
        : undefined;

      // The run: its own id, so the same dataset id built again never reads an earlier run's
      // shards; noted in KV so that a coordinator that died can be taken up (`resume`).
      const fingerprint = createHash('sha256')
        .update(
          JSON.stringify([
            policySha,
            objectorSha,
            terms,
            keyId,
            stage.config.mapping,
            stage.config.inputs,
            options.shards,
          ]),
        )
        .digest('hex');
      const runKey = `run.${stage.datasetId}`;
      const previous = options.resume
        ? (await kv.get(runKey))?.json<{ build: string; fingerprint: string }>()
        : undefined;
      build =
        previous?.fingerprint === fingerprint
          ? previous.build
          : `${stage.datasetId}_${randomBytes(6).toString('hex')}`;
      options.onEvent?.({
        kind: previous?.build === build ? 'resumed' : 'started',
        shard: 0,
        at: Date.now(),
      });
      await kv.put(runKey, JSON.stringify({ build, fingerprint }));
      dir = join(stage.outDir, `.${build}.shards`);
      await mkdir(dir, { recursive: true });
      const taskObjectors: TaskObjectors =
        table && loaded.kind === 'table'
          ? await writeObjectorTable(dir, table, loaded.slots)
          : { kind: 'filter', sha256: objectorSha };
      options.onEvent?.({ kind: 'stored', shard: 0, at: Date.now() });

      // Shard outcomes as workers note them; watched from before the first task goes out.
      const outcomes = new Map<number, ShardManifest | ShardFailure>();
      let wake: (() => void) | undefined;
      const idleMs = idleSeconds() * 1000;
      /** When a worker was last seen at work (an outcome noted, or a task held). */
      let lastWork = Date.now();
      watcher = await kv.watch({ key: `${build}.shard.>` });
      (async () => {
        for await (const e of watcher!) {
          if (e.operation !== 'PUT') continue;
          const value = e.json<ShardManifest | ShardFailure>();
          outcomes.set(value.shard, value);
          lastWork = Date.now();
          wake?.();
        }
      })().catch(() => {});

      const shards: ShardTask[] = [];
      const planning = planShards(stage.config.inputs, options.shards, async (s) => {
        const task: ShardTask = {
          build,
          datasetId: stage.datasetId,
          shard: shards.length,
          ...s,
          path: stage.config.inputs[s.input]!,
          inputs: stage.config.inputs,
          policy: { sha256: policySha, name: policyName },
          objectors: taskObjectors,
          terms,
          mapping: stage.config.mapping,
          ...(keyId ? { pseudonymKeyId: keyId } : {}),
          dir: dir!,
        };
        shards.push(task);
        await js.publish(`${names.subject}.${build}.${task.shard}`, JSON.stringify(task), {
          msgID: `${build}.${task.shard}`,
        });
        options.onEvent?.({ kind: 'published', shard: task.shard, at: Date.now() });
        wake?.();
      });
      let planned: Awaited<typeof planning> | undefined;
      let planError: unknown;
      planning.then(
        (p) => {
          planned = p;
          options.onEvent?.({ kind: 'planned', shard: shards.length, at: Date.now() });
          wake?.();
        },
        (err) => {
          planError = err;
          wake?.();
        },
      );

      let kept = 0;
      let blank = 0;
      let redacted = 0;
      const appendBuffer = Buffer.allocUnsafe(8 << 20);
      const decisionIds = new DecisionIds();
      for (let next = 0; ; ) {
        if (planError) throw planError;
        if (planned && next >= shards.length) break;
        const outcome = outcomes.get(next);
        // A resumed run knows some outcomes before it has planned their shards again.
        if (!outcome || next >= shards.length) {
          await new Promise<void>((r) => {
            wake = r;
            setTimeout(r, Math.min(IDLE_POLL_MS, idleMs));
          });
          wake = undefined;
          if (Date.now() - lastWork >= idleMs && shards.length > 0) {
            // A task held by any worker (of this build or another in the queue) is work going
            // on: the build waits its turn. None held, for that long: no worker is there.
            const info = await queue.jsm.consumers.info(names.stream, names.consumer);
            if (info.num_ack_pending > 0) lastWork = Date.now();
            else
              throw new Error(
                `no worker has taken a task of the queue for ${Math.round(idleMs / 1000)} s, shard ${next} and ${shards.length - next - 1} more waiting: start \`veto gate worker --nats URL\` (same VETO_GATE_QUEUE), or wait longer with VETO_GATE_IDLE_SECONDS`,
              );
          }
          continue;
        }
        const task = shards[next]!;
        if (outcome.status === 'failed') {
          const where = task.parquet
            ? `rows ${task.parquet.firstRow}-${task.parquet.firstRow + task.parquet.rows - 1}`
            : `bytes ${task.start}-${task.end}, from line ${task.firstLine}`;
          throw new Error(`shard ${next} (${task.path} ${where}) failed: ${outcome.error}`);
        }
        const appendStarted = performance.now();
        await appendShard(stage, task, outcome, appendBuffer, decisionIds);
        const appendMs = performance.now() - appendStarted;
        kept += outcome.kept;
        blank += outcome.blank;
        redacted += outcome.redacted;
        stage.progress(task.end - task.start, outcome.counts);
        options.onEvent?.({
          kind: 'appended',
          shard: next,
          at: Date.now(),
          manifest: outcome,
          appendMs,
        });
        next++;
      }
      options.onEvent?.({ kind: 'judged', shard: shards.length, at: Date.now() });
      return {
        kept,
        blankLines: blank,
        redacted,
        inputs: planned!,
        decisionIds,
        noticeFed: true,
      };
    } catch (err) {
      // Nothing more to judge for this build: its remaining tasks leave the queue.
      await queue.jsm.streams
        .purge(names.stream, { filter: `${names.subject}.${build}.>` })
        .catch(() => {});
      throw err;
    } finally {
      // Sealed or failed, the run is over: nothing to take up, its shards can go.
      watcher?.stop();
      if (dir) {
        await kv.delete(`run.${stage.datasetId}`).catch(() => {});
        await queue.jsm.streams
          .purge(`KV_${names.kv}`, { filter: `$KV.${names.kv}.${build}.>` })
          .catch(() => {});
        // A worker may still be writing a shard of a failed run: retried, and never in the way
        // of the build's own outcome.
        await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }).catch(
          () => {},
        );
      }
      await queue.nc.close();
    }
  };
}

/** The coordinator's objector table as a task names it (its file is written with the run's folder). */
function objectorTable(
  slots: SharedArrayBuffer,
  count: number,
): Extract<TaskObjectors, { kind: 'table' }> {
  const sha256 = createHash('sha256').update(new Uint8Array(slots)).digest('hex');
  return { kind: 'table', sha256, path: '', count, format: OBJECTOR_TABLE_FORMAT };
}

/** Writes the coordinator's objector table to the build's folder, named by its sha256. */
async function writeObjectorTable(
  dir: string,
  table: Extract<TaskObjectors, { kind: 'table' }>,
  slots: SharedArrayBuffer,
): Promise<TaskObjectors> {
  const path = join(dir, `objectors-${table.sha256}.table`);
  // A resumed run's workers may be reading the file of the same name: a new file takes its
  // place, theirs stays whole.
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, new Uint8Array(slots));
  await rename(partial, path);
  return { ...table, path };
}

/**
 * Reads a table the coordinator wrote into shared memory, checking its layout and sha256; the
 * worker judges with it as the one-process gate's threads do with theirs.
 */
async function readObjectorTable(
  t: Extract<TaskObjectors, { kind: 'table' }>,
): Promise<JudgeConfig['objectors']> {
  if (t.format !== OBJECTOR_TABLE_FORMAT) {
    throw new Error(
      `the objector table is in the layout "${t.format}", this worker reads "${OBJECTOR_TABLE_FORMAT}" (run workers of the coordinator's version)`,
    );
  }
  const file = await open(t.path, 'r');
  try {
    const size = (await file.stat()).size;
    if (!ObjectorTable.validSize(size)) throw new Error(`${t.path}: not an objector table`);
    const slots = new SharedArrayBuffer(size);
    const bytes = new Uint8Array(slots);
    const hash = createHash('sha256');
    for (let pos = 0; pos < size; ) {
      const { bytesRead } = await file.read(bytes, pos, Math.min(16 << 20, size - pos), pos);
      if (bytesRead === 0) throw new Error(`${t.path}: shorter than it was`);
      hash.update(bytes.subarray(pos, pos + bytesRead));
      pos += bytesRead;
    }
    if (hash.digest('hex') !== t.sha256)
      throw new Error(`${t.path}: the objector table does not have the sha256 the task names`);
    return { kind: 'table', slots, count: t.count };
  } finally {
    await file.close();
  }
}

/** The key id `datasetPseudonymKey` gives for a dataset key (never the key itself). */
function pseudonymKeyIdOf(key: string): string {
  return createHmac('sha256', key).update('veto-pseudonym key id').digest('hex').slice(0, 16);
}

/**
 * Appends a done shard's files to the staged ones, checking each against its manifest. One
 * read of each file (8 MiB at a time), a CRC-32 over it, and the data file's bytes go straight
 * to the staged data (hashed there once, for the manifest, as one process hashes them). The
 * decisions' id hashes (the duplicate-id check) and the kept authors (the notice-period check)
 * come from the shard's summary files, while the workers judge, as one process takes them from
 * its threads' batch summaries; a shard without them (a worker of an earlier version) has its
 * decision and inclusion rows scanned for them as they go by.
 */
async function appendShard(
  stage: JudgeStage,
  task: ShardTask,
  m: ShardManifest,
  buf: Buffer,
  ids: DecisionIds,
): Promise<void> {
  const summarised = m.files.ids !== undefined && m.files.authors !== undefined;
  for (const f of SHARD_FILES) {
    const writer = stage.writers[f];
    const rows = summarised
      ? undefined
      : f === 'decisions'
        ? new WholeRows((b, s, e) => ids.scan(b, s, e))
        : f === 'inclusions'
          ? new WholeRows((b, s, e) => stage.inclusionRows(b, s, e))
          : undefined;
    await readShardFile(task, m, f, buf, (chunk) => {
      rows?.feed(chunk);
      if (f === 'data') return writer.write(chunk);
      writer.push(chunk);
      return writer.flushIfFull();
    });
    rows?.end();
  }
  if (!summarised) return;
  // Each read whole and checked before use: a summary that does not match its manifest fails the build.
  const idBytes = await readWholeShardFile(task, m, 'ids', buf);
  // One id a decided record (a malformed one has none): as many as the shard's decision rows say.
  const decided = m.counts.reduce((n, c) => n + c, 0) - m.counts[REASONS.indexOf('malformed')]!;
  if (idBytes.length !== decided * 8) throw summaryProblem(task, 'ids');
  if (BIG_ENDIAN) idBytes.swap32();
  ids.hashes.pushWords(new Uint32Array(idBytes.buffer, 0, idBytes.length / 4));
  const keys = (await readWholeShardFile(task, m, 'authors', buf)).toString('utf8');
  if (keys !== '' && !keys.endsWith('\n')) throw summaryProblem(task, 'authors');
  stage.keptAuthors(keys.slice(0, -1));
}

/** One of a shard's summary files, whole, in a buffer of its own (aligned for word views). */
async function readWholeShardFile(
  task: ShardTask,
  m: ShardManifest,
  f: SummaryFile,
  buf: Buffer,
): Promise<Buffer> {
  const whole = Buffer.from(new ArrayBuffer(m.files[f]!.bytes));
  let at = 0;
  await readShardFile(task, m, f, buf, (chunk) => {
    at += chunk.copy(whole, at);
  });
  return whole;
}

/**
 * Reads one of a shard's files in pieces of `buf`'s size, handing each to `use` (awaited), and
 * checks its size and CRC-32 against the shard's manifest.
 */
async function readShardFile(
  task: ShardTask,
  m: ShardManifest,
  f: ShardFile | SummaryFile,
  buf: Buffer,
  use: (chunk: Buffer) => unknown,
): Promise<void> {
  const path = shardFile(task.dir, task.shard, f);
  let crc = 0;
  let bytes = 0;
  const file = await open(path, 'r');
  try {
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      crc = crc32(chunk, crc);
      bytes += bytesRead;
      await use(chunk);
    }
  } finally {
    await file.close();
  }
  const want = m.files[f];
  if (!want || bytes !== want.bytes || crc !== want.crc32) {
    throw new Error(
      `shard ${task.shard}: ${basename(path)} does not match the shard's manifest (changed or lost after the worker wrote it)`,
    );
  }
}

function summaryProblem(task: ShardTask, f: SummaryFile): Error {
  return new Error(`shard ${task.shard}: its ${f} summary is not whole (a worker's fault)`);
}

/**
 * Hands `onRows` whole `\n`-terminated rows of bytes that come in arbitrary pieces: a row cut
 * between two pieces is put together (copied) once its end comes; `end()` hands over a last row
 * without a line end.
 */
export class WholeRows {
  #carry: Buffer | undefined;
  constructor(readonly onRows: (buf: Uint8Array, start: number, end: number) => void) {}

  feed(piece: Uint8Array): void {
    const buf = Buffer.from(piece.buffer, piece.byteOffset, piece.length);
    let from = 0;
    if (this.#carry) {
      const nl = buf.indexOf(10);
      if (nl === -1) {
        this.#carry = Buffer.concat([this.#carry, buf]);
        return;
      }
      const row = Buffer.concat([this.#carry, buf.subarray(0, nl + 1)]);
      this.#carry = undefined;
      this.onRows(row, 0, row.length);
      from = nl + 1;
    }
    const last = buf.lastIndexOf(10);
    if (last >= from) this.onRows(buf, from, last + 1);
    const rest = last >= from ? last + 1 : from;
    if (rest < buf.length) this.#carry = Buffer.from(buf.subarray(rest));
  }

  end(): void {
    if (this.#carry) this.onRows(this.#carry, 0, this.#carry.length);
    this.#carry = undefined;
  }
}

/**
 * What a worker keeps between tasks: the objector set and the judge of the last build it
 * judged for (one build's shards follow each other; a judge costs its policy's parse and the
 * redactor's setup, ~40 ms a shard when built for each).
 */
interface WorkerState {
  objectors?: { sha256: string; set: JudgeConfig['objectors'] };
  /** The judge set up for `key`: this thread's, or the pool's threads' (`--threads`). */
  judge?: { key: string; judge?: Judge };
  /** Judge threads (`veto gate worker --threads N`), sharing the objector set in memory. */
  pool?: WorkerPool;
  /** The pool's batch numbers: unique for the process's life. */
  seq: number;
}

/** Judges one shard with the gate's own code and writes its files and manifest. */
async function judgeShard(
  queue: Queue,
  task: ShardTask,
  state: WorkerState,
  keepAlive: () => void,
): Promise<ShardManifest> {
  const { os } = queue;
  const received = Date.now();
  let fetchMs = 0;
  let loadMs = 0;
  if (state.objectors?.sha256 !== task.objectors.sha256) {
    state.objectors = undefined;
    state.judge = undefined;
    let t = performance.now();
    let set: JudgeConfig['objectors'];
    if (task.objectors.kind === 'filter') {
      const path = await fetchObject(os, task.objectors.sha256);
      fetchMs = performance.now() - t;
      t = performance.now();
      const { meta, filter } = await readFilterFile(path);
      set = new ObjectorFilter(filter, meta.snapshot.count).descriptor();
    } else {
      set = await readObjectorTable(task.objectors);
    }
    loadMs = performance.now() - t;
    state.objectors = { sha256: task.objectors.sha256, set };
  }
  const objectors = state.objectors.set;
  const judgeKey = JSON.stringify([
    task.datasetId,
    task.policy,
    task.terms,
    task.objectors.sha256,
    task.mapping,
    task.inputs,
    task.pseudonymKeyId,
  ]);
  const pool = state.pool;
  let judge = state.judge?.key === judgeKey ? state.judge.judge : undefined;
  if (state.judge?.key !== judgeKey) {
    state.judge = undefined;
    const policyText = await readFile(await fetchObject(os, task.policy.sha256), 'utf8');
    const policy = parsePolicy(policyText, task.policy.name);
    const terms = JSON.parse(await readFile(await fetchObject(os, task.terms), 'utf8')) as string[];
    let pseudonymKey: string | undefined;
    if (policy.redaction.mode === 'pseudonym') {
      const master = process.env.VETO_PSEUDONYM_KEY;
      if (!master)
        throw new Error('the policy pseudonymises: set VETO_PSEUDONYM_KEY on the worker');
      pseudonymKey = datasetPseudonymKey(master, task.datasetId).key;
      if (pseudonymKeyIdOf(pseudonymKey) !== task.pseudonymKeyId)
        throw new Error("this worker's VETO_PSEUDONYM_KEY is not the coordinator's");
    }
    const config: JudgeConfig = {
      policy,
      mapping: task.mapping,
      objectors,
      inputs: task.inputs,
      objectorTerms: terms,
      pseudonymKey,
    };
    if (pool) await pool.init(config, { keptAuthors: true });
    else judge = new (await import('./judge.ts')).Judge(config);
    state.judge = { key: judgeKey, ...(judge ? { judge } : {}) };
  }

  type Written = ShardFile | SummaryFile;
  const written: Written[] = [...SHARD_FILES, ...SUMMARY_FILES];
  const partial = (f: Written) => `${shardFile(task.dir, task.shard, f)}.${process.pid}.partial`;
  const outs = Object.fromEntries(
    await Promise.all(written.map(async (f) => [f, await open(partial(f), 'w')] as const)),
  ) as Record<Written, Awaited<ReturnType<typeof open>>>;
  const zero = () => ({ data: 0, inclusions: 0, decisions: 0, rejects: 0, ids: 0, authors: 0 });
  const crcs: Record<Written, number> = zero();
  const sizes: Record<Written, number> = zero();
  const emit = async (f: Written, bytes: Uint8Array) => {
    if (bytes.length === 0) return;
    crcs[f] = crc32(bytes, crcs[f]);
    sizes[f] += bytes.length;
    let done = 0;
    while (done < bytes.length)
      done += (await outs[f].write(bytes, done, bytes.length - done)).bytesWritten;
  };
  const counts = new Array(REASONS.length).fill(0);
  const ready = Date.now();
  const started = performance.now();
  let kept = 0;
  let blank = 0;
  let redacted = 0;
  let shardCrc = 0;
  // What is read as lines: the shard's byte range of a JSONL input, or a Parquet shard's rows
  // as JSONL in a file of this worker's own, once their bytes are checked.
  let source = { path: task.path, start: task.start, end: task.end };
  if (task.parquet) source = await parquetShardLines(task, task.parquet);
  const input = await open(source.path, 'r');
  try {
    const batch = 1 << 20;
    // Read buffers are reused, as one process reuses them: a fresh 1 MiB buffer per batch is
    // page faults and external memory the collector chases (~0.3 s of a worker's 3.7 s of CPU
    // on 100 MB, profiled). The slack takes the partial line carried over from the last read.
    const readSize = batch + (64 << 10);
    const free: ArrayBuffer[] = [];
    let pos = source.start;
    let line = task.firstLine;
    let carry: Buffer | undefined;
    let spare: ArrayBuffer | undefined;
    let lastKeepAlive = Date.now();
    /** With judge threads: batches in flight, written in order as they come back. */
    const inFlight: Promise<BatchResult>[] = [];
    const write = async (result: BatchResult) => {
      await emit('data', result.out);
      await emit('inclusions', result.inclusions);
      await emit('decisions', result.decisions);
      if (result.rejects) await emit('rejects', Buffer.from(result.rejects));
      const summary = result.summary ?? summariseBatch(result, { keptAuthors: true });
      const ids = Buffer.from(
        summary.idWords.buffer,
        summary.idWords.byteOffset,
        summary.idWords.byteLength,
      );
      await emit('ids', BIG_ENDIAN ? Buffer.from(ids).swap32() : ids);
      if (summary.keptAuthors) await emit('authors', Buffer.from(`${summary.keptAuthors}\n`));
      for (let i = 0; i < REASONS.length; i++) counts[i] += result.counts[i]!;
      kept += result.kept;
      blank += result.blank;
      redacted += result.redacted;
      if (Date.now() - lastKeepAlive > 1000) {
        keepAlive();
        lastKeepAlive = Date.now();
      }
    };
    const writeOldest = async () => {
      const result = await inFlight.shift()!;
      await write(result);
      pool!.recycle(result.out.buffer as ArrayBuffer);
    };
    try {
      for (;;) {
        const want = Math.min(batch, source.end - pos);
        const carried = carry?.length ?? 0;
        // Its own ArrayBuffer (never the pool's): the judge reads and reuses `buf.buffer`; a
        // judge thread's comes back through `takeInput` once judged.
        const reused = pool ? pool.takeInput(readSize) : free.pop();
        const buf =
          carried + want <= readSize
            ? Buffer.from(reused ?? new ArrayBuffer(readSize), 0, carried + want)
            : Buffer.allocUnsafeSlow(carried + want);
        if (carry) carry.copy(buf, 0);
        const { bytesRead } =
          want > 0 ? await input.read(buf, carried, want, pos) : { bytesRead: 0 };
        if (want > 0 && bytesRead < want) throw new Error(`${source.path}: shorter than planned`);
        if (!task.parquet) shardCrc = crc32(buf.subarray(carried, carried + bytesRead), shardCrc);
        pos += bytesRead;
        const total = carried + bytesRead;
        const last = pos >= source.end ? total - 1 : buf.lastIndexOf(10, total - 1);
        if (total === 0) break;
        if (last < 0) {
          carry = Buffer.from(buf.subarray(0, total));
          continue;
        }
        const lines = countLineEnds(buf, last + 1);
        carry = last + 1 < total ? Buffer.from(buf.subarray(last + 1, total)) : undefined;
        if (pool) {
          // The batch's buffer is the thread's until it comes back (the carry is copied out).
          const judged = pool.run({
            seq: state.seq++,
            input: task.input,
            firstLine: line,
            buffer: buf.buffer as ArrayBuffer,
            length: last + 1,
          });
          judged.catch(() => {});
          inFlight.push(judged);
          while (inFlight.length >= 2 * pool.size) await writeOldest();
        } else {
          const result = judge!.processBatch(buf, 0, last + 1, task.input, line, spare);
          await write(result);
          // Written: the result's buffer takes the next result, the input's the next read.
          spare = result.out.buffer as ArrayBuffer;
          if (buf.buffer !== spare && buf.buffer.byteLength === readSize)
            free.push(buf.buffer as ArrayBuffer);
        }
        line += lines;
        if (pos >= source.end && !carry) break;
      }
      while (inFlight.length > 0) await writeOldest();
    } finally {
      // A batch still out when this shard fails must not surface later as unhandled.
      await Promise.allSettled(inFlight);
    }
  } finally {
    await input.close();
    if (task.parquet) await rm(source.path, { force: true });
  }
  if (!task.parquet && shardCrc !== task.crc32) {
    for (const f of written) await outs[f].close();
    throw new Error(
      `${task.path} bytes ${task.start}-${task.end} changed since the build was planned`,
    );
  }
  // Closed, not fsynced: the coordinator reads them within seconds and deletes them with the
  // run, so they need never reach the disk (fsynced, every output byte went to disk twice). A
  // machine that crashes before the kernel writes them loses them: the coordinator's check
  // then fails the build naming the shard, nothing is sealed, and a new run (not --resume,
  // which trusts the shard's note) judges it again.
  const files = {} as ShardManifest['files'];
  for (const f of written) {
    await outs[f].close();
    await rename(partial(f), shardFile(task.dir, task.shard, f));
    files[f] = { bytes: sizes[f], crc32: crcs[f] };
  }
  const manifest: ShardManifest = {
    shard: task.shard,
    status: 'done',
    counts,
    kept,
    blank,
    redacted,
    files,
    judgeMs: Math.round(performance.now() - started),
    timings: {
      worker: process.pid,
      received,
      ready,
      fetchMs: Math.round(fetchMs),
      loadMs: Math.round(loadMs),
      judged: Date.now(),
      noted: 0,
    },
  };
  await writeFile(shardFile(task.dir, task.shard, 'manifest'), `${JSON.stringify(manifest)}\n`);
  return manifest;
}

/**
 * A Parquet shard's rows as JSONL lines in a file of the worker's own (removed once judged),
 * after checking that the file is the one planned: its size, the CRC-32 of the shard's row
 * groups and of its footer (which maps the row groups). A change detector, as a JSONL shard's.
 */
async function parquetShardLines(
  task: ShardTask,
  p: ParquetShard,
): Promise<{ path: string; start: number; end: number }> {
  const changed = () =>
    new Error(
      `${task.path} row groups of rows ${p.firstRow}-${p.firstRow + p.rows - 1} changed since the build was planned`,
    );
  const file = await open(task.path, 'r');
  try {
    if ((await file.stat()).size !== p.fileBytes) throw changed();
    const crcOf = async (start: number, end: number) => {
      const buf = Buffer.allocUnsafe(Math.min(4 << 20, Math.max(1, end - start)));
      let crc = 0;
      for (let pos = start; pos < end; ) {
        const { bytesRead } = await file.read(buf, 0, Math.min(buf.length, end - pos), pos);
        if (bytesRead === 0) throw changed();
        crc = crc32(buf.subarray(0, bytesRead), crc);
        pos += bytesRead;
      }
      return crc;
    };
    if ((await crcOf(task.start, task.end)) !== task.crc32) throw changed();
    if ((await crcOf(p.footerStart, p.fileBytes)) !== p.footerCrc32) throw changed();
  } finally {
    await file.close();
  }
  const dir = process.env.VETO_GATE_CACHE ?? join(tmpdir(), 'veto-gate-objects');
  await mkdir(dir, { recursive: true });
  const lines = join(dir, `rows-${task.build}-${task.shard}.${process.pid}.jsonl`);
  const { parquetRowsToJsonl } = await import('./parquet.ts');
  try {
    await parquetRowsToJsonl(task.path, lines, p.firstRow, p.rows);
  } catch (err) {
    // A conversion cut short leaves no file behind in the worker's cache.
    await rm(lines, { force: true });
    throw err;
  }
  return { path: lines, start: 0, end: (await stat(lines)).size };
}

/** The line ends in `buf[0, end)`. */
function countLineEnds(buf: Buffer, end: number): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1 && i < end; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * `veto gate worker`: takes tasks one at a time until `signal` aborts. A failed shard (input
 * changed or unreadable, an object that does not match its hash) is noted as failed, which fails
 * the build naming it, and not retried.
 */
export async function runGateWorker(
  url: string,
  options: {
    signal?: AbortSignal;
    log?: (line: string) => void;
    names?: QueueNames;
    /** Called once the worker takes tasks: connected, and the judge's code loaded. */
    onReady?: () => void;
    /**
     * Judge threads (0: judge on this thread). One process with N threads holds one copy of the
     * objector set, where N processes hold N (and each reads it from the shared folder).
     */
    threads?: number;
  } = {},
): Promise<void> {
  const threads = options.threads ?? 0;
  if (!Number.isInteger(threads) || threads < 0 || threads > 256)
    throw new Error('threads must be an integer from 0 to 256');
  const queue = await openQueue(url, options.names);
  const log = options.log ?? (() => {});
  const state: WorkerState = { seq: 0 };
  try {
    if (threads > 0) state.pool = await WorkerPool.start(threads);
    // The judge's modules (the redactor's lexicons among them: ~0.3 s of CPU, more under tsx)
    // load once, before the first task, not while a build waits for it.
    await import('./judge.ts');
    const consumer = await queue.js.consumers.get(queue.names.stream, queue.names.consumer);
    const messages = await consumer.consume({ max_messages: 1 });
    options.signal?.addEventListener('abort', () => void messages.close(), { once: true });
    options.onReady?.();
    for await (const msg of messages) {
      const task = msg.json<ShardTask>();
      const key = shardKey(task.build, task.shard);
      const noted = await queue.kv.get(key);
      if (noted && noted.operation === 'PUT') {
        // Done (or failed) before a redelivery: nothing to judge again.
        msg.ack();
        continue;
      }
      const started = Date.now();
      log(`shard ${task.build}/${task.shard}: judging`);
      // In-progress acknowledgements: a live worker keeps its task however long the shard takes.
      const timer = setInterval(() => msg.working(), 1000);
      try {
        const manifest = await judgeShard(queue, task, state, () => msg.working());
        manifest.timings!.noted = Date.now();
        await queue.kv.put(key, JSON.stringify(manifest));
        msg.ack();
        log(`shard ${task.build}/${task.shard}: ${manifest.kept} kept, ${Date.now() - started} ms`);
      } catch (err) {
        const failure: ShardFailure = {
          shard: task.shard,
          status: 'failed',
          error: (err as Error).message,
        };
        await queue.kv.put(key, JSON.stringify(failure));
        msg.term();
        log(`shard ${task.build}/${task.shard} failed: ${failure.error}`);
      } finally {
        clearInterval(timer);
      }
    }
  } finally {
    await state.pool?.close();
    await queue.nc.close();
  }
}
