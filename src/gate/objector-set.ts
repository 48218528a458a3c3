import { endianness } from 'node:os';
import type { WasmMemory } from '../lib/wasm.ts';
import { BinaryFuse8, type BinaryFuse8Params } from '../registry-files/binary-fuse8.ts';
import { HI, hashKey64, hashPrintableKeyBytes64, keyHash, LO } from '../registry-files/key-hash.ts';
import { keyLineHasher } from '../registry-files/key-line-hasher.ts';
import {
  checkSnapshotKeys,
  type SnapshotMeta,
  scanSnapshotFile,
} from '../registry-files/snapshot-file.ts';
import { MAX_KEY_LENGTH } from '../registry-files/subject-keys.ts';

/**
 * The objector set a gate run checks every record against, shared by all worker threads through
 * a SharedArrayBuffer (one copy in memory, no per-worker load).
 *
 * - `table` (from a snapshot file): open addressing over the keys' 64-bit hashes, 8 bytes a slot,
 *   load ≤ 0.6 (~13 B per objector). Why not a `Set<string>`: it cannot hold more than 16.7M
 *   entries, costs ~56 B per entry and does ~3M lookups/s against ~6.6M here (performance notes).
 *   Exact for every practical purpose: two different keys share a 64-bit hash with probability
 *   ~n·m/2^64 (≈2·10^-6 for 3.5M records against 10M objectors), and then only an extra record is
 *   dropped; an objector is never missed.
 * - `filter` (from a filter file): the binary fuse filter; no false negatives, ~0.4 % false
 *   positives, for workers that have no snapshot.
 */
export type ObjectorSetDescriptor =
  | { kind: 'table'; slots: SharedArrayBuffer; count: number }
  | {
      kind: 'filter';
      params: BinaryFuse8Params;
      /** The buffer the fingerprints are in, from `offset` on (`params.arrayLength` bytes). */
      fingerprints: SharedArrayBuffer;
      offset: number;
      /** The shared WebAssembly memory of that buffer, if any: workers then look up in it too. */
      memory?: WasmMemory;
      count: number;
    };

/** The 64-bit hashes of some keys, as two lanes (high word never 0). */
export interface KeyHashes {
  his: Uint32Array;
  los: Uint32Array;
}

/** Hashes keys for {@link ObjectorTable.addHashes} (on any thread). */
export function hashKeys(keys: readonly string[]): KeyHashes {
  const his = new Uint32Array(keys.length);
  const los = new Uint32Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    hashKey64(keys[i]!);
    his[i] = keyHash[HI] || 1;
    los[i] = keyHash[LO]!;
  }
  return { his, los };
}

/**
 * Checks and hashes a chunk of snapshot body lines (`key\n` each, as `scanSnapshotFile` hands
 * them over). Keys of printable ASCII in strictly increasing order (every `acct:` and `email:`
 * key) are checked and hashed on the bytes, in WebAssembly where it runs (`wasm/snapshot-keys.ts`;
 * `engine: 'js'` for the JavaScript path, which tests compare it with); any other chunk goes
 * through `checkSnapshotKeys`, which gives the exact error or handles non-ASCII keys. Same hashes
 * either way (see `hashPrintableKeyBytes64`). Measured at bench scale 0.3 (3M keys): the string
 * path spent ~130 ms per worker in `checkSnapshotKeys` plus its garbage; the byte path allocates
 * nothing per key.
 *
 * `borrow`: the caller is done with the hashes before its next call on this thread, so the
 * WebAssembly path may hand over views of its memory instead of copies. Why: a build's load
 * copied 80 MB of hashes at 10M keys, all of it new memory, whose first touch (page faults)
 * costs more than the copy on a virtual machine.
 */
export function hashSnapshotChunk(
  path: string,
  bytes: Uint8Array,
  length: number,
  firstLine: number,
  { engine = 'wasm', borrow = false }: { engine?: 'wasm' | 'js'; borrow?: boolean } = {},
): KeyHashes {
  const fast = engine === 'wasm' ? hashChunkWasm(bytes, length, borrow) : undefined;
  if (fast) return fast;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, length);
  // Sized for keys of 7+ bytes ("acct:1\n"), grown if shorter ones come.
  let his = new Uint32Array((length >> 3) + 16);
  let los = new Uint32Array(his.length);
  let k = 0;
  let prevStart = -1;
  let prevEnd = -1;
  let start = 0;
  while (start < length) {
    const end = buf.indexOf(10, start);
    const n = end - start;
    if (end < 0 || n === 0 || n > MAX_KEY_LENGTH) return slowChunk(path, buf, firstLine);
    if (prevStart >= 0 && compareBytes(buf, prevStart, prevEnd, start, end) >= 0) {
      return slowChunk(path, buf, firstLine);
    }
    if (!hashPrintableKeyBytes64(buf, start, end)) return slowChunk(path, buf, firstLine);
    if (k === his.length) {
      const moreHis = new Uint32Array(his.length * 2);
      const moreLos = new Uint32Array(his.length * 2);
      moreHis.set(his);
      moreLos.set(los);
      his = moreHis;
      los = moreLos;
    }
    his[k] = keyHash[HI] || 1;
    los[k] = keyHash[LO]!;
    k++;
    prevStart = start;
    prevEnd = end;
    start = end + 1;
  }
  return { his: his.subarray(0, k), los: los.subarray(0, k) };
}

/**
 * The byte path of {@link hashSnapshotChunk} in WebAssembly (key-line-hasher.ts); undefined when
 * it cannot run or the chunk is not plain (the JavaScript path then reads it, and reports what is
 * wrong). Exported for the tests that compare it with the JavaScript path. Measured on the bench's
 * 10M keys: the workers' CPU for the load went from 0.96-1.11 s each to 0.53-0.83 s, and the load
 * from 1.44-1.61 s to 1.23-1.27 s (after warm-up). `borrow`: views of the hasher's memory, valid
 * until its next call, instead of copies.
 */
export function hashChunkWasm(
  bytes: Uint8Array,
  length: number,
  borrow = false,
): KeyHashes | undefined {
  const hasher = keyLineHasher();
  const input = hasher?.input(length);
  if (!hasher || !input) return undefined;
  input.set(bytes.subarray(0, length));
  const hashes = hasher.hash(length, MAX_KEY_LENGTH, 1);
  if (!hashes || borrow) return hashes;
  // Copies: the memory takes the next chunk.
  return { his: hashes.his.slice(), los: hashes.los.slice() };
}

function slowChunk(path: string, buf: Buffer, firstLine: number): KeyHashes {
  return hashKeys(checkSnapshotKeys(path, buf.toString('utf8', 0, buf.length - 1), firstLine));
}

function compareBytes(b: Uint8Array, s1: number, e1: number, s2: number, e2: number): number {
  const n = Math.min(e1 - s1, e2 - s2);
  for (let i = 0; i < n; i++) {
    const d = b[s1 + i]! - b[s2 + i]!;
    if (d !== 0) return d;
  }
  return e1 - s1 - (e2 - s2);
}

/** Keys whose home slots `hasAll` loads together before probing them. */
const LOOKUP_GROUP = 1024;

export interface ObjectorSet {
  readonly count: number;
  has(subjectKey: string): boolean;
  /**
   * `out[i] = 1` when the key whose `hashKey64` is `(his[i], los[i])` is in the set, for
   * `i < n`. Many lookups at once: their cache misses overlap instead of following each other.
   */
  hasAll(his: Uint32Array, los: Uint32Array, n: number, out: Uint8Array): void;
}

/**
 * The layout of {@link ObjectorTable}'s slots, for a table handed to another process as bytes
 * (the JetStream runner's workers): it is read only by code of the same layout, since a table
 * probed with another hash or slot order would miss objectors.
 */
export const OBJECTOR_TABLE_FORMAT = `veto-objector-table/1 hashKey64 hi||1,lo u32x2 linear-probe ${endianness()}`;

/** Builds the exact table; `add` keys, then `descriptor()` to share it with workers. */
export class ObjectorTable implements ObjectorSet {
  readonly #slots: Uint32Array;
  readonly #mask: number;
  readonly #buffer: SharedArrayBuffer;
  count = 0;
  /** Where `hasAll`'s warm-up loads go: a value nobody needs, that the compiler cannot drop. */
  warmUpChecksum = 0;

  constructor(expected: number, buffer?: SharedArrayBuffer, count = 0) {
    if (buffer) {
      this.#buffer = buffer;
    } else {
      // Load ≤ 0.6 keeps linear probes short; the header's count sizes it exactly once.
      let capacity = 16;
      while (capacity * 0.6 < expected) capacity *= 2;
      this.#buffer = new SharedArrayBuffer(capacity * 8);
    }
    this.#slots = new Uint32Array(this.#buffer);
    this.#mask = this.#slots.length / 2 - 1;
    this.count = count;
  }

  static from(desc: Extract<ObjectorSetDescriptor, { kind: 'table' }>): ObjectorTable {
    return new ObjectorTable(0, desc.slots, desc.count);
  }

  /** Whether `bytes` can be a table's slots: a power of two of 8-byte slots, at least 16. */
  static validSize(bytes: number): boolean {
    const slots = bytes / 8;
    return Number.isInteger(slots) && slots >= 16 && Number.isInteger(Math.log2(slots));
  }

  /** Adds one key (tests, small sets); a snapshot goes through {@link addHashes}. */
  add(subjectKey: string): void {
    hashKey64(subjectKey);
    this.#insert(keyHash[HI] || 1, keyHash[LO]!);
    this.count++;
  }

  /**
   * Set while other threads fill the same table (each through its own view of the shared
   * memory, {@link ObjectorTable.from}): slots are then claimed with a compare-and-exchange, and
   * lookups must wait until every thread has flushed.
   */
  concurrent = false;

  /**
   * Keys {@link stage} holds before adding them (16 bytes each). Each stage added is one pass
   * over the table, so more keys per stage is fewer passes, but more new memory: 1M (16 MB) where
   * threads fill a table together (each has its own stage), 4M for one thread loading 10M keys
   * (0.92-1.03 s against 1.16-1.34 s with 1M; with 4M per gate worker the build's load took
   * 1.8 s against 1.1-1.3 s).
   */
  stageKeys = 1 << 20;

  /**
   * Adds pre-hashed keys (see {@link hashKeys}; distinct, as a snapshot's are): {@link stage}
   * each part, then {@link flush}.
   */
  addHashes(parts: readonly KeyHashes[]): void {
    for (const { his, los } of parts) this.stage(his, los, los.length);
    this.flush();
  }

  /**
   * Adds pre-hashed keys (distinct) as they come: copied into a stage of {@link stageKeys}
   * keys, which is added in table order whenever it fills (and by {@link flush}); the arrays
   * given may be reused as soon as this returns. Why in table order: inserting keys in the order
   * they come is a cache miss each into a 134 MB table at 10M keys (~200 ns each, ~2.5 s
   * measured); in table order consecutive inserts land close together. Why a stage rather than
   * every key first: the keys' hashes, kept whole and then sorted, were 160 MB of new memory at
   * 10M keys, and first touches of memory (page faults) cost a virtual machine more than the
   * sort (a load: 0.64-0.73 s that way, 0.31-0.35 s on memory already touched). Threads that
   * fill one table together each stage their own keys ({@link concurrent}): inserting each key as
   * it came, its cache miss overlapped with its group's, cost ~70-100 ns a key at 10M keys.
   */
  stage(his: Uint32Array, los: Uint32Array, n: number): void {
    // Never more than the table can take (a small set gets a small stage).
    const size = Math.min(this.stageKeys, Math.ceil((this.#mask + 1) * 0.75));
    this.#stage ??= {
      his: new Uint32Array(size),
      los: new Uint32Array(size),
      sortedHis: new Uint32Array(size),
      sortedLos: new Uint32Array(size),
      n: 0,
    };
    const stage = this.#stage;
    for (let i = 0; i < n; ) {
      const take = Math.min(n - i, stage.his.length - stage.n);
      stage.his.set(his.subarray(i, i + take), stage.n);
      stage.los.set(los.subarray(i, i + take), stage.n);
      stage.n += take;
      i += take;
      if (stage.n === stage.his.length) this.#addStaged();
    }
  }

  /** Adds what {@link stage} holds, and lets its memory go. */
  flush(): void {
    if (this.#stage && this.#stage.n > 0) this.#addStaged();
    this.#stage = undefined;
  }

  #stage:
    | {
        his: Uint32Array;
        los: Uint32Array;
        sortedHis: Uint32Array;
        sortedLos: Uint32Array;
        n: number;
      }
    | undefined;

  /** The stage's keys bucketed by table region (a counting sort), then inserted in that order. */
  #addStaged(): void {
    const stage = this.#stage!;
    const n = stage.n;
    const capacity = this.#mask + 1;
    if (this.count + n > capacity * 0.75) {
      throw new Error('objector table is full: more keys than announced');
    }
    const bucketBits = Math.min(16, Math.log2(capacity));
    const shift = Math.log2(capacity) - bucketBits;
    const starts = new Uint32Array((1 << bucketBits) + 1);
    const { his, los, sortedHis, sortedLos } = stage;
    for (let i = 0; i < n; i++) starts[((los[i]! & this.#mask) >>> shift) + 1]!++;
    for (let b = 1; b < starts.length; b++) starts[b]! += starts[b - 1]!;
    for (let i = 0; i < n; i++) {
      const lo = los[i]!;
      const at = starts[(lo & this.#mask) >>> shift]!++;
      sortedHis[at] = his[i]! || 1;
      sortedLos[at] = lo;
    }
    if (this.concurrent) for (let i = 0; i < n; i++) this.#claim(sortedHis[i]!, sortedLos[i]!);
    else for (let i = 0; i < n; i++) this.#insert(sortedHis[i]!, sortedLos[i]!);
    this.count += n;
    stage.n = 0;
  }

  /** `#insert` for a table other threads write to at the same time. */
  #claim(hi: number, lo: number): void {
    const slots = this.#slots;
    let i = lo & this.#mask;
    for (let probes = 0; ; probes++) {
      if (probes > this.#mask) throw new Error('objector table is full: more keys than announced');
      if (slots[2 * i] === 0 && Atomics.compareExchange(slots, 2 * i, 0, hi) === 0) break;
      i = (i + 1) & this.#mask;
    }
    slots[2 * i + 1] = lo;
  }

  #insert(hi: number, lo: number): void {
    // A stored high word is never 0 (a hash whose high word is 0 is stored with 1 there, and
    // looked up the same way), so 0 marks an empty slot.
    const slots = this.#slots;
    let i = lo & this.#mask;
    for (let probes = 0; slots[2 * i] !== 0; probes++) {
      if (probes > this.#mask) throw new Error('objector table is full: more keys than announced');
      i = (i + 1) & this.#mask;
    }
    slots[2 * i] = hi;
    slots[2 * i + 1] = lo;
  }

  has(subjectKey: string): boolean {
    hashKey64(subjectKey);
    const hi = keyHash[HI] || 1;
    const lo = keyHash[LO]!;
    const slots = this.#slots;
    let i = lo & this.#mask;
    for (;;) {
      const a = slots[2 * i]!;
      if (a === 0) return false;
      if (a === hi && slots[2 * i + 1] === lo) return true;
      i = (i + 1) & this.#mask;
    }
  }

  hasAll(his: Uint32Array, los: Uint32Array, n: number, out: Uint8Array): void {
    const slots = this.#slots;
    const mask = this.#mask;
    // A group's home slots are touched first with loads that depend on nothing but the hashes,
    // so the CPU has many misses in flight; the probes then find their lines in cache. Measured
    // at 10M objectors (130 MB table): ~200 ns a record one by one. Why groups: touched all at
    // once, verify's 2.1M subjects had left the cache before their probes (two misses a key):
    // 302-369 ms for them against 175 ms in groups of 1,024 (16,384: 204 ms).
    let touched = 0;
    for (let from = 0; from < n; from += LOOKUP_GROUP) {
      const to = Math.min(n, from + LOOKUP_GROUP);
      for (let k = from; k < to; k++) touched ^= slots[2 * (los[k]! & mask)]!;
      for (let k = from; k < to; k++) {
        const hi = his[k]! || 1;
        const lo = los[k]!;
        let i = lo & mask;
        let found = 0;
        for (;;) {
          const a = slots[2 * i]!;
          if (a === 0) break;
          if (a === hi && slots[2 * i + 1] === lo) {
            found = 1;
            break;
          }
          i = (i + 1) & mask;
        }
        out[k] = found;
      }
    }
    // Keeps the warm-up loads from being optimised away.
    this.warmUpChecksum ^= touched;
  }

  /** The table's memory, for other threads to fill (`WorkerPool.hashSnapshotChunk`). */
  get shared(): SharedArrayBuffer {
    return this.#buffer;
  }

  descriptor(): ObjectorSetDescriptor {
    return { kind: 'table', slots: this.#buffer, count: this.count };
  }
}

export class ObjectorFilter implements ObjectorSet {
  constructor(
    readonly filter: BinaryFuse8,
    readonly count: number,
  ) {}

  has(subjectKey: string): boolean {
    hashKey64(subjectKey);
    return this.filter.has(keyHash[HI]!, keyHash[LO]!);
  }

  hasAll(his: Uint32Array, los: Uint32Array, n: number, out: Uint8Array): void {
    this.filter.hasMany(his, los, n, out);
  }

  descriptor(): ObjectorSetDescriptor {
    const buffer = this.filter.fingerprints.buffer;
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw new Error('filter fingerprints must live in a SharedArrayBuffer to be shared');
    }
    return {
      kind: 'filter',
      params: this.filter.params,
      fingerprints: buffer,
      offset: this.filter.fingerprints.byteOffset,
      memory: this.filter.memory,
      count: this.count,
    };
  }
}

export function objectorSetFrom(desc: ObjectorSetDescriptor): ObjectorSet {
  if (desc.kind === 'table') return ObjectorTable.from(desc);
  return new ObjectorFilter(
    new BinaryFuse8(
      desc.params,
      new Uint8Array(desc.fingerprints, desc.offset, desc.params.arrayLength),
      desc.memory,
    ),
    desc.count,
  );
}

/**
 * Loads a snapshot file into an exact table on one thread (verify's, or one gate worker's while
 * the others read the data: `WorkerPool.loadSnapshotTable`): its keys hashed in WebAssembly and
 * added in table order (`ObjectorTable.stage`, in stages of 4M keys). The file's hash, order and
 * count are checked. Also a build's load when it has no workers. Why not by every gate worker at
 * once, as a build with workers does: verify's other workers read the data meanwhile; and when
 * several threads added each key as it came (a cache miss each), the load cost 2.3 CPU-s at 10M
 * keys against 0.8 here, the whole verify 4.9-5.3 CPU-s against 4.3 (bench scale, measured
 * alternately on a loaded machine).
 */
export async function loadSnapshotTable(
  path: string,
  count: number,
): Promise<{ table: ObjectorTable; meta: SnapshotMeta }> {
  const table = new ObjectorTable(count);
  table.stageKeys = 1 << 22;
  const meta = await scanSnapshotFile(
    path,
    (chunk, firstLine) => {
      const { his, los } = hashSnapshotChunk(path, chunk, chunk.length, firstLine, {
        borrow: true,
      });
      table.stage(his, los, los.length);
    },
    { reuse: true },
  );
  table.flush();
  if (table.count !== meta.count) {
    throw new Error(`objector table holds ${table.count} keys, the snapshot ${meta.count}`);
  }
  return { table, meta };
}
