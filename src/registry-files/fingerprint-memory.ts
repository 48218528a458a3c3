import { instantiateWasm, sharedWasmMemory, type WasmMemory } from '../lib/wasm.ts';
import { FUSE_LOOKUPS_WASM } from './fuse-lookups-wasm.ts';

/**
 * Where a binary fuse filter's fingerprints live so that WebAssembly can look keys up in them
 * (`wasm/fuse-lookups.ts`: 33-35 ns a key at 100M keys against 73-83 ns in JavaScript, measured
 * alternately in one process). A shared WebAssembly memory, laid out as:
 *
 * - `[0, 64 KiB)`: a header; its first Int32 counts the scratch areas handed out;
 * - then {@link SCRATCH_AREAS} scratch areas of 128 KiB, one per thread that looks keys up (the
 *   hashes, answers and positions of one call);
 * - then the fingerprints.
 *
 * Its `buffer` is a SharedArrayBuffer and the memory object can be posted to worker threads, so
 * the gate's workers read one copy of the filter.
 */
export interface FingerprintStorage {
  fingerprints: Uint8Array;
  /** The shared memory holding them, when WebAssembly can run here. */
  memory: WasmMemory | undefined;
}

const HEADER = 64 << 10;
const SCRATCH_AREAS = 32;
const SCRATCH_BYTES = 128 << 10;
/** Keys per WebAssembly call: 4 B + 4 B of hash, 1 B of answer and 16 B of positions each. */
const KEYS_PER_CALL = 4096;
const FINGERPRINTS_AT = HEADER + SCRATCH_AREAS * SCRATCH_BYTES;

/**
 * `length` bytes for fingerprints, shared between threads: in a shared WebAssembly memory where
 * one can be made, else in a SharedArrayBuffer (and looked up in JavaScript).
 */
export function sharedFingerprints(length: number): FingerprintStorage {
  const memory = sharedWasmMemory(FINGERPRINTS_AT + length);
  if (!memory) return { fingerprints: new Uint8Array(new SharedArrayBuffer(length)), memory };
  return { fingerprints: new Uint8Array(memory.buffer, FINGERPRINTS_AT, length), memory };
}

/** The parameters `lookUp` needs besides the keys (see `BinaryFuse8`). */
export interface LookupParams {
  s0: number;
  s1: number;
  segmentLength: number;
  mask: number;
  segmentCountLength: number;
}

/** `hasMany` on fingerprints in a {@link FingerprintStorage}'s memory. */
export type ManyLookups = (his: Uint32Array, los: Uint32Array, n: number, out: Uint8Array) => void;

interface FuseLookups {
  lookUp(
    fp: number,
    his: number,
    los: number,
    n: number,
    out: number,
    pos: number,
    s0: number,
    s1: number,
    segmentLength: number,
    mask: number,
    segmentCountLength: number,
  ): void;
}

/**
 * Lookups in WebAssembly for this thread, on fingerprints laid out by {@link sharedFingerprints};
 * undefined when they cannot run here or every scratch area is taken (JavaScript then looks up).
 */
export function wasmLookups(
  memory: WasmMemory,
  fingerprints: Uint8Array,
  p: LookupParams,
): ManyLookups | undefined {
  if (fingerprints.buffer !== memory.buffer || fingerprints.byteOffset !== FINGERPRINTS_AT) {
    return undefined;
  }
  const w = instantiateWasm<FuseLookups>(FUSE_LOOKUPS_WASM, { memory });
  if (!w) return undefined;
  const area = Atomics.add(new Int32Array(memory.buffer, 0, 1), 0, 1);
  if (area >= SCRATCH_AREAS) return undefined;
  const his = HEADER + area * SCRATCH_BYTES;
  const los = his + 4 * KEYS_PER_CALL;
  const out = los + 4 * KEYS_PER_CALL;
  const pos = out + KEYS_PER_CALL;
  const hisView = new Uint32Array(memory.buffer, his, KEYS_PER_CALL);
  const losView = new Uint32Array(memory.buffer, los, KEYS_PER_CALL);
  const outView = new Uint8Array(memory.buffer, out, KEYS_PER_CALL);
  return (inHis, inLos, n, answers) => {
    for (let from = 0; from < n; from += KEYS_PER_CALL) {
      const m = Math.min(KEYS_PER_CALL, n - from);
      hisView.set(inHis.subarray(from, from + m));
      losView.set(inLos.subarray(from, from + m));
      w.lookUp(
        FINGERPRINTS_AT,
        his,
        los,
        m,
        out,
        pos,
        p.s0,
        p.s1,
        p.segmentLength,
        p.mask,
        p.segmentCountLength,
      );
      answers.set(outView.subarray(0, m), from);
    }
  };
}
