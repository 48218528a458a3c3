import { Worker } from 'node:worker_threads';
import type { BatchMessage } from './gate-worker.ts';
import type { BatchResult, JudgeConfig } from './judge.ts';

/**
 * A fixed set of gate workers. Each gets the judge configuration once (the objector set travels
 * as a SharedArrayBuffer, so it exists once in memory), then batches of raw JSONL bytes.
 *
 * Why a bootstrap string: Veto runs TypeScript through tsx without a build step. A worker whose
 * entry is a `.ts` file does not reliably get the parent's `--import tsx` hook (Node 20 fails
 * with "Unknown file extension .ts", measured both under `node --import tsx` and the `tsx` CLI),
 * so each worker registers tsx itself before importing its entry.
 */
export class WorkerPool {
  readonly #workers: { worker: Worker; busy: number }[] = [];
  readonly #waiting = new Map<number, { resolve: (r: BatchResult) => void; reject: (e: Error) => void }>();
  #failed: Error | undefined;

  private constructor() {}

  static async start(size: number, config: JudgeConfig): Promise<WorkerPool> {
    const pool = new WorkerPool();
    const entry = new URL('./gate-worker.ts', import.meta.url).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); }).catch((e) => { console.error(e); process.exit(70); });`;
    await Promise.all(
      Array.from({ length: size }, async () => {
        const worker = new Worker(boot, { eval: true });
        const slot = { worker, busy: 0 };
        pool.#workers.push(slot);
        await new Promise<void>((resolve, reject) => {
          const onMessage = (m: { ready?: boolean }) => {
            if (!m.ready) return;
            worker.off('error', reject);
            resolve();
          };
          worker.on('message', onMessage);
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`gate worker exited with code ${code} while starting`)));
          worker.postMessage({ type: 'init', config });
        });
        worker.removeAllListeners('exit');
        worker.on('message', (m: { seq?: number; result?: BatchResult; error?: string }) => {
          if (m.seq === undefined) return;
          const waiter = pool.#waiting.get(m.seq);
          pool.#waiting.delete(m.seq);
          slot.busy--;
          if (m.error !== undefined) waiter?.reject(new Error(`gate worker: ${m.error}`));
          else waiter?.resolve(m.result!);
        });
        worker.on('error', (err) => pool.#fail(err));
        worker.on('exit', (code) => {
          if (code !== 0) pool.#fail(new Error(`gate worker exited with code ${code}`));
        });
      }),
    );
    return pool;
  }

  get size(): number {
    return this.#workers.length;
  }

  /** Sends a batch to the least busy worker; the batch's buffer is transferred. */
  run(msg: Omit<BatchMessage, 'type'>): Promise<BatchResult> {
    if (this.#failed) return Promise.reject(this.#failed);
    let slot = this.#workers[0]!;
    for (const w of this.#workers) if (w.busy < slot.busy) slot = w;
    slot.busy++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(msg.seq, { resolve, reject });
      slot.worker.postMessage({ type: 'batch', ...msg }, [msg.buffer]);
    });
  }

  #fail(err: Error): void {
    this.#failed ??= err;
    for (const w of this.#waiting.values()) w.reject(err);
    this.#waiting.clear();
  }

  async close(): Promise<void> {
    this.#failed ??= new Error('worker pool closed');
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
  }
}
