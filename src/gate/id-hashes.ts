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
 * The ids' 64-bit hashes, sorted once at the end to find repeats. Why not a hash set: inserting
 * 3.5M ids one by one into a 32 MB table cost ~0.9 s, a cache (and TLB) miss per id; appending
 * and one native sort of 64-bit integers touches memory in order (a radix pass by the top bits
 * first measured no faster: 252 ms against 237 at 3.5M).
 */
export class IdHashes extends WordPairs {
  constructor(expected: number) {
    super(Math.min(expected, 1 << 25));
  }

  /** The hashes seen more than once. */
  repeated(): HashSet64 {
    const out = new HashSet64();
    const sorted = new BigUint64Array(this.buf.buffer, 0, this.n).sort();
    const w = new Uint32Array(sorted.buffer, 0, 2 * this.n);
    for (let k = 1; k < this.n; k++) {
      if (w[2 * k] === w[2 * k - 2] && w[2 * k + 1] === w[2 * k - 1])
        out.add(w[2 * k + 1]!, w[2 * k]!);
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
