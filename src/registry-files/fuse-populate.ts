import { ensureMemory, instantiateWasm, type WasmMemory } from '../lib/wasm.ts';
import type { BinaryFuse8Params } from './binary-fuse8.ts';
import { FUSE_POPULATE_WASM } from './fuse-populate-wasm.ts';

/**
 * The construction of a binary fuse filter in WebAssembly (`wasm/fuse-populate.ts`): the same
 * steps as `populate` in binary-fuse8.ts, which stays the reference and the fallback, and the
 * same fingerprints for the same hashes and seed (the tests compare them).
 *
 * Why: building the bench's 100M-key filter spent ~27 s of its 60 s budget in the JavaScript
 * construction; here it takes 11-13 s once the memory is mapped, and whole builds took 29.0 and
 * 29.4 s against 38.7 and 42.2 s with the JavaScript one, alternately (docs/gate.md).
 * The keys' hashes are written straight into the module's memory as they come (the filter writer
 * hands them over in batches), so a build holds them once: at 100M keys, first mapping its memory
 * is a good part of a build's time on a virtual machine.
 *
 * The memory holds the hashes and every work array, ~33 bytes a key: up to ~130M keys fit in the
 * 4 GiB of a 32-bit memory. Past that, or where WebAssembly cannot run, the caller builds in
 * JavaScript (see {@link WasmFuseConstruction.add} and {@link WasmFuseConstruction.attempt}).
 */
interface FusePopulateWasm {
  memory: WasmMemory;
  layout(base: number, size: number, arrayLength: number, segmentCount: number): number;
  hashes(base: number): number;
  fingerprints(): number;
  populate(
    base: number,
    size: number,
    s0: number,
    s1: number,
    segmentLength: number,
    segmentCount: number,
    arrayLength: number,
  ): number;
}

/** Memory grows by at least this much at a time while hashes come in (a grow is a system call). */
const GROWTH = 64 << 20;

/**
 * The hashes of a filter's keys in a WebAssembly instance's memory, and construction attempts on
 * them. Each construction has its own instance, so its memory is freed with it.
 */
export class WasmFuseConstruction {
  readonly #w: FusePopulateWasm;
  readonly #base: number;
  readonly #at: number;
  #size = 0;

  private constructor(w: FusePopulateWasm) {
    this.#w = w;
    // Past the module's own data.
    this.#base = w.memory.buffer.byteLength;
    this.#at = w.hashes(this.#base) >>> 0;
  }

  /** A new construction with room for `expected` keys; undefined where WebAssembly cannot run. */
  static create(expected = 0): WasmFuseConstruction | undefined {
    const w = instantiateWasm<FusePopulateWasm>(FUSE_POPULATE_WASM);
    if (!w) return undefined;
    const c = new WasmFuseConstruction(w);
    // Room made ahead where it can be; `add` grows the memory (or says it cannot) anyway.
    ensureMemory(w.memory, c.#at + 8 * expected);
    return c;
  }

  /** The number of hashes added. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds the hashes `(his[i], los[i])`; false, with nothing added, when the memory cannot hold
   * them (the caller then takes {@link hashes} and goes on in JavaScript).
   */
  add(his: Uint32Array, los: Uint32Array): boolean {
    const n = his.length;
    const memory = this.#w.memory;
    const end = this.#at + 8 * (this.#size + n);
    if (end > memory.buffer.byteLength) {
      if (!ensureMemory(memory, end + GROWTH) && !ensureMemory(memory, end)) return false;
    }
    // A u64 a key, little-endian: the low word first.
    const words = new Uint32Array(memory.buffer, this.#at + 8 * this.#size, 2 * n);
    for (let i = 0; i < n; i++) {
      words[2 * i] = los[i]!;
      words[2 * i + 1] = his[i]!;
    }
    this.#size += n;
    return true;
  }

  /** Copies of the hashes added, as two lanes. */
  hashes(): { his: Uint32Array; los: Uint32Array } {
    const n = this.#size;
    const words = new Uint32Array(this.#w.memory.buffer, this.#at, 2 * n);
    const his = new Uint32Array(n);
    const los = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      los[i] = words[2 * i]!;
      his[i] = words[2 * i + 1]!;
    }
    return { his, los };
  }

  /**
   * One construction attempt with the seed lanes `s0`, `s1`: the fingerprints (a view of the
   * memory, valid until the next attempt), null when the seed fails, undefined when the work
   * arrays do not fit in the memory.
   */
  attempt(params: BinaryFuse8Params, s0: number, s1: number): Uint8Array | null | undefined {
    const w = this.#w;
    const size = this.#size;
    const end = w.layout(this.#base, size, params.arrayLength, params.segmentCount);
    if (end < 0 || !ensureMemory(w.memory, end)) return undefined;
    const ok = w.populate(
      this.#base,
      size,
      s0,
      s1,
      params.segmentLength,
      params.segmentCount,
      params.arrayLength,
    );
    return ok ? new Uint8Array(w.memory.buffer, w.fingerprints() >>> 0, params.arrayLength) : null;
  }
}
