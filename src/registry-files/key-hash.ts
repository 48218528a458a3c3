/**
 * `veto-key64 v1`: the 64-bit hash of a subject key used by the filter file and by the gate's
 * in-memory objector table.
 *
 * Why not a library or `node:crypto`: the gate hashes one key per record and a filter lookup must
 * stay above 10M keys/s; a sha256 per key costs ~1 µs, and no npm package offers a fast 64-bit
 * string hash without BigInt (which allocates). This is MurmurHash3-style mixing over the string's
 * UTF-16 code units, two code units per 32-bit block, into two 32-bit lanes finalised together
 * (as in MurmurHash3 x86_128). It is not cryptographic: a collision can only make a non-objector
 * look like an objector (an extra drop), never the reverse, so it cannot weaken fail-closed.
 *
 * The result goes into {@link keyHash} instead of a returned pair so hot loops allocate nothing.
 * `wasm/snapshot-keys.ts` computes the same hash in WebAssembly, for the gate's snapshot loads and
 * the snapshot and filter writers; `test/gate/objector-set.test.ts` and
 * `test/registry-files/snapshot-body.test.ts` compare the two, so a change here must be made there
 * too.
 */
export const keyHash = new Uint32Array(2);
/** Index of the high 32 bits in {@link keyHash}. */
export const HI = 0;
/** Index of the low 32 bits in {@link keyHash}. */
export const LO = 1;

export function hashKey64(key: string): void {
  const n = key.length;
  let h1 = 0x243f6a88 ^ n;
  let h2 = 0x85a308d3 ^ Math.imul(n, 0x9e3779b1);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const k = blockOf(key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16));
    h1 = mixLane1(h1, k);
    h2 = mixLane2(h2, k);
  }
  if (i < n) {
    const k = blockOf(key.charCodeAt(i));
    h1 ^= k;
    h2 ^= Math.imul(k, 0x85ebca6b);
  }
  finish(h1, h2);
}

/**
 * One 32-bit block mixed into each lane (MurmurHash3 x86_128's body, two lanes). Small functions
 * that the compiler inlines into the loops: the same speed as writing them out in each variant.
 */
function mixLane1(h1: number, k: number): number {
  h1 ^= k;
  h1 = (h1 << 13) | (h1 >>> 19);
  return (Math.imul(h1, 5) + 0xe6546b64) | 0;
}

function mixLane2(h2: number, k: number): number {
  h2 ^= Math.imul(k, 0x85ebca6b);
  h2 = (h2 << 17) | (h2 >>> 15);
  return (Math.imul(h2, 5) + 0x561ccd1b) | 0;
}

/** The two lanes finalised together, into {@link keyHash} (every variant ends here). */
function finish(h1: number, h2: number): void {
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  keyHash[HI] = h1;
  keyHash[LO] = h2;
}

/**
 * {@link hashKey64} of a key given as bytes `buf[start, end)`, for keys of printable ASCII (an
 * ASCII byte is its UTF-16 code unit, so the hash is the string's): the gate hashes a snapshot's
 * keys this way without decoding them. Returns false, with `keyHash` unspecified, when a byte is
 * not printable ASCII (space, control, DEL, non-ASCII); the caller then takes the string path.
 */
export function hashPrintableKeyBytes64(buf: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  let bad = 0;
  let h1 = 0x243f6a88 ^ n;
  let h2 = 0x85a308d3 ^ Math.imul(n, 0x9e3779b1);
  let i = start;
  for (; i + 1 < end; i += 2) {
    const a = buf[i]!;
    const b = buf[i + 1]!;
    bad |= (a - 0x21) | (0x7e - a) | (b - 0x21) | (0x7e - b);
    const k = blockOf(a | (b << 16));
    h1 = mixLane1(h1, k);
    h2 = mixLane2(h2, k);
  }
  if (i < end) {
    const a = buf[i]!;
    bad |= (a - 0x21) | (0x7e - a);
    const k = blockOf(a);
    h1 ^= k;
    h2 ^= Math.imul(k, 0x85ebca6b);
  }
  if (bad < 0) return false;
  finish(h1, h2);
  return true;
}

/** `acct:` as code units: the prefix {@link hashAccountKeyBytes64} adds before the id's bytes. */
const A = 0x61;
const C = 0x63;
const T = 0x74;
const COLON = 0x3a;
/** The mixed blocks of "ac" and "ct", the first two of every `acct:` key. */
const AC = blockOf(A | (C << 16));
const CT = blockOf(C | (T << 16));

function blockOf(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

/**
 * {@link hashKey64} of the subject key `acct:<id>`, the id given as bytes `buf[start, end)` of
 * printable ASCII (1 byte or more, the caller checks): the gate hashes every record's author this
 * way, without building the id or the key as strings. `test/registry-files/key-hash.test.ts`
 * checks it against `hashKey64` of the string.
 */
export function hashAccountKeyBytes64(buf: Uint8Array, start: number, end: number): void {
  const n = end - start + 5;
  let h1 = 0x243f6a88 ^ n;
  let h2 = 0x85a308d3 ^ Math.imul(n, 0x9e3779b1);
  // Blocks "ac", "ct", ":" with the id's first byte, then the id's bytes two by two.
  let i = start + 1;
  for (let block = 0; ; block++) {
    let k: number;
    if (block === 0) k = AC;
    else if (block === 1) k = CT;
    else if (block === 2) k = blockOf(COLON | (buf[start]! << 16));
    else if (i + 1 < end) {
      k = blockOf(buf[i]! | (buf[i + 1]! << 16));
      i += 2;
    } else break;
    h1 = mixLane1(h1, k);
    h2 = mixLane2(h2, k);
  }
  if (i < end) {
    const k = blockOf(buf[i]!);
    h1 ^= k;
    h2 ^= Math.imul(k, 0x85ebca6b);
  }
  finish(h1, h2);
}

/** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
