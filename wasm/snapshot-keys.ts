// AssemblyScript: the fast path of `hashSnapshotChunk` (src/gate/objector-set.ts) and of
// `SnapshotBody` (src/registry-files/subject-keys.ts), compiled to WebAssembly with SIMD by
// `npm run build:wasm` into `src/registry-files/snapshot-keys-wasm.ts`.
//
// Checks and hashes a chunk of snapshot lines (`key\n` each): keys of printable ASCII, 1 to
// `maxKeyLength` bytes, in strictly increasing byte order, hashed as `hashPrintableKeyBytes64`
// hashes them (`veto-key64 v1`, src/registry-files/key-hash.ts). Returns the number of keys, or
// -1 for anything else, which the JavaScript path then reads and reports exactly. Why: the gate's
// workers spent ~1 CPU-s each checking and hashing 10M keys, a line end found by a call into
// `Buffer.indexOf` per key; here a key's bytes are checked and its end found sixteen at a time.
//
// Memory: the chunk's bytes from `input()` on, copied there by the JavaScript side, with at
// least 16 bytes of slack after them; the hashes are written where the caller says.

import { blockOf, fmix32 } from './murmur';

export function input(): usize {
  return (__heap_base + 63) & ~63;
}

/**
 * The keys in `[start, end)` of the input, hashed into `his` and `los` (`maxKeys` entries each;
 * a high word of 0 is stored as `highZeroAs`: 1 for the objector table, which marks empty slots
 * with 0, and 0 where the hash must be exact).
 */
export function hashKeys(
  start: i32,
  end: i32,
  his: usize,
  los: usize,
  maxKeys: i32,
  maxKeyLength: i32,
  highZeroAs: u32,
): i32 {
  const base = input();
  let k = 0;
  let prevStart = -1;
  let prevLength = 0;
  let i = start;
  while (i < end) {
    // The key ends at its first byte outside `!`..`~`, which must be its newline.
    let j = i;
    let found = false;
    while (j + 16 <= end) {
      const v = v128.load(base + <usize>j);
      const m = i8x16.bitmask(
        v128.or(i8x16.lt_u(v, i8x16.splat(0x21)), i8x16.gt_u(v, i8x16.splat(0x7e))),
      );
      if (m !== 0) {
        j += ctz(m);
        found = true;
        break;
      }
      j += 16;
    }
    if (!found) {
      while (j < end) {
        const c = load<u8>(base + <usize>j);
        if (c < 0x21 || c > 0x7e) break;
        j++;
      }
    }
    if (j >= end || load<u8>(base + <usize>j) !== 10) return -1;
    const n = j - i;
    if (n === 0 || n > maxKeyLength || k === maxKeys) return -1;
    if (prevStart >= 0) {
      // Byte order against the previous key, sixteen bytes at a time (`memory.compare` goes a
      // byte at a time: ~1/3 of this function on `acct:` keys). The loads may pass the shorter
      // key's end, within the chunk and its slack; a difference found there does not count.
      const a = base + <usize>prevStart;
      const b = base + <usize>i;
      const m = min<i32>(prevLength, n);
      let c = 0;
      for (let q = 0; q < m; q += 16) {
        const diff = i8x16.bitmask(
          v128.not(i8x16.eq(v128.load(a + <usize>q), v128.load(b + <usize>q))),
        );
        if (diff !== 0) {
          const d = q + ctz(diff);
          if (d < m) c = <i32>load<u8>(a + <usize>d) - <i32>load<u8>(b + <usize>d);
          break;
        }
      }
      if (c === 0) c = prevLength - n;
      if (c >= 0) return -1;
    }
    // hashPrintableKeyBytes64: two bytes (UTF-16 code units) per 32-bit block, two lanes.
    let h1: u32 = 0x243f6a88 ^ <u32>n;
    let h2: u32 = 0x85a308d3 ^ (<u32>n * 0x9e3779b1);
    let p = i;
    for (; p + 1 < j; p += 2) {
      const kb = blockOf(
        <u32>load<u8>(base + <usize>p) | ((<u32>load<u8>(base + <usize>p + 1)) << 16),
      );
      h1 ^= kb;
      h1 = rotl<u32>(h1, 13) * 5 + 0xe6546b64;
      h2 ^= kb * 0x85ebca6b;
      h2 = rotl<u32>(h2, 17) * 5 + 0x561ccd1b;
    }
    if (p < j) {
      const kb = blockOf(<u32>load<u8>(base + <usize>p));
      h1 ^= kb;
      h2 ^= kb * 0x85ebca6b;
    }
    h1 += h2;
    h2 += h1;
    h1 = fmix32(h1);
    h2 = fmix32(h2);
    h1 += h2;
    h2 += h1;
    store<u32>(his + ((<usize>k) << 2), h1 === 0 ? highZeroAs : h1);
    store<u32>(los + ((<usize>k) << 2), h2);
    k++;
    prevStart = i;
    prevLength = n;
    i = j + 1;
  }
  return k;
}
