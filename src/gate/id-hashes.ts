/** 64-bit hashes of record ids: the build's and verify's search for repeated ids. */

/**
 * Pairs of 32-bit words appended to one growing array: 64-bit hashes as their little-endian
 * halves (`push(hi, lo)` stores the low word first), or spans as `push(end, start)`.
 */
export class WordPairs {
  protected buf: Uint32Array;
  n = 0;

  constructor(expected: number) {
    this.buf = new Uint32Array(2 * Math.max(16, expected));
  }

  push(hi: number, lo: number): void {
    if (2 * this.n === this.buf.length) {
      const grown = new Uint32Array(this.buf.length * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf[2 * this.n] = lo;
    this.buf[2 * this.n + 1] = hi;
    this.n++;
  }

  /** Appends pairs as `words` holds them (as {@link words} gives them). */
  pushWords(words: Uint32Array): void {
    const need = 2 * this.n + words.length;
    if (need > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < need) size *= 2;
      const grown = new Uint32Array(size);
      grown.set(this.buf.subarray(0, 2 * this.n));
      this.buf = grown;
    }
    this.buf.set(words, 2 * this.n);
    this.n += words.length >> 1;
  }

  /** A copy of the pairs, exactly sized (transferable). */
  words(): Uint32Array {
    return this.buf.slice(0, 2 * this.n);
  }
}

/**
 * The ids' 64-bit hashes, searched once at the end for repeats: spread by their top bits into
 * buckets of a few thousand (one counting pass, one scatter), then each bucket's hashes put in a
 * small table that stays in cache. Why: one hash set of every id cost ~0.9 s at 3.5M ids (a
 * cache and TLB miss per id); one native sort of them 250-270 ms, on the build's and verify's
 * one-threaded tail; the buckets ~60 ms.
 */
export class IdHashes extends WordPairs {
  constructor(expected: number) {
    super(Math.min(expected, 1 << 25));
  }

  /** The hashes seen more than once. */
  repeated(): HashSet64 {
    const out = new HashSet64();
    const n = this.n;
    const w = this.buf;
    // Buckets of ~4,096 hashes on average (at most 2^16 buckets).
    let bits = 0;
    while (bits < 16 && n >>> bits > 4096) bits++;
    // The top `bits` bits of the high word (two shifts: `x >>> 32` is `x` in JavaScript).
    const shift = 16 - bits;
    const starts = new Int32Array((1 << bits) + 1);
    for (let k = 0; k < n; k++) starts[((w[2 * k + 1]! >>> 16) >>> shift) + 1]!++;
    let largest = 0;
    for (let b = 1; b < starts.length; b++) {
      largest = Math.max(largest, starts[b]!);
      starts[b]! += starts[b - 1]!;
    }
    const his = new Uint32Array(n);
    const los = new Uint32Array(n);
    const at = starts.slice(0, -1);
    for (let k = 0; k < n; k++) {
      const hi = w[2 * k + 1]!;
      const p = at[(hi >>> 16) >>> shift]!++;
      his[p] = hi;
      los[p] = w[2 * k]!;
    }
    // A bucket's table: positions + 1 into the bucket (0: empty), at most half full.
    let capacity = 16;
    while (capacity < 2 * largest) capacity *= 2;
    const table = new Int32Array(capacity);
    for (let b = 0; b + 1 < starts.length; b++) {
      const from = starts[b]!;
      const to = starts[b + 1]!;
      if (to - from < 2) continue;
      let size = 16;
      while (size < 2 * (to - from)) size *= 2;
      const mask = size - 1;
      table.fill(0, 0, size);
      for (let p = from; p < to; p++) {
        const hi = his[p]!;
        const lo = los[p]!;
        let i = lo & mask;
        for (;;) {
          const q = table[i]!;
          if (q === 0) {
            table[i] = p + 1;
            break;
          }
          if (los[q - 1] === lo && his[q - 1] === hi) {
            out.add(hi, lo);
            break;
          }
          i = (i + 1) & mask;
        }
      }
    }
    return out;
  }
}

/** An open-addressing set of 64-bit hashes (two uint32 lanes), growing at 60 % load. */
export class HashSet64 {
  #slots: Uint32Array;
  #mask: number;
  size = 0;

  /** `expected`: sizes the table once (capped: it grows past that, a claim is not trusted). */
  constructor(expected = 0) {
    let capacity = 1024;
    while (capacity * 0.6 < Math.min(expected, 1 << 25)) capacity *= 2;
    this.#slots = new Uint32Array(2 * capacity);
    this.#mask = capacity - 1;
  }

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

/** Slots of {@link RecentHashes}: 32 KB, which stays in the first-level cache. */
const RECENT_SLOTS = 4096;

/**
 * The hashes seen last, one for each slot of a small direct-mapped table: `add` answers false
 * only for a hash it holds, so a repeat it has forgotten is answered true again, never the
 * reverse. For dropping most repeats cheaply where one missed costs only a second look (verify's
 * kept authors, asked about the notice period). The high word is held as in {@link HashSet64}
 * (0 as 1). Why not a `HashSet64` of the chunk: sized for every record of a 4 MiB chunk (256 KB),
 * each add missed the cache, where the chunk's bytes stream through it: in profiles of
 * `veto dataset verify` (625 MB, 2.1M kept authors, nearly all distinct), the reading threads'
 * per-record work took 0.83-0.86 s of self time a run with this, against 1.04-1.52 s.
 */
export class RecentHashes {
  readonly #slots = new Uint32Array(2 * RECENT_SLOTS);

  /** False when the hash is the one its slot holds; else it takes the slot. */
  add(hi: number, lo: number): boolean {
    const h = hi || 1;
    const slots = this.#slots;
    const i = 2 * (lo & (RECENT_SLOTS - 1));
    if (slots[i] === h && slots[i + 1] === lo) return false;
    slots[i] = h;
    slots[i + 1] = lo;
    return true;
  }
}
