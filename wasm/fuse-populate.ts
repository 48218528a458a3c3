// AssemblyScript: the construction of a binary fuse filter (`populate` in
// src/registry-files/binary-fuse8.ts), compiled to WebAssembly by `npm run build:wasm` into
// `src/registry-files/fuse-populate-wasm.ts`.
//
// Why: at 100M keys the JavaScript construction took ~27 s of a filter build that must stay under
// 60 s (`npm run bench -- gate`). It is the same algorithm, step for step, so both give the same
// fingerprints for the same hashes and seed, which the tests check; the JavaScript one stays the
// reference and the fallback. `src/registry-files/fuse-populate.ts` writes the keys' hashes into
// this module's memory (as the filter writer gets them) and grows it for the work arrays, as
// {@link layout} lays them out.

import { fmix32 } from './murmur';

// Where the arrays of a construction start, after the hashes. A key's two hash words are kept
// together as one u64 (the high word in the upper half), in the hashes as in `revHash` and
// `t2hash`, where JavaScript keeps two u32 arrays: one cache line per slot touched, not two.
let revHashAt: usize = 0;
let t2hashAt: usize = 0;
let aloneAt: usize = 0;
let startPosAt: usize = 0;
let reverseHAt: usize = 0;
let t2countAt: usize = 0;
let fingerprintsAt: usize = 0;
let endAt: usize = 0;
/** Whether the arrays hold an earlier attempt's values (a grown memory starts at zero). */
let used = false;

/** The number of segment blocks the keys are first sorted into (a power of two). */
function blockBitsOf(segmentCount: u32): u32 {
  let bits: u32 = 1;
  while ((<u64>1) << bits < <u64>segmentCount) bits++;
  return bits;
}

/**
 * Lays the arrays out from `base` (the hashes first) and returns where they end, in bytes; -1
 * when they would not fit in a 32-bit memory (nothing is laid out then).
 */
export function layout(base: usize, size: u32, arrayLength: u32, segmentCount: u32): f64 {
  const n = <u64>size;
  const cap = <u64>arrayLength;
  const keys = <u64>hashes(base);
  const blocks = (<u64>1) << blockBitsOf(segmentCount);
  // after the hashes: revHash, t2hash, alone, startPos, reverseH, t2count, fingerprints
  const end = keys + 8 * n + 8 * (n + 1) + 12 * cap + 4 * blocks + n + cap + cap;
  if (end > <u64>0xffff0000) return -1;
  revHashAt = <usize>(keys + 8 * n);
  t2hashAt = revHashAt + 8 * <usize>(n + 1);
  aloneAt = t2hashAt + 8 * <usize>cap;
  startPosAt = aloneAt + 4 * <usize>cap;
  reverseHAt = startPosAt + 4 * <usize>blocks;
  t2countAt = reverseHAt + <usize>n;
  fingerprintsAt = t2countAt + <usize>cap;
  endAt = fingerprintsAt + <usize>cap;
  return <f64>endAt;
}

/** Where the hashes go: a u64 a key, its high word in the upper half. */
export function hashes(base: usize): usize {
  return (base + 7) & ~7;
}

/** Where the fingerprints are once {@link populate} has succeeded. */
export function fingerprints(): usize {
  return fingerprintsAt;
}

function u32At(base: usize, i: u32): u32 {
  return load<u32>(base + ((<usize>i) << 2));
}

function setU32(base: usize, i: u32, v: u32): void {
  store<u32>(base + ((<usize>i) << 2), v);
}

function u64At(base: usize, i: u32): u64 {
  return load<u64>(base + ((<usize>i) << 3));
}

function setU64(base: usize, i: u32, v: u64): void {
  store<u64>(base + ((<usize>i) << 3), v);
}

function u8At(base: usize, i: u32): u32 {
  return <u32>load<u8>(base + <usize>i);
}

function setU8(base: usize, i: u32, v: u32): void {
  store<u8>(base + <usize>i, <u8>v);
}

/** The high word of a key's u64. */
function hiOf(v: u64): u32 {
  return <u32>(v >> 32);
}

// The three slots of the last key given to `slotsOf`.
let slot0: u32 = 0;
let slot1: u32 = 0;
let slot2: u32 = 0;

/** The slots of the key `v` (as `has` computes them in binary-fuse8.ts), into slot0..slot2. */
function slotsOf(v: u64, segmentLength: u32, mask: u32, scl: u32): void {
  const h = hiOf(v);
  const l = <u32>v;
  slot0 = <u32>((<u64>h * <u64>scl) >> 32);
  slot1 = (slot0 + segmentLength) ^ (((l >> 18) | (h << 14)) & mask);
  slot2 = (slot0 + 2 * segmentLength) ^ (l & mask);
}

/**
 * One construction attempt over the `size` hashes at {@link hashes} with the seed's lanes `s0`,
 * `s1` and the filter's parameters; {@link layout} must have run for the same size, array length
 * and segment count. Returns 1 and leaves the fingerprints at {@link fingerprints}, or 0 when the
 * seed fails (the caller tries the next one).
 */
export function populate(
  base: usize,
  size: u32,
  s0: u32,
  s1: u32,
  segmentLength: u32,
  segmentCount: u32,
  arrayLength: u32,
): i32 {
  const keys = hashes(base);
  const revHash = revHashAt;
  const t2hash = t2hashAt;
  const alone = aloneAt;
  const startPos = startPosAt;
  const reverseH = reverseHAt;
  const t2count = t2countAt;
  const fp = fingerprintsAt;
  const mask = segmentLength - 1;
  const scl = segmentCount * segmentLength;
  const capacity = arrayLength;
  // The work arrays start at zero: an earlier attempt's values are cleared (`startPos` and
  // `reverseH` are written before they are read).
  if (used) {
    memory.fill(revHash, 0, startPos - revHash);
    memory.fill(t2count, 0, endAt - t2count);
  }
  used = true;

  // Keys ordered by segment block, so the passes below walk the big arrays roughly in order.
  const blockBits = blockBitsOf(segmentCount);
  const block: u32 = 1 << blockBits;
  const maskBlock = block - 1;
  for (let i: u32 = 0; i < block; i++) {
    setU32(startPos, i, <u32>((<u64>i * <u64>size) >> blockBits));
  }
  setU64(revHash, size, 1); // sentinel: the placement loop stops at non-empty slots
  for (let i: u32 = 0; i < size; i++) {
    // The seed's remix (`mix` in binary-fuse8.ts); (0, 0) marks an empty slot, so it becomes (0, 1).
    const key = u64At(keys, i);
    let l = fmix32(<u32>key ^ s0);
    const h = fmix32(hiOf(key) ^ s1 ^ l);
    l = l ^ fmix32(h ^ 0x27d4eb2f);
    if (h === 0 && l === 0) l = 1;
    let seg = h >> (32 - blockBits);
    while (u64At(revHash, u32At(startPos, seg)) !== 0) seg = (seg + 1) & maskBlock;
    const p = u32At(startPos, seg);
    setU64(revHash, p, ((<u64>h) << 32) | <u64>l);
    setU32(startPos, seg, p + 1);
  }

  let duplicates: u32 = 0;
  for (let i: u32 = 0; i < size; i++) {
    const v = u64At(revHash, i);
    slotsOf(v, segmentLength, mask, scl);
    const h0 = slot0;
    const h1 = slot1;
    const h2 = slot2;
    setU8(t2count, h0, u8At(t2count, h0) + 4);
    setU64(t2hash, h0, u64At(t2hash, h0) ^ v);
    setU8(t2count, h1, (u8At(t2count, h1) + 4) ^ 1);
    setU64(t2hash, h1, u64At(t2hash, h1) ^ v);
    setU8(t2count, h2, (u8At(t2count, h2) + 4) ^ 2);
    setU64(t2hash, h2, u64At(t2hash, h2) ^ v);
    // A repeated hash cancels itself out in the xor lanes: detect and undo it (reference logic;
    // JavaScript tests each 32-bit half, which is the same test).
    const x0 = u64At(t2hash, h0);
    const x1 = u64At(t2hash, h1);
    const x2 = u64At(t2hash, h2);
    if (
      (x0 & x1 & x2) === 0 &&
      ((x0 === 0 && u8At(t2count, h0) === 8) ||
        (x1 === 0 && u8At(t2count, h1) === 8) ||
        (x2 === 0 && u8At(t2count, h2) === 8))
    ) {
      duplicates++;
      setU8(t2count, h0, u8At(t2count, h0) - 4);
      setU64(t2hash, h0, x0 ^ v);
      setU8(t2count, h1, (u8At(t2count, h1) - 4) ^ 1);
      setU64(t2hash, h1, x1 ^ v);
      setU8(t2count, h2, (u8At(t2count, h2) - 4) ^ 2);
      setU64(t2hash, h2, x2 ^ v);
    }
    // uint8 counters hold up to 63 keys per slot; an overflow means a bad seed.
    if (u8At(t2count, h0) < 4 || u8At(t2count, h1) < 4 || u8At(t2count, h2) < 4) return 0;
  }

  // Peel: repeatedly take a slot that holds exactly one key.
  let qsize: u32 = 0;
  for (let i: u32 = 0; i < capacity; i++) {
    setU32(alone, qsize, i);
    if (u8At(t2count, i) >> 2 === 1) qsize++;
  }
  let stack: u32 = 0;
  while (qsize > 0) {
    qsize--;
    const index = u32At(alone, qsize);
    const count = u8At(t2count, index);
    if (count >> 2 !== 1) continue;
    const v = u64At(t2hash, index);
    slotsOf(v, segmentLength, mask, scl);
    const h0 = slot0;
    const h1 = slot1;
    const h2 = slot2;
    const found = count & 3;
    setU8(reverseH, stack, found);
    setU64(revHash, stack, v);
    stack++;
    // The key's two other slots: hx[found + 1] and hx[found + 2] of (h0, h1, h2, h0, h1).
    const o1 = found === 0 ? h1 : found === 1 ? h2 : h0;
    const o2 = found === 0 ? h2 : found === 1 ? h0 : h1;
    setU32(alone, qsize, o1);
    if (u8At(t2count, o1) >> 2 === 2) qsize++;
    setU8(t2count, o1, (u8At(t2count, o1) - 4) ^ ((found + 1) % 3));
    setU64(t2hash, o1, u64At(t2hash, o1) ^ v);
    setU32(alone, qsize, o2);
    if (u8At(t2count, o2) >> 2 === 2) qsize++;
    setU8(t2count, o2, (u8At(t2count, o2) - 4) ^ ((found + 2) % 3));
    setU64(t2hash, o2, u64At(t2hash, o2) ^ v);
  }
  if (stack + duplicates !== size) return 0;

  // Assign fingerprints in reverse peeling order.
  for (let i = <i32>stack - 1; i >= 0; i--) {
    const v = u64At(revHash, <u32>i);
    slotsOf(v, segmentLength, mask, scl);
    const h0 = slot0;
    const h1 = slot1;
    const h2 = slot2;
    const found = u8At(reverseH, <u32>i);
    const own = found === 0 ? h0 : found === 1 ? h1 : h2;
    const o1 = found === 0 ? h1 : found === 1 ? h2 : h0;
    const o2 = found === 0 ? h2 : found === 1 ? h0 : h1;
    setU8(fp, own, ((hiOf(v) ^ <u32>v) & 0xff) ^ u8At(fp, o1) ^ u8At(fp, o2));
  }
  return 1;
}
