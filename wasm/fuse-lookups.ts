// AssemblyScript: `BinaryFuse8.hasMany` (src/registry-files/binary-fuse8.ts), compiled to
// WebAssembly by `npm run build:wasm` into `src/registry-files/fuse-lookups-wasm.ts`.
//
// Why: at 100M keys the JavaScript lookups ran at 73-83 ns a key and these at 33-35 ns, measured
// alternately in one process; both read the same three fingerprints per key, so the difference is
// in the code around the reads. The module imports a shared memory that holds the fingerprints
// and one scratch area per thread (`src/registry-files/fingerprint-memory.ts` lays it out), so the
// gate's workers read one copy of the filter. It has no data segments: instantiating it writes
// nothing into that memory.

import { fmix32 } from './murmur';

/**
 * `out[i]` = 1 when the key whose 64-bit hash is `(his[i], los[i])` may be in the filter whose
 * fingerprints start at `fp`, for `i < n`; `pos` holds 16 bytes per key of scratch. `s0`, `s1`,
 * `segmentLength`, `mask` and `segmentCountLength` are the filter's (see `BinaryFuse8`).
 */
export function lookUp(
  fp: usize,
  his: usize,
  los: usize,
  n: i32,
  out: usize,
  pos: usize,
  s0: u32,
  s1: u32,
  segmentLength: u32,
  mask: u32,
  segmentCountLength: u32,
): void {
  // First every key's positions, then the reads, whose misses then overlap (as in JavaScript).
  for (let i = 0; i < n; i++) {
    let l = fmix32(load<u32>(los + ((<usize>i) << 2)) ^ s0);
    const h = fmix32(load<u32>(his + ((<usize>i) << 2)) ^ s1 ^ l);
    l = l ^ fmix32(h ^ 0x27d4eb2f);
    if (h === 0 && l === 0) l = 1;
    // mulhi: the high 32 bits of h * segmentCountLength.
    const h0 = <u32>((<u64>h * <u64>segmentCountLength) >> 32);
    const p = pos + ((<usize>i) << 4);
    store<u32>(p, h0);
    store<u32>(p, (h0 + segmentLength) ^ (((l >> 18) | (h << 14)) & mask), 4);
    store<u32>(p, (h0 + 2 * segmentLength) ^ (l & mask), 8);
    store<u32>(p, (h ^ l) & 0xff, 12);
  }
  for (let i = 0; i < n; i++) {
    const p = pos + ((<usize>i) << 4);
    const x =
      <u32>load<u8>(fp + <usize>load<u32>(p)) ^
      <u32>load<u8>(fp + <usize>load<u32>(p, 4)) ^
      <u32>load<u8>(fp + <usize>load<u32>(p, 8));
    store<u8>(out + <usize>i, x === load<u32>(p, 12) ? 1 : 0);
  }
}
