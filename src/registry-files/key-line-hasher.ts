import { ensureMemory, instantiateWasm, type WasmMemory } from '../lib/wasm.ts';
import { SNAPSHOT_KEYS_WASM } from './snapshot-keys-wasm.ts';

/**
 * Checking and hashing lines of subject keys (`key\n` each, a snapshot body's format) in
 * WebAssembly (`wasm/snapshot-keys.ts`): keys of printable ASCII, 1 to `maxKeyLength` bytes
 * (`MAX_KEY_LENGTH` of subject-keys.ts), in strictly increasing byte order, hashed as `hashKey64` hashes them. Anything else
 * (a non-ASCII key, a repeat, a key out of order) gets no answer, and the caller takes its
 * JavaScript path, which reads such lines and names what is wrong.
 *
 * Used where keys come by the million: a gate worker loading a snapshot (objector-set.ts) and
 * the snapshot and filter writers (`SnapshotBody`).
 */
export interface KeyLineHasher {
  /**
   * A buffer of at least `bytes` bytes in the module's memory, to write lines into; valid until
   * the next call.
   */
  input(bytes: number): Buffer | undefined;
  /**
   * Checks and hashes the lines in the first `length` bytes of {@link input}. A hash whose high
   * word is 0 gets `highZeroAs` instead (1 for the objector table, which marks empty slots with
   * 0; 0 for the exact hash). The lanes are views of the module's memory, valid until the next
   * call; undefined when a line is not as above.
   */
  hash(
    length: number,
    maxKeyLength: number,
    highZeroAs: 0 | 1,
  ): { his: Uint32Array; los: Uint32Array } | undefined;
}

/** The exports of `wasm/snapshot-keys.ts`. */
interface SnapshotKeysWasm {
  memory: WasmMemory;
  input(): number;
  hashKeys(
    start: number,
    end: number,
    his: number,
    los: number,
    maxKeys: number,
    maxKeyLength: number,
    highZeroAs: number,
  ): number;
}

let hasher: KeyLineHasher | null | undefined;

/** This thread's hasher (one instance per thread); undefined where WebAssembly cannot run. */
export function keyLineHasher(): KeyLineHasher | undefined {
  if (hasher === undefined) {
    const w = instantiateWasm<SnapshotKeysWasm>(SNAPSHOT_KEYS_WASM);
    hasher = w ? wasmHasher(w) : null;
  }
  return hasher ?? undefined;
}

function wasmHasher(w: SnapshotKeysWasm): KeyLineHasher {
  const base = w.input();
  let room = 0;
  let view = Buffer.alloc(0);
  // Where the lanes go for a chunk of `bytes`: after the chunk and 16 bytes of slack for the
  // vector loads, room for a key per two bytes (the shortest line is one byte and its newline).
  const lanes = (bytes: number) => {
    const maxKeys = (bytes >> 1) + 1;
    const his = (base + bytes + 16 + 3) & ~3;
    return { maxKeys, his, los: his + 4 * maxKeys, end: his + 8 * maxKeys };
  };
  return {
    input(bytes) {
      if (bytes > room || view.buffer !== w.memory.buffer) {
        if (!ensureMemory(w.memory, lanes(bytes).end)) return undefined;
        room = Math.max(bytes, room);
        view = Buffer.from(w.memory.buffer, base, room);
      }
      return view;
    },
    hash(length, maxKeyLength, highZeroAs) {
      if (length > room) throw new Error(`key lines: ${length} bytes given, ${room} made ready`);
      const { maxKeys, his, los } = lanes(length);
      const n = w.hashKeys(0, length, his, los, maxKeys, maxKeyLength, highZeroAs);
      if (n < 0) return undefined;
      return {
        his: new Uint32Array(w.memory.buffer, his, n),
        los: new Uint32Array(w.memory.buffer, los, n),
      };
    },
  };
}
