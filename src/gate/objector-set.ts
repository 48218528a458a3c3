import { BinaryFuse8, type BinaryFuse8Params } from '../registry-files/binary-fuse8.ts';
import { HI, hashKey64, keyHash, LO } from '../registry-files/key-hash.ts';

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
  | { kind: 'filter'; params: BinaryFuse8Params; fingerprints: SharedArrayBuffer; count: number };

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

export interface ObjectorSet {
  readonly count: number;
  has(subjectKey: string): boolean;
}

/** Builds the exact table; `add` keys, then `descriptor()` to share it with workers. */
export class ObjectorTable implements ObjectorSet {
  readonly #slots: Uint32Array;
  readonly #mask: number;
  readonly #buffer: SharedArrayBuffer;
  count = 0;

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

  /** Adds one key (tests, small sets); a snapshot goes through {@link addHashes}. */
  add(subjectKey: string): void {
    hashKey64(subjectKey);
    this.#insert(keyHash[HI] || 1, keyHash[LO]!);
    this.count++;
  }

  /**
   * Adds pre-hashed keys (see {@link hashKeys}; distinct, as a snapshot's are), bucketed by
   * table region first. Why: inserting 10M keys in key order is one cache miss per key into a
   * 134 MB table (~200 ns each, ~2.5 s measured); grouped by region, consecutive inserts land in
   * the same few kilobytes and the table is written nearly sequentially.
   */
  addHashes(parts: readonly KeyHashes[]): void {
    const capacity = this.#mask + 1;
    const bucketBits = Math.min(16, Math.log2(capacity));
    const shift = Math.log2(capacity) - bucketBits;
    const starts = new Uint32Array((1 << bucketBits) + 1);
    let total = 0;
    for (const { los } of parts) {
      for (let i = 0; i < los.length; i++) starts[((los[i]! & this.#mask) >>> shift) + 1]!++;
      total += los.length;
    }
    if (this.count + total > capacity * 0.75) {
      throw new Error('objector table is full: more keys than announced');
    }
    for (let b = 1; b < starts.length; b++) starts[b]! += starts[b - 1]!;
    const his = new Uint32Array(total);
    const los = new Uint32Array(total);
    for (const part of parts) {
      for (let i = 0; i < part.los.length; i++) {
        const lo = part.los[i]!;
        const at = starts[(lo & this.#mask) >>> shift]!++;
        his[at] = part.his[i]!;
        los[at] = lo;
      }
    }
    for (let i = 0; i < total; i++) this.#insert(his[i]!, los[i]!);
    this.count += total;
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

  descriptor(): ObjectorSetDescriptor {
    const buffer = this.filter.fingerprints.buffer;
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw new Error('filter fingerprints must live in a SharedArrayBuffer to be shared');
    }
    return { kind: 'filter', params: this.filter.params, fingerprints: buffer, count: this.count };
  }
}

export function objectorSetFrom(desc: ObjectorSetDescriptor): ObjectorSet {
  if (desc.kind === 'table') return ObjectorTable.from(desc);
  return new ObjectorFilter(
    new BinaryFuse8(desc.params, new Uint8Array(desc.fingerprints)),
    desc.count,
  );
}
