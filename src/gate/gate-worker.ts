import { parentPort } from 'node:worker_threads';
import { RegistryFileError } from '../registry-files/registry-file-error.ts';
import { type SummaryWants, summariseBatch } from './batch-summary.ts';
import { chunkScanBuffers, type VerifyScanConfig, VerifyScanner } from './dataset-verify-scan.ts';
import { Judge, type JudgeConfig } from './judge.ts';
import {
  hashSnapshotChunk,
  type KeyHashes,
  loadSnapshotTable,
  ObjectorTable,
} from './objector-set.ts';

/**
 * Worker thread entry: judges the batches the main thread sends. Messages:
 * `{ type: 'init', config, summaries? }` once, then `{ type: 'batch', seq, input, firstLine, buffer, length,
 * spare? }` (buffers are transferred, not copied); replies `{ seq, result, input }` with the
 * result's one buffer and the batch's input buffer transferred back (the main thread reuses
 * both), or `{ seq, error }`. While the objector set loads, `snapshot-chunk` messages (below).
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
 * A chunk of snapshot lines to check, hash and stage for the shared objector table `slots`
 * (`ObjectorTable.stage`; other threads add other chunks at the same time). Replies with the
 * number of keys hashed, and the chunk's buffer back (`input`). The keys staged are in the table
 * once a `snapshot-flush` is answered.
 */
export interface SnapshotChunkMessage {
  type: 'snapshot-chunk';
  seq: number;
  path: string;
  buffer: ArrayBuffer;
  length: number;
  firstLine: number;
  slots: SharedArrayBuffer;
  /** The table's fill state (`ObjectorTable.fillState`), shared by the threads that fill it. */
  fillState: SharedArrayBuffer;
  /**
   * Which table `slots` is (the pool numbers them): each table's keys are staged apart, and
   * flushed into it by its own `snapshot-flush`.
   */
  fill: number;
}

/** `veto dataset verify`'s reading of a data chunk (dataset-verify-scan.ts). */
export type VerifyMessage =
  | { type: 'verify-init'; seq: number; config: VerifyScanConfig }
  | { type: 'snapshot-table'; seq: number; path: string; count: number }
  | { type: 'verify-chunk'; seq: number; buffer: ArrayBuffer; end: number; offset: number };

let judge: Judge | undefined;
/**
 * The objector tables being filled, by their number (`SnapshotChunkMessage.fill`): this thread's
 * view of each, which holds the keys staged for it until its `snapshot-flush`.
 */
const filling = new Map<number, ObjectorTable>();
let summaries: SummaryWants | undefined;
let verifier: VerifyScanner | undefined;

/** Answers a fill step of the objector table with the keys it could not place (transferred). */
function replyWithSpilled(seq: number, step: () => KeyHashes): void {
  try {
    const spilled = step();
    parentPort!.postMessage({ seq, value: spilled }, [
      spilled.his.buffer as ArrayBuffer,
      spilled.los.buffer as ArrayBuffer,
    ]);
  } catch (err) {
    parentPort!.postMessage({ seq, error: (err as Error).message });
  }
}

parentPort?.on(
  'message',
  (
    msg:
      | { type: 'init'; config: JudgeConfig; summaries?: SummaryWants }
      | BatchMessage
      | SnapshotChunkMessage
      | { type: 'snapshot-flush'; seq: number; fill: number }
      | {
          type: 'snapshot-settle';
          seq: number;
          slots: SharedArrayBuffer;
          fillState: SharedArrayBuffer;
          from: number;
          to: number;
        }
      | VerifyMessage,
  ) => {
    if (msg.type === 'snapshot-table') {
      loadSnapshotTable(msg.path, msg.count).then(
        ({ table, meta }) =>
          parentPort!.postMessage({
            seq: msg.seq,
            value: { slots: table.shared, keys: table.count, meta },
          }),
        (err: Error) => {
          const file =
            err instanceof RegistryFileError ? { path: err.path, reason: err.reason } : undefined;
          parentPort!.postMessage({ seq: msg.seq, error: err.message, file });
        },
      );
      return;
    }
    if (msg.type === 'verify-init' || msg.type === 'verify-chunk') {
      try {
        if (msg.type === 'verify-init') {
          verifier = new VerifyScanner(msg.config);
          parentPort!.postMessage({ seq: msg.seq, value: true });
        } else {
          const scan = verifier!.scanChunk(Buffer.from(msg.buffer), msg.end, msg.offset);
          parentPort!.postMessage({ seq: msg.seq, value: { scan, chunk: msg.buffer } }, [
            msg.buffer,
            ...chunkScanBuffers(scan),
          ]);
        }
      } catch (err) {
        parentPort!.postMessage({ seq: msg.seq, error: (err as Error).stack ?? String(err) });
      }
      return;
    }
    if (msg.type === 'snapshot-chunk') {
      try {
        // Borrowed hashes: staged (copied) before the next chunk is hashed.
        const hashes = hashSnapshotChunk(
          msg.path,
          new Uint8Array(msg.buffer, 0, msg.length),
          msg.length,
          msg.firstLine,
          { borrow: true },
        );
        let table = filling.get(msg.fill);
        if (!table) {
          table = ObjectorTable.from({ kind: 'table', slots: msg.slots, count: 0 }, msg.fillState);
          table.concurrent = true;
          filling.set(msg.fill, table);
        }
        table.stage(hashes.his, hashes.los, hashes.los.length);
        // The chunk's buffer goes back, to be read into again.
        parentPort!.postMessage({ seq: msg.seq, hashed: hashes.los.length, input: msg.buffer }, [
          msg.buffer,
        ]);
      } catch (err) {
        const file =
          err instanceof RegistryFileError ? { path: err.path, reason: err.reason } : undefined;
        parentPort!.postMessage({ seq: msg.seq, error: (err as Error).message, file });
      }
      return;
    }
    if (msg.type === 'snapshot-flush') {
      const table = filling.get(msg.fill);
      filling.delete(msg.fill);
      // The keys no region could take go back, to be added once the table is settled.
      replyWithSpilled(
        msg.seq,
        () => table?.flushStage() ?? { his: new Uint32Array(0), los: new Uint32Array(0) },
      );
      return;
    }
    if (msg.type === 'snapshot-settle') {
      replyWithSpilled(msg.seq, () =>
        ObjectorTable.from({ kind: 'table', slots: msg.slots, count: 0 }, msg.fillState).settle(
          msg.from,
          msg.to,
        ),
      );
      return;
    }
    if (msg.type === 'init') {
      try {
        judge = new Judge(msg.config);
        summaries = msg.summaries;
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
      if (summaries) result.summary = summariseBatch(result, summaries);
      // `out`, `inclusions` and `decisions` share one buffer; the input goes back for reuse.
      const transfer = [result.out.buffer as ArrayBuffer];
      if (result.summary) transfer.push(result.summary.idWords.buffer as ArrayBuffer);
      if (msg.buffer !== result.out.buffer) transfer.push(msg.buffer);
      parentPort!.postMessage({ seq: msg.seq, result, input: msg.buffer }, transfer);
    } catch (err) {
      parentPort!.postMessage({ seq: msg.seq, error: (err as Error).stack ?? String(err) });
    }
  },
);

parentPort?.postMessage({ booted: true });
