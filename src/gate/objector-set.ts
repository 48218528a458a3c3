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

  /**
   * Adds a key. Safe to call from several threads at once on the same table, for distinct keys
   * (a snapshot's are): a slot is claimed with a compare-and-swap on its high word, which is
   * never 0 for a stored key (a hash whose high word is 0 is stored with 1 there; lookups do the
   * same), so 0 marks an empty slot.
   */
  add(subjectKey: string): void {
    hashKey64(subjectKey);
    const hi = keyHash[HI] || 1;
    const lo = keyHash[LO]!;
    const slots = this.#slots;
    let i = lo & this.#mask;
    for (let probes = 0; ; probes++) {
      if (probes > this.#mask) throw new Error('objector table is full: more keys than announced');
      if (Atomics.compareExchange(slots, 2 * i, 0, hi) === 0) break;
      i = (i + 1) & this.#mask;
    }
    Atomics.store(slots, 2 * i + 1, lo);
    this.count++;
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

  /** Sets the count after other threads added keys (they count their own). */
  setCount(count: number): void {
    if (count > (this.#mask + 1) * 0.75) throw new Error('objector table overfilled');
    this.count = count;
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
