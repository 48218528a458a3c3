import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { BinaryFuse8, binaryFuse8Params } from './binary-fuse8.ts';
import { sharedFingerprints } from './fingerprint-memory.ts';
import { WasmFuseConstruction } from './fuse-populate.ts';
import { HI, hashKey64, keyHash, LO } from './key-hash.ts';
import { RegistryFileError } from './registry-file-error.ts';
import { anchorProblem, orderedAnchor, type SnapshotAnchor } from './snapshot-anchor.ts';
import {
  checkSnapshotIdentity,
  type SnapshotIdentity,
  type SnapshotMeta,
} from './snapshot-file.ts';
import { SnapshotBody } from './subject-keys.ts';

/**
 * The objector filter file, for gate workers that cannot reach the registry database
 * (`veto registry filter`, `veto gate build --filter FILE`).
 *
 * It is **fail-closed**: a binary fuse filter never answers "no" for a key it was built from, so
 * an objector is always recognised; about 1 key in 256 that is not in the set is also reported
 * (a false positive only drops extra content). ~9 bits per objector: 100M objectors fit in
 * ~113 MB.
 *
 * Why a filter written here (`binary-fuse8.ts`) and not an npm package: measured too slow at
 * millions of keys (see `binary-fuse8.ts` and ../shared/docs/performance-notes.md).
 *
 * ```text
 * #veto-filter v3 {"algorithm":"binary-fuse8","keyHash":"veto-key64 v1","snapshot":{…},…,"anchor":{…},"checksum":"…"}␠␠…\n
 * <arrayLength fingerprint bytes>
 * ```
 * Line 1 is the magic and a JSON header (padded with spaces to a multiple of 8 bytes) carrying
 * the snapshot's id, purpose, cut-off, count and sha256 (the snapshot file's hash of these keys,
 * which covers the identity too: `snapshotHashPrefix`), the filter parameters, the transparency
 * log's signed checkpoint at the snapshot (`anchor`, snapshot-anchor.ts; null for a filter the
 * registry did not write) and a checksum of header and fingerprints. Then the raw fingerprints,
 * and nothing after them. Readers check everything, including that line 1 is byte for byte the
 * one the writer makes of its fields, and throw on any mismatch. Format v1 (whose
 * `snapshot.sha256` covered the keys alone) and v2 (no anchor) are refused.
 */
export interface FilterMeta {
  algorithm: 'binary-fuse8';
  keyHash: 'veto-key64 v1';
  snapshot: SnapshotMeta;
  seed: number;
  segmentLength: number;
  segmentCount: number;
  arrayLength: number;
  bitsPerKey: number;
  /** Expected false-positive rate for keys not in the set: 1/256 with 8-bit fingerprints. */
  falsePositiveRate: number;
  /** The log's signed checkpoint at the snapshot's event; null when the registry gave none. */
  anchor: SnapshotAnchor | null;
  /**
   * Hex sha256 of this header serialised without `checksum` (`JSON.stringify`, field order as
   * written), a `\n`, then the fingerprints: any changed header field or byte is detected.
   */
  checksum: string;
}

export const FILTER_MAGIC = '#veto-filter v3 ';
const FILTER_MAGIC_V1 = '#veto-filter v1 ';
const FILTER_MAGIC_V2 = '#veto-filter v2 ';
const MAX_HEADER_BYTES = 64 * 1024;
export const FILTER_FALSE_POSITIVE_RATE = 1 / 256;

/** Growable pair of uint32 lanes holding the 64-bit hashes of the keys. */
class HashLanes {
  his: Uint32Array;
  los: Uint32Array;
  size = 0;
  constructor(initial: number) {
    this.his = new Uint32Array(Math.max(16, initial));
    this.los = new Uint32Array(Math.max(16, initial));
  }
  pushAll(his: Uint32Array, los: Uint32Array): void {
    const need = this.size + his.length;
    if (need > this.his.length) {
      const length = Math.max(this.his.length * 2, need);
      const moreHis = new Uint32Array(length);
      moreHis.set(this.his.subarray(0, this.size));
      this.his = moreHis;
      const moreLos = new Uint32Array(length);
      moreLos.set(this.los.subarray(0, this.size));
      this.los = moreLos;
    }
    this.his.set(his, this.size);
    this.los.set(los, this.size);
    this.size = need;
  }
}

/**
 * Builds the filter of `keys` (sorted in byte order, like a snapshot body) and writes it to
 * `path` through a temporary name and a rename. Computes the snapshot count and body hash from
 * the keys; when `meta` carries `sha256`/`count` (from `writeSnapshotFile`), they must agree.
 */
export async function writeFilterFile(
  path: string,
  meta: SnapshotIdentity & Partial<Pick<SnapshotMeta, 'count' | 'sha256'>>,
  keys: AsyncIterable<string> | Iterable<string>,
  options: {
    /**
     * Called once the keys are hashed, before the file is written: the registry records the
     * snapshot and answers its log's checkpoint at the snapshot's event (as for the snapshot
     * file). Without it (or if it answers undefined) the anchor is null.
     */
    anchor?: (written: SnapshotMeta) => Promise<SnapshotAnchor | undefined>;
  } = {},
): Promise<FilterMeta> {
  checkSnapshotIdentity(meta, path);
  // The keys' hashes go straight into the WebAssembly construction's memory where it runs (one
  // copy of them at 100M keys), else into JavaScript arrays.
  let wasm = WasmFuseConstruction.create(meta.count ?? 0);
  let lanes: HashLanes | undefined;
  const body = new SnapshotBody({
    identity: { id: meta.id, purpose: meta.purpose, asOf: meta.asOf },
    onHashes: (his, los) => {
      if (wasm?.add(his, los)) return;
      if (wasm) {
        // Its memory is full: on in JavaScript, with the hashes so far.
        const so = wasm.hashes();
        wasm = undefined;
        lanes = new HashLanes(so.his.length + his.length);
        lanes.pushAll(so.his, so.los);
      }
      lanes ??= new HashLanes(meta.count ?? 1 << 20);
      lanes.pushAll(his, los);
    },
  });
  const add = (key: string) => {
    const problem = body.add(key);
    if (problem) throw new RegistryFileError(path, problem);
    if (body.full) body.take();
  };
  if (Symbol.iterator in keys) {
    for (const key of keys as Iterable<string>) add(key);
  } else {
    for await (const key of keys) add(key);
  }
  const problem = body.end();
  if (problem) throw new RegistryFileError(path, problem);
  const snapshot: SnapshotMeta = {
    id: meta.id,
    purpose: meta.purpose,
    asOf: meta.asOf,
    count: body.count,
    sha256: body.digest(),
  };
  if (meta.sha256 !== undefined && meta.sha256 !== snapshot.sha256) {
    throw new RegistryFileError(
      path,
      `keys hash to ${snapshot.sha256}, snapshot says ${meta.sha256}`,
    );
  }
  if (meta.count !== undefined && meta.count !== snapshot.count) {
    throw new RegistryFileError(path, `${snapshot.count} keys given, snapshot says ${meta.count}`);
  }
  const filter = wasm
    ? BinaryFuse8.buildFrom(wasm)
    : BinaryFuse8.build(
        lanes?.his ?? new Uint32Array(0),
        lanes?.los ?? new Uint32Array(0),
        lanes?.size ?? 0,
        undefined,
        'js',
      );
  wasm = lanes = undefined;
  const given = options.anchor && (await options.anchor(snapshot));
  const anchor = given ? orderedAnchor(given) : null;
  const anchorIssue = anchor && anchorProblem(anchor);
  if (anchorIssue) throw new RegistryFileError(path, anchorIssue);
  const unsigned: Omit<FilterMeta, 'checksum'> = {
    algorithm: 'binary-fuse8',
    keyHash: 'veto-key64 v1',
    snapshot,
    seed: filter.params.seed,
    segmentLength: filter.params.segmentLength,
    segmentCount: filter.params.segmentCount,
    arrayLength: filter.params.arrayLength,
    bitsPerKey: snapshot.count === 0 ? 0 : (filter.params.arrayLength * 8) / snapshot.count,
    falsePositiveRate: FILTER_FALSE_POSITIVE_RATE,
    anchor,
  };
  const header: FilterMeta = { ...unsigned, checksum: checksumOf(unsigned, filter.fingerprints) };
  const line = filterHeaderLine(header);

  const tmp = `${path}.tmp-${process.pid}-${Date.now().toString(36)}`;
  const file = await open(tmp, 'wx');
  try {
    await file.write(line);
    await file.write(filter.fingerprints);
    await file.sync();
    await file.close();
    await rename(tmp, path);
  } catch (err) {
    await file.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  return header;
}

/** Line 1 as the writer makes it (its `\n` included): the only form readers accept. */
function filterHeaderLine(header: FilterMeta): Buffer {
  const text = FILTER_MAGIC + JSON.stringify(header);
  const width = Math.ceil((Buffer.byteLength(text) + 1) / 8) * 8;
  const line = Buffer.alloc(width, 0x20);
  line.write(text, 0, 'utf8');
  line[width - 1] = 10;
  return line;
}

function checksumOf(unsigned: Omit<FilterMeta, 'checksum'>, fingerprints: Uint8Array): string {
  return createHash('sha256')
    .update(`${JSON.stringify(unsigned)}\n`)
    .update(fingerprints)
    .digest('hex');
}

function parseFilterHeader(path: string, bytes: Buffer): FilterMeta {
  const line = bytes.toString('utf8');
  if (line.startsWith(FILTER_MAGIC_V1)) {
    throw new RegistryFileError(
      path,
      'filter format v1 is no longer read: its snapshot hash does not cover the snapshot id, purpose and cut-off; write a new filter (veto registry filter)',
    );
  }
  if (line.startsWith(FILTER_MAGIC_V2)) {
    throw new RegistryFileError(
      path,
      "filter format v2 is no longer read: it does not carry the transparency log's checkpoint of the registry state it was taken from, so a dataset built from it offline cannot be anchored; write a new filter (veto registry filter)",
    );
  }
  if (!line.startsWith(FILTER_MAGIC)) {
    throw new RegistryFileError(path, `not a Veto filter file (expected "${FILTER_MAGIC.trim()}")`);
  }
  let h: FilterMeta;
  try {
    h = JSON.parse(line.slice(FILTER_MAGIC.length)) as FilterMeta;
  } catch {
    throw new RegistryFileError(path, 'filter header is not valid JSON');
  }
  if (h.algorithm !== 'binary-fuse8' || h.keyHash !== 'veto-key64 v1') {
    throw new RegistryFileError(path, `unsupported filter "${h.algorithm}" / "${h.keyHash}"`);
  }
  const s = h.snapshot;
  if (!s || typeof s !== 'object') throw new RegistryFileError(path, 'header has no snapshot');
  checkSnapshotIdentity(s, path);
  if (!Number.isSafeInteger(s.count) || s.count < 0 || !/^[0-9a-f]{64}$/.test(s.sha256 ?? '')) {
    throw new RegistryFileError(path, 'header snapshot count or sha256 is invalid');
  }
  if (!Number.isSafeInteger(h.seed) || h.seed < 0) {
    throw new RegistryFileError(path, 'header seed is invalid');
  }
  const expected = binaryFuse8Params(s.count, h.seed);
  if (
    expected.segmentLength !== h.segmentLength ||
    expected.segmentCount !== h.segmentCount ||
    expected.arrayLength !== h.arrayLength
  ) {
    throw new RegistryFileError(path, 'filter parameters do not match the key count');
  }
  const anchorIssue = h.anchor === null ? undefined : anchorProblem(h.anchor);
  if (anchorIssue) throw new RegistryFileError(path, `filter header: ${anchorIssue}`);
  if (!/^[0-9a-f]{64}$/.test(h.checksum ?? '')) {
    throw new RegistryFileError(path, 'header checksum is invalid');
  }
  const canonical = filterHeaderLine(h);
  if (canonical.length !== bytes.length + 1 || !canonical.subarray(0, bytes.length).equals(bytes)) {
    throw new RegistryFileError(
      path,
      'filter header is not in its one written form (fields, spacing or padding were altered)',
    );
  }
  return h;
}

export interface LoadedFilter {
  meta: FilterMeta;
  filter: BinaryFuse8;
}

/**
 * Reads and verifies a filter file. The fingerprints go into shared memory (unless
 * `shared: false`) so gate workers can use them without copies: a shared WebAssembly memory where
 * one can be made, whose lookups then run in WebAssembly (fingerprint-memory.ts), else a
 * SharedArrayBuffer. Throws {@link RegistryFileError} on a bad magic, header, size or hash.
 */
export async function readFilterFile(
  path: string,
  options: { shared?: boolean } = {},
): Promise<LoadedFilter> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const head = Buffer.allocUnsafe(Math.min(MAX_HEADER_BYTES, size));
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    const nl = head.subarray(0, bytesRead).indexOf(10);
    if (nl < 0) throw new RegistryFileError(path, 'no filter header line');
    const meta = parseFilterHeader(path, head.subarray(0, nl));
    const start = nl + 1;
    if (size !== start + meta.arrayLength) {
      throw new RegistryFileError(
        path,
        `expected ${start + meta.arrayLength} bytes, file has ${size} (truncated or padded)`,
      );
    }
    // Shared: in a shared WebAssembly memory where one can be made (lookups then run in
    // WebAssembly, see fingerprint-memory.ts), else a SharedArrayBuffer.
    const { fingerprints, memory } =
      options.shared === false
        ? { fingerprints: new Uint8Array(meta.arrayLength), memory: undefined }
        : sharedFingerprints(meta.arrayLength);
    let done = 0;
    while (done < meta.arrayLength) {
      const n = Math.min(4 << 20, meta.arrayLength - done);
      const { bytesRead: got } = await file.read(fingerprints, done, n, start + done);
      if (got === 0) throw new RegistryFileError(path, 'unexpected end of file');
      done += got;
    }
    const { checksum, ...unsigned } = meta;
    if (checksumOf(unsigned, fingerprints) !== checksum) {
      throw new RegistryFileError(
        path,
        'checksum mismatch: the header or the fingerprints were altered',
      );
    }
    return {
      meta,
      filter: new BinaryFuse8(
        binaryFuse8Params(meta.snapshot.count, meta.seed),
        fingerprints,
        memory,
      ),
    };
  } finally {
    await file.close();
  }
}

/** Whether `key` may be an objector: always true for keys the filter was built from. */
export function filterHas(filter: BinaryFuse8, key: string): boolean {
  hashKey64(key);
  return filter.has(keyHash[HI]!, keyHash[LO]!);
}

/** Keys hashed at a time by {@link filterHasAll}. */
const LOOKUP_BATCH = 4096;
const batchHis = new Uint32Array(LOOKUP_BATCH);
const batchLos = new Uint32Array(LOOKUP_BATCH);

/**
 * {@link filterHas} of many keys: `out[i] = 1` when `keys[i]` may be an objector. Faster than one
 * by one on a big filter (e.g. 11M against 3.5M keys/s at 100M objectors, `npm run bench`): keys
 * are hashed a batch at a time, then looked up together, so that the filter's memory reads
 * overlap (`BinaryFuse8.hasMany`).
 */
export function filterHasAll(filter: BinaryFuse8, keys: readonly string[], out: Uint8Array): void {
  if (out.length < keys.length) throw new RangeError('filterHasAll: out is shorter than keys');
  for (let from = 0; from < keys.length; from += LOOKUP_BATCH) {
    const n = Math.min(LOOKUP_BATCH, keys.length - from);
    for (let i = 0; i < n; i++) {
      hashKey64(keys[from + i]!);
      batchHis[i] = keyHash[HI]!;
      batchLos[i] = keyHash[LO]!;
    }
    filter.hasMany(batchHis, batchLos, n, from === 0 ? out : out.subarray(from));
  }
}
