import { parentPort } from 'node:worker_threads';
import { Judge, type JudgeConfig } from './judge.ts';

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

let judge: Judge | undefined;

parentPort?.on('message', (msg: { type: 'init'; config: JudgeConfig } | BatchMessage) => {
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
});

parentPort?.postMessage({ booted: true });
