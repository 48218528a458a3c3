import { parentPort } from 'node:worker_threads';
import { RegistryFileError } from '../registry-files/registry-file-error.ts';
import { Judge, type JudgeConfig } from './judge.ts';
import { hashSnapshotChunk, type KeyHashes, ObjectorTable } from './objector-set.ts';

/**
 * Worker thread entry: judges the batches the main thread sends. Messages:
 * `{ type: 'init', config }` once, then `{ type: 'batch', seq, input, firstLine, buffer, length,
 * spare? }` (buffers are transferred, not copied); replies `{ seq, result, input }` with the
 * result's one buffer and the batch's input buffer transferred back (the main thread reuses
 * both), or `{ seq, error }`.
 */
export interface BatchMessage {
  type: 'batch';
  seq: number;
  input: number;
  firstLine: number;
  buffer: ArrayBuffer;
  length: number;
  /** An earlier result's buffer, done with, for this batch's result. */
  spare?: ArrayBuffer;
}

/**
 * A chunk of snapshot lines to check and hash. The worker keeps the hashes (and replies with
 * their count) until `snapshot-insert` asks it to add them to the shared table.
 */
export interface SnapshotChunkMessage {
  type: 'snapshot-chunk';
  seq: number;
  path: string;
  buffer: ArrayBuffer;
  length: number;
  firstLine: number;
}

/** Adds the hashes kept so far to the shared table, while the other threads add theirs. */
export interface SnapshotInsertMessage {
  type: 'snapshot-insert';
  seq: number;
  slots: SharedArrayBuffer;
  /** Where in the table to start (see `ObjectorTable.addHashes`). */
  startAt: number;
  /** Hashes made on another thread, to add too. */
  more: KeyHashes[];
}

let judge: Judge | undefined;
let hashed: KeyHashes[] = [];

parentPort?.on(
  'message',
  (
    msg:
      | { type: 'init'; config: JudgeConfig }
      | BatchMessage
      | SnapshotChunkMessage
      | SnapshotInsertMessage,
  ) => {
    if (msg.type === 'snapshot-insert') {
      try {
        const table = new ObjectorTable(0, msg.slots);
        table.addHashes([...hashed, ...msg.more], true, msg.startAt);
        hashed = [];
        parentPort!.postMessage({ seq: msg.seq, inserted: table.count });
      } catch (err) {
        parentPort!.postMessage({ seq: msg.seq, error: (err as Error).message });
      }
      return;
    }
    if (msg.type === 'snapshot-chunk') {
      try {
        const hashes = hashSnapshotChunk(
          msg.path,
          new Uint8Array(msg.buffer, 0, msg.length),
          msg.length,
          msg.firstLine,
        );
        hashed.push(hashes);
        parentPort!.postMessage({ seq: msg.seq, hashed: hashes.los.length });
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
        msg.spare,
      );
      // `out`, `inclusions` and `decisions` share one buffer; the input goes back for reuse.
      const transfer = [result.out.buffer as ArrayBuffer];
      if (msg.buffer !== result.out.buffer) transfer.push(msg.buffer);
      parentPort!.postMessage({ seq: msg.seq, result, input: msg.buffer }, transfer);
    } catch (err) {
      parentPort!.postMessage({ seq: msg.seq, error: (err as Error).stack ?? String(err) });
    }
  },
);

parentPort?.postMessage({ booted: true });
