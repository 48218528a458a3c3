/**
 * Loading the project's WebAssembly modules (built from wasm/ by `npm run build:wasm` and
 * embedded as base64): compiled once per thread, and optional. Where this runtime cannot run one
 * (no WebAssembly, no SIMD, `node --jitless`), or `VETO_WASM=0` says not to, its caller uses the
 * JavaScript code it speeds up, which stays the reference the tests compare it with.
 */

/** The part of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: unknown };
}

/** An instance's exported memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
const compiled = new Map<string, object | null>();
const PAGE = 65536;

/**
 * A new instance of the module whose bytes are `base64`, as its exports; undefined where it
 * cannot run or `VETO_WASM` is `0`. The module is compiled on first use in each thread.
 */
export function instantiateWasm<T>(
  base64: string,
  /** More imports of module `env` (e.g. the `memory` of a module that imports it). */
  env: Record<string, unknown> = {},
): T | undefined {
  if (process.env.VETO_WASM === '0') return undefined;
  let module = compiled.get(base64);
  if (module === undefined) {
    try {
      module = api ? new api.Module(Buffer.from(base64, 'base64')) : null;
    } catch {
      module = null;
    }
    compiled.set(base64, module);
  }
  if (!module || !api) return undefined;
  try {
    return new api.Instance(module, {
      env: {
        abort() {
          throw new Error('WebAssembly module aborted');
        },
        ...env,
      },
    }).exports as T;
  } catch {
    return undefined;
  }
}

/**
 * Grows `memory` to at least `bytes`; false when it cannot grow that far. Views of the memory
 * made before a growth are detached (their length reads 0): callers make them again.
 */
export function ensureMemory(memory: WasmMemory, bytes: number): boolean {
  const have = memory.buffer.byteLength;
  if (bytes <= have) return true;
  try {
    memory.grow(Math.ceil((bytes - have) / PAGE));
    return true;
  } catch {
    return false;
  }
}

/** WebAssembly pages in 4 GiB, the most a (32-bit) memory holds. */
export const MAX_PAGES = 65536;

/**
 * A new shared memory of at least `bytes` (its `buffer` is a SharedArrayBuffer, and the memory
 * object itself can be posted to worker threads), growable to 4 GiB; undefined where this
 * runtime has none or `VETO_WASM` is `0`.
 */
export function sharedWasmMemory(bytes: number): WasmMemory | undefined {
  if (process.env.VETO_WASM === '0' || !api) return undefined;
  const pages = Math.ceil(bytes / PAGE);
  if (pages > MAX_PAGES) return undefined;
  try {
    return new api.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
  } catch {
    return undefined;
  }
}
