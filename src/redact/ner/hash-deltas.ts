/**
 * Increasing 32-bit word hashes stored as each one's difference from the one before, in LEB128:
 * how the shipped word tables (word flags, word classes from word vectors) keep a few hundred
 * thousand hashes in about a byte and a half each before gzip.
 */

/** `sorted`: unsigned 32-bit hashes in increasing order. */
export function encodeHashDeltas(sorted: readonly number[]): Buffer {
  const bytes: number[] = [];
  let prev = 0;
  for (const h of sorted) {
    let d = h - prev;
    if (d < 0) throw new Error('hash deltas: hashes not in increasing order');
    prev = h;
    while (d >= 128) {
      bytes.push((d & 127) | 128);
      d = Math.floor(d / 128);
    }
    bytes.push(d);
  }
  return Buffer.from(bytes);
}

/**
 * Calls `onHash` with each of `count` hashes (as a signed 32-bit integer, the tokeniser's
 * `wordHash`) and its index, read from `b[at, end)`; returns where they end. Throws `damaged`
 * when they would run past `end`.
 */
export function decodeHashDeltas(
  b: Uint8Array,
  at: number,
  count: number,
  end: number,
  file: string,
  onHash: (hash: number, index: number) => void,
): number {
  let h = 0;
  for (let i = 0; i < count; i++) {
    let d = 0;
    let shift = 1;
    for (;;) {
      if (at >= end) throw new Error(`${file}: damaged`);
      const byte = b[at++]!;
      d += (byte & 127) * shift;
      if (byte < 128) break;
      shift *= 128;
    }
    h += d;
    onHash(h | 0, i);
  }
  return at;
}
