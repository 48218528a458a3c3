import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { RegistryFileError } from './registry-file-error.ts';
import {
  ANCHOR_ROOM,
  anchorProblem,
  orderedAnchor,
  type SnapshotAnchor,
} from './snapshot-anchor.ts';
import {
  compareUtf8,
  MAX_KEY_LENGTH,
  SnapshotBody,
  type SnapshotIdentity,
  snapshotHashPrefix,
  subjectKeyProblem,
} from './subject-keys.ts';

/**
 * The registry snapshot file: the objector set of one purpose frozen at a cut-off, the input
 * of every gate run and of `veto registry filter`.
 *
 * ```text
 * #veto-snapshot v3 {"id":"snap_…","purpose":"ai-training","asOf":"2025-05-27T00:00:00.000Z","count":2,"sha256":"<hex>","anchor":{"size":41,"root":"…","checkpoint":"…"},"checksum":"<hex>"}␠␠␠…
 * acct:1001
 * email:3f2a…
 * ```
 *
 * - Line 1: the magic `#veto-snapshot v3 `, a JSON object, then spaces up to a fixed width
 *   (the writer learns `count`, `sha256` and the anchor only at the end and rewrites the line in
 *   place, so the file is written in one streaming pass). The width follows from the identity
 *   (with room for an anchor), so the line has exactly one valid spelling: readers rebuild it and
 *   refuse any other byte.
 * - Then one subject key per line, each followed by `\n`, sorted in strictly increasing UTF-8
 *   byte order (no duplicates); `count` is the number of keys.
 * - `sha256` is the hex sha256 of `veto-snapshot v2\n{"id":…,"purpose":…,"asOf":…}\n` followed
 *   by every byte after line 1 (the body): the identity is inside the hash, so an edited id,
 *   purpose or cut-off is detected like an edited key (`snapshotHashPrefix`). It is the hash the
 *   registry records and logs for the snapshot, unchanged since format v2.
 * - `anchor`: the transparency log's signed checkpoint up to the snapshot's `snapshot.created`
 *   event (snapshot-anchor.ts), or null for a file the registry did not write (a Parquet
 *   snapshot converted back, a test's). It cannot be inside `sha256`, which that event names.
 * - `checksum`: hex sha256 of `veto-snapshot v3 header\n` and the header's JSON without it. As
 *   `sha256` covers the body, the checksum covers the whole file: a byte changed in the anchor
 *   (a checkpoint's signature, which a machine without the log's key cannot check) is refused.
 *
 * Format v1 hashed the body alone, v2 carried no anchor: both are refused, with how to get a new
 * file. Readers verify the magic, the header, its checksum, the order, the count and the hash,
 * and throw a {@link RegistryFileError} on any mismatch: a gate never runs on a damaged snapshot.
 */
export interface SnapshotMeta {
  id: string;
  purpose: string;
  /** ISO 8601 instant of the cut-off: the registry state the snapshot reflects. */
  asOf: string;
  count: number;
  /** Hex sha256 of the body. */
  sha256: string;
}

export type { SnapshotAnchor, SnapshotIdentity };

export const SNAPSHOT_MAGIC = '#veto-snapshot v3 ';
/** The first format, whose header was outside its hash: refused, with how to get a new file. */
const SNAPSHOT_MAGIC_V1 = '#veto-snapshot v1 ';
/** The second, which carried no anchor: refused the same way. */
const SNAPSHOT_MAGIC_V2 = '#veto-snapshot v2 ';
const CHECKSUM_PREFIX = 'veto-snapshot v3 header\n';
const MAX_HEADER_BYTES = 64 * 1024;
const READ_SIZE = 4 << 20;
// Spaces and control characters other than the line feeds we split on.
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what a key may not contain
const BAD_KEY_CHARS = /[\u0000-\u0009\u000b-\u0020\u007f]/;
// Where UTF-16 order and byte order can disagree (see compareUtf8).
const WIDE_CHARS = /[\ud800-\uffff]/;

/** The header's width (without its `\n`): the longest count, full hashes, and room for an anchor. */
function headerWidth(identity: SnapshotIdentity): number {
  const { id, purpose, asOf } = identity;
  const zeros = '0'.repeat(64);
  return (
    Buffer.byteLength(
      SNAPSHOT_MAGIC +
        JSON.stringify({
          id,
          purpose,
          asOf,
          count: 1e15,
          sha256: zeros,
          anchor: null,
          checksum: zeros,
        }),
    ) + ANCHOR_ROOM
  );
}

/** The checksum of a header's fields (everything but itself), which covers the whole file. */
function headerChecksum(meta: SnapshotMeta, anchor: SnapshotAnchor | null): string {
  const { id, purpose, asOf, count, sha256 } = meta;
  return createHash('sha256')
    .update(CHECKSUM_PREFIX)
    .update(JSON.stringify({ id, purpose, asOf, count, sha256, anchor }))
    .digest('hex');
}

function headerLine(meta: SnapshotMeta, anchor: SnapshotAnchor | null, width: number): Buffer {
  const { id, purpose, asOf, count, sha256 } = meta;
  const ordered = anchor && orderedAnchor(anchor);
  const text =
    SNAPSHOT_MAGIC +
    JSON.stringify({
      id,
      purpose,
      asOf,
      count,
      sha256,
      anchor: ordered,
      checksum: headerChecksum(meta, ordered),
    });
  const bytes = Buffer.byteLength(text);
  if (bytes > width) throw new Error('snapshot header grew past its reserved width');
  const line = Buffer.alloc(width + 1, 0x20);
  line.write(text, 0, 'utf8');
  line[width] = 10;
  return line;
}

export function checkSnapshotIdentity(meta: SnapshotIdentity, where: string): void {
  for (const field of ['id', 'purpose', 'asOf'] as const) {
    const value = meta[field];
    if (typeof value !== 'string' || value.length === 0 || /[\n\r]/.test(value)) {
      throw new RegistryFileError(where, `${field} must be a non-empty single-line string`);
    }
  }
  if (Number.isNaN(Date.parse(meta.asOf)) || !/^\d{4}-\d\d-\d\dT/.test(meta.asOf)) {
    throw new RegistryFileError(where, `asOf must be an ISO 8601 instant, got "${meta.asOf}"`);
  }
}

/**
 * Streams `keys` (sorted in byte order, as `ORDER BY subject_key` gives with SQLite or with
 * PostgreSQL `COLLATE "C"`) into a snapshot file. Writes to a temporary name in the same folder,
 * fsyncs, then renames, so a reader never sees a half-written snapshot. Repeated keys are written
 * once; a key out of order or invalid aborts the write (and removes the temporary file).
 */
export async function writeSnapshotFile(
  path: string,
  meta: SnapshotIdentity,
  keys: AsyncIterable<string> | Iterable<string>,
  options: {
    /**
     * Called once the keys are written and hashed, before the file is put in place: the
     * registry records the snapshot and answers its log's checkpoint at the snapshot's event,
     * which goes into the header. Without it (or if it answers undefined) the anchor is null.
     */
    anchor?: (written: SnapshotMeta) => Promise<SnapshotAnchor | undefined>;
  } = {},
): Promise<SnapshotMeta> {
  checkSnapshotIdentity(meta, path);
  const identity = { id: meta.id, purpose: meta.purpose, asOf: meta.asOf };
  const width = headerWidth(identity);
  const tmp = `${path}.tmp-${process.pid}-${Date.now().toString(36)}`;
  const file = await open(tmp, 'wx');
  let closed = false;
  try {
    await file.write(headerLine({ ...identity, count: 0, sha256: '' }, null, width));
    const body = new SnapshotBody({ identity });
    const add = (key: string) => {
      const problem = body.add(key);
      if (problem) throw new RegistryFileError(path, problem);
    };
    if (Symbol.iterator in keys) {
      for (const key of keys as Iterable<string>) {
        add(key);
        if (body.full) await file.write(body.take()!);
      }
    } else {
      for await (const key of keys) {
        add(key);
        if (body.full) await file.write(body.take()!);
      }
    }
    const problem = body.end();
    if (problem) throw new RegistryFileError(path, problem);
    const rest = body.take();
    if (rest) await file.write(rest);
    const result: SnapshotMeta = { ...identity, count: body.count, sha256: body.digest() };
    const anchor = (options.anchor && (await options.anchor(result))) ?? null;
    const anchorIssue = anchor && anchorProblem(orderedAnchor(anchor));
    if (anchorIssue) throw new RegistryFileError(path, anchorIssue);
    await file.write(headerLine(result, anchor, width), 0, undefined, 0);
    await file.sync();
    await file.close();
    closed = true;
    await rename(tmp, path);
    return result;
  } catch (err) {
    if (!closed) await file.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Parses line 1 (`line`: its bytes, without the `\n`) and checks that it is byte for byte the
 * line the writer makes of what it says, and its checksum: no other spelling (spacing, escapes,
 * padding) and no edited byte is read.
 */
function parseHeader(path: string, line: Buffer): SnapshotHeader {
  const text = line.toString('utf8');
  if (text.startsWith(SNAPSHOT_MAGIC_V1)) {
    throw new RegistryFileError(
      path,
      'snapshot format v1 is no longer read: its id, purpose and cut-off are outside its hash, so an edited header went unnoticed; take a new snapshot (veto registry snapshot)',
    );
  }
  if (text.startsWith(SNAPSHOT_MAGIC_V2)) {
    throw new RegistryFileError(
      path,
      "snapshot format v2 is no longer read: it does not carry the transparency log's checkpoint of the registry state it was taken from, so a dataset built from it offline cannot be anchored; take a new snapshot (veto registry snapshot)",
    );
  }
  if (!text.startsWith(SNAPSHOT_MAGIC)) {
    throw new RegistryFileError(path, `not a Veto snapshot (expected "${SNAPSHOT_MAGIC.trim()}")`);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text.slice(SNAPSHOT_MAGIC.length));
  } catch {
    throw new RegistryFileError(path, 'snapshot header is not valid JSON');
  }
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
    throw new RegistryFileError(path, 'snapshot header is not a JSON object');
  }
  const m = meta as Partial<SnapshotMeta> & { anchor?: unknown; checksum?: unknown };
  checkSnapshotIdentity(m as SnapshotIdentity, path);
  if (!Number.isSafeInteger(m.count) || (m.count as number) < 0) {
    throw new RegistryFileError(path, 'snapshot header: count must be a non-negative integer');
  }
  if (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) {
    throw new RegistryFileError(path, 'snapshot header: sha256 must be 64 lowercase hex digits');
  }
  const anchorIssue = m.anchor === null ? undefined : anchorProblem(m.anchor);
  if (anchorIssue) throw new RegistryFileError(path, `snapshot header: ${anchorIssue}`);
  if (typeof m.checksum !== 'string' || !/^[0-9a-f]{64}$/.test(m.checksum)) {
    throw new RegistryFileError(path, 'snapshot header: checksum must be 64 lowercase hex digits');
  }
  const parsed: SnapshotMeta = {
    id: m.id!,
    purpose: m.purpose!,
    asOf: m.asOf!,
    count: m.count!,
    sha256: m.sha256,
  };
  const anchor = (m.anchor ?? null) as SnapshotAnchor | null;
  if (headerChecksum(parsed, anchor) !== m.checksum) {
    throw new RegistryFileError(
      path,
      'snapshot header: its checksum does not match its fields (the anchor, count, hash or identity was altered)',
    );
  }
  let canonical: Buffer | undefined;
  try {
    canonical = headerLine(parsed, anchor, headerWidth(parsed));
  } catch {
    // A count longer than any the writer makes: not its form either.
  }
  if (
    !canonical ||
    canonical.length !== line.length + 1 ||
    !canonical.subarray(0, line.length).equals(line)
  ) {
    throw new RegistryFileError(
      path,
      'snapshot header is not in its one written form (fields, spacing or padding were altered)',
    );
  }
  return { meta: parsed, anchor };
}

/** A snapshot file's header: what it says of the snapshot, and its anchor (null: none). */
export interface SnapshotHeader {
  meta: SnapshotMeta;
  anchor: SnapshotAnchor | null;
}

async function readHeader(path: string): Promise<SnapshotHeader> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(MAX_HEADER_BYTES);
    const { bytesRead } = await file.read(buf, 0, buf.length, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(10);
    if (nl < 0) throw new RegistryFileError(path, 'no snapshot header line');
    return parseHeader(path, buf.subarray(0, nl));
  } finally {
    await file.close();
  }
}

/**
 * The header's anchor with what it says of the snapshot (checked, checksum included; the body
 * is checked by {@link scanSnapshotFile}, whose `sha256` must then be this one).
 */
export function readSnapshotAnchor(path: string): Promise<SnapshotHeader> {
  return readHeader(path);
}

/** Reads and checks the header line only (no body verification). */
export async function readSnapshotHeader(path: string): Promise<SnapshotMeta> {
  return (await readHeader(path)).meta;
}

/**
 * Validates the keys of one chunk of a snapshot body (`text`: whole lines without the final
 * `\n`; `firstLine`: the file line of the first key) and returns them: valid characters and
 * length, strictly increasing byte order inside the chunk, and after `previous` when given.
 * One decode, one validity scan and one split per chunk: 10M keys check in about a second, where
 * a decode and two regex tests per key took several.
 */
export function checkSnapshotKeys(
  path: string,
  text: string,
  firstLine: number,
  previous?: string,
): string[] {
  const keys = text.split('\n');
  if (BAD_KEY_CHARS.test(text)) {
    const at = keys.findIndex((k) => BAD_KEY_CHARS.test(k));
    throw new RegistryFileError(path, `line ${firstLine + at}: ${subjectKeyProblem(keys[at]!)}`);
  }
  const plain = !WIDE_CHARS.test(text);
  let before = previous;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new RegistryFileError(path, `line ${firstLine + i}: ${subjectKeyProblem(key)}`);
    }
    if (before !== undefined && (plain && i > 0 ? before >= key : compareUtf8(before, key) >= 0)) {
      throw new RegistryFileError(
        path,
        `line ${firstLine + i}: keys not in strictly increasing order`,
      );
    }
    before = key;
  }
  return keys;
}

/**
 * Reads a snapshot in chunks of whole lines (4 MiB reads) and verifies what can be verified
 * without decoding every key: header, body hash, key count, order across chunk boundaries,
 * truncation. Each chunk (ending with `\n`) goes to `onChunk` with the file line of its first
 * key; the caller checks the keys inside it with {@link checkSnapshotKeys} (possibly on other
 * threads). A returned promise holds the next read back. Throws {@link RegistryFileError} on any
 * mismatch, after the chunks already delivered: callers must treat what they received as
 * unusable until the promise resolves.
 *
 * Each chunk has a buffer of its own (it can be transferred to another thread), unless
 * `reuse` says `onChunk` is done with it when it returns (or when the promise it returns
 * settles): then one buffer is read into again. `takeBuffer`, without `reuse`: a buffer to read
 * into (of at least the bytes asked, whole: offset 0), one that an earlier chunk was done with
 * (the gate's workers hand them back), or none. Why: at 10M keys the 34 fresh 4 MiB buffers were
 * 138 MB of new memory, whose first touch (page faults, zeroed huge pages) cost verify's loading
 * thread more than reading them.
 */
export async function scanSnapshotFile(
  path: string,
  onChunk: (chunk: Buffer, firstLine: number) => void | Promise<void>,
  {
    reuse = false,
    takeBuffer,
  }: { reuse?: boolean; takeBuffer?: (bytes: number) => ArrayBuffer | undefined } = {},
): Promise<SnapshotMeta> {
  const file = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    let meta: SnapshotMeta | undefined;
    let carry: Buffer | undefined;
    let previousLast: string | undefined;
    let count = 0;
    let reused: Buffer | undefined;
    for (;;) {
      const want = READ_SIZE + (carry?.length ?? 0);
      const taken = reuse ? undefined : takeBuffer?.(want);
      const chunk =
        reused && reused.length >= want
          ? reused
          : taken
            ? Buffer.from(taken)
            : Buffer.allocUnsafeSlow(reuse || takeBuffer ? want + (64 << 10) : want);
      if (reuse) reused = chunk;
      const carried = carry?.length ?? 0;
      if (carry) carry.copy(chunk, 0);
      carry = undefined;
      const { bytesRead } = await file.read(chunk, carried, READ_SIZE, null);
      if (bytesRead === 0) {
        if (carried > 0) carry = chunk.subarray(0, carried);
        break;
      }
      const data = chunk.subarray(0, carried + bytesRead);
      let start = 0;
      if (!meta) {
        const nl = data.indexOf(10);
        if (nl < 0) {
          if (data.length > MAX_HEADER_BYTES)
            throw new RegistryFileError(path, 'no snapshot header line');
          carry = Buffer.from(data);
          continue;
        }
        meta = parseHeader(path, data.subarray(0, nl)).meta;
        hash.update(snapshotHashPrefix(meta));
        start = nl + 1;
      }
      const last = data.lastIndexOf(10);
      if (last < start) {
        carry = Buffer.from(data.subarray(start));
        continue;
      }
      hash.update(data.subarray(start, last + 1));
      let lines = 0;
      for (let i = data.indexOf(10, start); i !== -1 && i <= last; i = data.indexOf(10, i + 1))
        lines++;
      const firstEnd = data.indexOf(10, start);
      const first = data.toString('utf8', start, firstEnd);
      if (previousLast !== undefined && compareUtf8(previousLast, first) >= 0) {
        throw new RegistryFileError(
          path,
          `line ${count + 2}: keys not in strictly increasing order`,
        );
      }
      previousLast = data.toString('utf8', data.lastIndexOf(10, last - 1) + 1, last);
      if (last + 1 < data.length) carry = Buffer.from(data.subarray(last + 1));
      // A buffer of its own (offset 0, not from Node's shared pool) so it can be transferred.
      let body = data.subarray(0, last + 1);
      if (reuse) body = data.subarray(start, last + 1);
      else if (start > 0) {
        body = Buffer.allocUnsafeSlow(last + 1 - start);
        data.copy(body, 0, start, last + 1);
      }
      const firstLine = count + 2;
      count += lines;
      const wait = onChunk(body, firstLine);
      if (wait) await wait;
    }
    if (!meta) throw new RegistryFileError(path, 'empty file: no snapshot header');
    if (carry && carry.length > 0) {
      throw new RegistryFileError(path, 'truncated: last line has no newline');
    }
    if (count !== meta.count) {
      throw new RegistryFileError(path, `header says ${meta.count} keys, body has ${count}`);
    }
    const digest = hash.digest('hex');
    if (digest !== meta.sha256) {
      throw new RegistryFileError(
        path,
        `body sha256 ${digest} does not match header ${meta.sha256}`,
      );
    }
    return meta;
  } finally {
    await file.close();
  }
}

/**
 * Reads a snapshot, handing its keys to `onKeys` in batches (one per 4 MiB read; a returned
 * promise holds the next read back), and verifies everything. Throws {@link RegistryFileError}
 * on any mismatch, after the keys already delivered: callers must treat what they received as
 * unusable until the promise resolves.
 */
export async function readSnapshotFile(
  path: string,
  onKeys: (keys: string[]) => void | Promise<void>,
): Promise<SnapshotMeta> {
  return scanSnapshotFile(
    path,
    (chunk, firstLine) =>
      onKeys(checkSnapshotKeys(path, chunk.toString('utf8', 0, chunk.length - 1), firstLine)),
    { reuse: true },
  );
}

/**
 * The keys of a snapshot as an async iterable (for piping into `writeFilterFile`). The last step
 * of the iteration verifies count and hash and throws on mismatch, so a consumer that runs to the
 * end never accepts a damaged file.
 */
export async function* snapshotKeys(path: string): AsyncGenerator<string, SnapshotMeta> {
  // One batch in hand and one being read: the reader waits for the consumer (backpressure), so
  // a 100M-key snapshot never sits in memory as strings.
  const queue: { keys: string[]; release: () => void }[] = [];
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  let result: SnapshotMeta | undefined;
  let abandoned = false;
  readSnapshotFile(path, (keys) => {
    if (abandoned) throw new Error('consumer stopped reading');
    return new Promise<void>((release) => {
      queue.push({ keys, release });
      wake?.();
    });
  }).then(
    (meta) => {
      result = meta;
      done = true;
      wake?.();
    },
    (err) => {
      failure = err;
      done = true;
      wake?.();
    },
  );
  try {
    for (;;) {
      const batch = queue.shift();
      if (batch) {
        batch.release();
        yield* batch.keys;
        continue;
      }
      if (done) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    // Also runs when the consumer breaks early: let the reader finish and close its file.
    abandoned = true;
    for (const batch of queue.splice(0)) batch.release();
  }
  if (failure) throw failure;
  return result!;
}
