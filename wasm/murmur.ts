// AssemblyScript: the MurmurHash3 pieces of `veto-key64 v1` (src/registry-files/key-hash.ts) and
// of the binary fuse filter's remix, shared by the modules under wasm/.

/** MurmurHash3's 32-bit finaliser. */
export function fmix32(h: u32): u32 {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

/** One 32-bit block, mixed before it enters the lanes (MurmurHash3 x86_128's body). */
export function blockOf(k: u32): u32 {
  return rotl<u32>(k * 0xcc9e2d51, 15) * 0x1b873593;
}
