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

/** Slots in a region of the table while it is filled (see `ObjectorTable.stage`): 256 KB. */
const REGION_BITS = 15;
/** Keys a thread gathers for one region before claiming their space in it. */
const BLOCK_KEYS = 16;
/** The fill state: a flag, then one cursor per region, each on a cache line of its own. */
const FILL_SETTLED = 0;
const FILL_CURSORS = 16;
const CURSOR_STRIDE = 16;

/** Builds the exact table; `add` keys, then `descriptor()` to share it with workers. */
export class ObjectorTable implements ObjectorSet {
  readonly #slots: Uint32Array;
  readonly #mask: number;
  readonly #buffer: SharedArrayBuffer;
  count = 0;
  /** Where `hasAll`'s warm-up loads go: a value nobody needs, that the compiler cannot drop. */
  warmUpChecksum = 0;

  constructor(
    expected: number,
    buffer?: SharedArrayBuffer,
    count = 0,
    fillState?: SharedArrayBuffer,
  ) {
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
    const capacity = this.#mask + 1;
    this.#regionBits = Math.min(REGION_BITS, Math.log2(capacity));
    this.regions = capacity >>> this.#regionBits;
    this.#fillState = fillState;
    // Slots handed over without a fill state are a table already filled (a worker's view, a
    // table read from a file): a key added to it goes in place, never packed over its keys.
    this.#filled = buffer !== undefined && fillState === undefined;
  }

  /**
   * A view of a table other threads share (`descriptor()`); `fillState` too when this thread
   * helps fill it ({@link fillState}).
   */
  static from(
    desc: Extract<ObjectorSetDescriptor, { kind: 'table' }>,
    fillState?: SharedArrayBuffer,
  ): ObjectorTable {
    return new ObjectorTable(0, desc.slots, desc.count, fillState);
  }

  /** Whether `bytes` can be a table's slots: a power of two of 8-byte slots, at least 16. */
  static validSize(bytes: number): boolean {
    const slots = bytes / 8;
    return Number.isInteger(slots) && slots >= 16 && Number.isInteger(Math.log2(slots));
  }

  /** Adds one key (tests, small sets); a snapshot goes through {@link stage}. */
  add(subjectKey: string): void {
    hashKey64(subjectKey);
    this.#placed();
    this.#insert(keyHash[HI] || 1, keyHash[LO]!);
    this.count++;
  }

  /**
   * Set while other threads fill the same table (each through its own view of the shared
   * memory and the same fill state, {@link ObjectorTable.from}): space in a region is then claimed
   * atomically, and lookups must wait until the table is settled.
   */
  concurrent = false;

  /** The table's regions of {@link REGION_BITS} slots (fewer in a small table: one). */
  readonly regions: number;
  readonly #regionBits: number;
  /**
   * Where threads that fill the table together claim space in its regions (see {@link stage}):
   * made when first needed (a view that only looks up never needs it).
   */
  #fillState: SharedArrayBuffer | undefined;
  #cursorView: Int32Array | undefined;
  /** The table was handed over filled (see the constructor). */
  readonly #filled: boolean;
  /** This thread's blocks of keys for each region (see {@link stage}), made on first use. */
  #blocks: { his: Uint32Array; los: Uint32Array; fill: Uint8Array } | undefined;
  /** Keys that did not fit their region: added by {@link addSpilled} once it is settled. */
  #spilledHis: number[] = [];
  #spilledLos: number[] = [];

  /** The memory other threads need to help fill this table (with {@link shared}). */
  get fillState(): SharedArrayBuffer {
    this.#fillState ??= new SharedArrayBuffer((FILL_CURSORS + this.regions * CURSOR_STRIDE) * 4);
    return this.#fillState;
  }

  get #cursors(): Int32Array {
    this.#cursorView ??= new Int32Array(this.fillState);
    return this.#cursorView;
  }

  /** Whether keys now go in place (the fill is over, or there never was one here). */
  #settled(): boolean {
    return this.#filled || Atomics.load(this.#cursors, FILL_SETTLED) !== 0;
  }

  /**
   * Adds pre-hashed keys (see {@link hashKeys}; distinct, as a snapshot's are): {@link stage}
   * each part, then {@link flush}.
   */
  addHashes(parts: readonly KeyHashes[]): void {
    for (const { his, los } of parts) this.stage(his, los, los.length);
    this.flush();
  }

  /**
   * Adds pre-hashed keys (distinct) as they come, from any number of threads at once; the keys
   * are in the table once it is settled ({@link flush} on one thread; `WorkerPool.flushSnapshotChunks`
   * for a pool). The arrays given may be reused as soon as this returns.
   *
   * How: the table is cut in regions of {@link REGION_BITS} slots (256 KB). A key is first put,
   * in a block of {@link BLOCK_KEYS} with others of its region, at the start of its home region,
   * packed (a region holds ~0.6 of its size in keys; a thread claims a block's space with one
   * atomic add); settling then takes each region's packed keys out (they fit in the cache) and
   * inserts them in the region, so each key's probe is a cache hit. A key whose region is full,
   * or whose probe would run past its region's end, is added at the end, as any key would be.
   * Why: inserting keys as they come is a cache miss each into a 134 MB table at 10M keys
   * (~200 ns each). The stage sorted in table order that came before (1M keys a thread, each
   * stage one pass over the whole table) needed 16 MB of new memory a thread where this needs
   * 64 KB. Measured alternately at 10M keys, each fill on a new table: one thread 0.55-0.90 s
   * against 0.61-1.21 s (stages of 4M); in a gate build with two workers, the load 1.06-1.48 s
   * (2.0-2.7 CPU-s) against 1.39-2.39 s (2.6-4.1 CPU-s), output identical.
   */
  stage(his: Uint32Array, los: Uint32Array, n: number): void {
    const capacity = this.#mask + 1;
    if (this.count + n > capacity * 0.75) {
      throw new Error('objector table is full: more keys than announced');
    }
    this.count += n;
    if (this.#settled()) {
      // A settled table (keys added one by one, or a fill already done): inserted in place.
      for (let k = 0; k < n; k++) {
        if (this.concurrent) this.#claim(his[k]! || 1, los[k]!);
        else this.#insert(his[k]! || 1, los[k]!);
      }
      return;
    }
    const regions = this.regions;
    this.#blocks ??= {
      his: new Uint32Array(regions * BLOCK_KEYS),
      los: new Uint32Array(regions * BLOCK_KEYS),
      fill: new Uint8Array(regions),
    };
    const blocks = this.#blocks;
    const bHis = blocks.his;
    const bLos = blocks.los;
    const fill = blocks.fill;
    const mask = this.#mask;
    const shift = this.#regionBits;
    for (let k = 0; k < n; k++) {
      const lo = los[k]!;
      const r = (lo & mask) >>> shift;
      const f = fill[r]!;
      const at = r * BLOCK_KEYS + f;
      bHis[at] = his[k]! || 1;
      bLos[at] = lo;
      if (f + 1 === BLOCK_KEYS) {
        fill[r] = 0;
        this.#putBlock(r, BLOCK_KEYS);
      } else {
        fill[r] = f + 1;
      }
    }
  }

  /** Writes this thread's `n` keys of region `r` packed into the region, or spills them. */
  #putBlock(r: number, n: number): void {
    const cursor = FILL_CURSORS + r * CURSOR_STRIDE;
    // Atomic whether or not other threads fill too: one add a block costs nothing measurable.
    const pos = Atomics.add(this.#cursors, cursor, n);
    const size = 1 << this.#regionBits;
    const { his, los } = this.#blocks!;
    const from = r * BLOCK_KEYS;
    if (pos + n <= size) {
      const slots = this.#slots;
      let at = 2 * ((r << this.#regionBits) + pos);
      for (let j = from; j < from + n; j++) {
        slots[at++] = his[j]!;
        slots[at++] = los[j]!;
      }
      return;
    }
    for (let j = from; j < from + n; j++) {
      this.#spilledHis.push(his[j]!);
      this.#spilledLos.push(los[j]!);
    }
  }

  /**
   * Writes this thread's part-filled blocks (see {@link stage}) and hands over the keys it could
   * not place; they go to {@link addSpilled} once every region is settled.
   */
  flushStage(): KeyHashes {
    const blocks = this.#blocks;
    if (blocks) {
      for (let r = 0; r < this.regions; r++) {
        const n = blocks.fill[r]!;
        if (n > 0) this.#putBlock(r, n);
      }
      this.#blocks = undefined;
    }
    return this.#takeSpilled();
  }

  #takeSpilled(): KeyHashes {
    const spilled = {
      his: Uint32Array.from(this.#spilledHis),
      los: Uint32Array.from(this.#spilledLos),
    };
    this.#spilledHis = [];
    this.#spilledLos = [];
    return spilled;
  }

  /**
   * Settles regions `[from, to)` once every thread has flushed its stage: each region's packed
   * keys are taken out and inserted in it. Threads may settle other regions at the same time.
   * Returns the keys whose probe ran past their region's end, for {@link addSpilled}.
   */
  settle(from: number, to: number): KeyHashes {
    const size = 1 << this.#regionBits;
    const slots = this.#slots;
    const mask = this.#mask;
    const packed = new Uint32Array(2 * size);
    for (let r = from; r < to; r++) {
      const n = Math.min(size, Atomics.load(this.#cursors, FILL_CURSORS + r * CURSOR_STRIDE));
      const base = 2 * (r << this.#regionBits);
      packed.set(slots.subarray(base, base + 2 * n));
      slots.fill(0, base, base + 2 * n);
      const end = (r + 1) << this.#regionBits;
      for (let k = 0; k < 2 * n; k += 2) {
        const hi = packed[k]!;
        // A block that did not fit left its claimed space empty.
        if (hi === 0) continue;
        const lo = packed[k + 1]!;
        let i = lo & mask;
        while (i < end && slots[2 * i] !== 0) i++;
        if (i === end) {
          this.#spilledHis.push(hi);
          this.#spilledLos.push(lo);
          continue;
        }
        slots[2 * i] = hi;
        slots[2 * i + 1] = lo;
      }
    }
    return this.#takeSpilled();
  }

  /**
   * Ends a fill: the keys no region could take ({@link flushStage}, {@link settle}) are inserted
   * with ordinary probes, and the table is settled (later keys are inserted in place).
   */
  addSpilled(parts: readonly KeyHashes[]): void {
    Atomics.store(this.#cursors, FILL_SETTLED, 1);
    for (const { his, los } of parts) {
      for (let k = 0; k < los.length; k++) this.#insert(his[k]!, los[k]!);
    }
  }

  /**
   * Ends a fill on one thread (a table no other thread helped fill): its stage flushed, every
   * region settled, the spilled keys added.
   */
  flush(): void {
    if (this.#settled()) return;
    const spilled = this.flushStage();
    this.addSpilled([spilled, this.settle(0, this.regions)]);
  }

  /** Keys are about to be inserted in place: the table counts as settled from now on. */
  #placed(): void {
    if (!this.#settled()) this.flush();
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
 * added by region (`ObjectorTable.stage`). The file's hash, order and
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
