import { parentPort } from 'node:worker_threads';
import { RegistryFileError } from '../registry-files/registry-file-error.ts';
import { checkSnapshotKeys } from '../registry-files/snapshot-file.ts';
import { Judge, type JudgeConfig } from './judge.ts';
import { hashKeys } from './objector-set.ts';

/**
 * Worker thread entry: judges the batches the main thread sends. Messages:
 * `{ type: 'init', config }` once, then `{ type: 'batch', seq, input, firstLine, buffer, length }`
 * (the buffer is transferred, not copied); replies `{ seq, result }` with the kept bytes
 * transferred back, or `{ seq, error }`.
 */
export interface BatchMessage {
  type: 'batch';
  seq: number;
  input: number;
  firstLine: number;
  buffer: ArrayBuffer;
  length: number;
}

/** A chunk of snapshot lines to check and hash (the main thread fills the table). */
export interface SnapshotChunkMessage {
  type: 'snapshot-chunk';
  seq: number;
  path: string;
  buffer: ArrayBuffer;
  length: number;
  firstLine: number;
}

let judge: Judge | undefined;

parentPort?.on(
  'message',
  (msg: { type: 'init'; config: JudgeConfig } | BatchMessage | SnapshotChunkMessage) => {
    if (msg.type === 'snapshot-chunk') {
      try {
        const bytes = Buffer.from(msg.buffer, 0, msg.length);
        const keys = checkSnapshotKeys(
          msg.path,
          bytes.toString('utf8', 0, msg.length - 1),
          msg.firstLine,
        );
        const hashes = hashKeys(keys);
        parentPort!.postMessage({ seq: msg.seq, hashes }, [
          hashes.his.buffer as ArrayBuffer,
          hashes.los.buffer as ArrayBuffer,
        ]);
      } catch (err) {
        const file =
          err instanceof RegistryFileError ? { path: err.path, reason: err.reason } : undefined;
        parentPort!.postMessage({ seq: msg.seq, error: (err as Error).message, file });
      }
      return;
    }
    if (msg.type === 'init') {
      try {
        judge = new Judge(msg.config);
        parentPort!.postMessage({ ready: true });
      } catch (err) {
        parentPort!.postMessage({ initError: (err as Error).stack ?? String(err) });
      }
      return;
    }
    try {
      const result = judge!.processBatch(
        new Uint8Array(msg.buffer),
        0,
        msg.length,
        msg.input,
        msg.firstLine,
      );
      const transfer = [
        result.out.buffer,
        result.inclusions.buffer,
        result.decisions.buffer,
      ] as ArrayBuffer[];
      parentPort!.postMessage({ seq: msg.seq, result }, transfer);
    } catch (err) {
      parentPort!.postMessage({ seq: msg.seq, error: (err as Error).stack ?? String(err) });
    }
  },
);

parentPort?.postMessage({ booted: true });
