import type { Worker } from 'node:worker_threads';
import { withWorkers } from '../lib/ts-worker.ts';
import { RegistryFileError } from '../registry-files/registry-file-error.ts';
import type { SnapshotMeta } from '../registry-files/snapshot-file.ts';
import type { SummaryWants } from './batch-summary.ts';
import type { ChunkScan, VerifyScanConfig } from './dataset-verify-scan.ts';
import type { BatchMessage } from './gate-worker.ts';
import type { BatchResult, JudgeConfig } from './judge.ts';
import { type KeyHashes, ObjectorTable } from './objector-set.ts';

interface WorkerReply {
  seq?: number;
  result?: BatchResult;
  /** The batch's input buffer, handed back. */
  input?: ArrayBuffer;
  hashed?: number;
  /** The answer to a `#call`: a data chunk's findings, a loaded table, true for a set-up. */
  value?: unknown;
  error?: string;
  file?: { path: string; reason: string };
}

// A bigger young generation for the judge (192 MB = 64 MiB semi-spaces): every record's parse
// tree dies young, and with V8's default 16 MiB semi-spaces a batch's live rows and strings were
// scavenged several times over. Judge alone, one thread, CPU time: 103-106 MB/s by default,
// 112-119 MB/s with 64 MiB semi-spaces (128 MiB was slower: 69 MB/s, out of cache).
/** How busy a worker counts while it loads a whole table: more than any queue of chunks. */
const LONG_JOB = 1000;

const WORKER_OPTIONS = {
  resourceLimits: { maxYoungGenerationSizeMb: 192 },
};

/**
 * A fixed set of gate workers. Each gets the judge configuration once (the objector set travels
 * as a SharedArrayBuffer, so it exists once in memory), then batches of raw JSONL bytes.
 * Workers start from a bundle of their code (`bundledWorkerEntry` in src/lib/ts-worker.ts says
 * why), or through `startTsWorker` if bundling fails.
 */
export class WorkerPool {
  readonly #workers: { worker: Worker; busy: number }[] = [];
  readonly #waiting = new Map<
    number,
    // biome-ignore lint/suspicious/noExplicitAny: replies are a batch result, a count, a value
    { resolve: (r: any) => void; reject: (e: Error) => void; weight?: number }
  >();
  #nextLoadSeq = -1;
  /** Result buffers the caller is done with, sent back to be written again (see `recycle`). */
  readonly #spares: ArrayBuffer[] = [];
  /** The tables being filled through `hashSnapshotChunk`, numbered (see there). */
  readonly #fills = new WeakMap<SharedArrayBuffer, number>();
  #lastFill = 0;
  /** Input buffers the workers handed back (see `takeInput`). */
  readonly #freeInputs: ArrayBuffer[] = [];
  #failed: Error | undefined;

  private constructor() {}

  /**
   * Starts `size` workers and waits until each has loaded its code (the slow part under tsx:
   * start it early, e.g. while the objector set loads). Then call {@link init}.
   */
  static async start(size: number, bundled?: URL): Promise<WorkerPool> {
    return withWorkers(
      new URL('./gate-worker.ts', import.meta.url),
      WORKER_OPTIONS,
      (start) => WorkerPool.#startWith(size, start),
      bundled,
    );
  }

  static async #startWith(size: number, spawn: () => Worker): Promise<WorkerPool> {
    const pool = new WorkerPool();
    try {
      await Promise.all(
        Array.from({ length: size }, async () => {
          const worker = spawn();
          const slot = { worker, busy: 0 };
          pool.#workers.push(slot);
          await pool.#expect(worker, 'booted');
          worker.on('message', (m: WorkerReply) => {
            if (m.seq === undefined) return;
            const waiter = pool.#waiting.get(m.seq);
            pool.#waiting.delete(m.seq);
            slot.busy -= waiter?.weight ?? 1;
            if (m.error !== undefined) {
              waiter?.reject(
                m.file
                  ? new RegistryFileError(m.file.path, m.file.reason)
                  : new Error(`gate worker: ${m.error}`),
              );
            } else {
              if (m.input) pool.#freeInputs.push(m.input);
              waiter?.resolve(m.value ?? m.hashed ?? m.result!);
            }
          });
          worker.on('error', (err) => pool.#fail(err));
          worker.on('exit', (code) => {
            if (code !== 0) pool.#fail(new Error(`gate worker exited with code ${code}`));
          });
        }),
      );
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /**
   * Hands every worker the run's configuration (the objector set is shared, not copied), and
   * what each batch's result should carry besides its rows (`summaries`, batch-summary.ts).
   */
  async init(config: JudgeConfig, summaries?: SummaryWants): Promise<void> {
    await Promise.all(
      this.#workers.map(({ worker }) => {
        const ready = this.#expect(worker, 'ready');
        worker.postMessage({ type: 'init', config, summaries });
        return ready;
      }),
    );
  }

  #expect(worker: Worker, what: 'booted' | 'ready'): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onMessage = (m: { booted?: boolean; ready?: boolean; initError?: string }) => {
        if (m.initError !== undefined) {
          cleanup();
          reject(new Error(`gate worker: ${m.initError}`));
        } else if (m[what]) {
          cleanup();
          resolve();
        }
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`gate worker exited with code ${code} before it was ${what}`));
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
    });
  }

  get size(): number {
    return this.#workers.length;
  }

  /**
   * Sends a batch to the least busy worker; the batch's buffer is transferred, and comes back
   * through {@link takeInput} once judged.
   */
  run(msg: Omit<BatchMessage, 'type' | 'spare'>): Promise<BatchResult> {
    if (this.#failed) return Promise.reject(this.#failed);
    const slot = this.#leastBusy();
    slot.busy++;
    const spare = this.#spares.pop();
    return new Promise((resolve, reject) => {
      this.#waiting.set(msg.seq, { resolve, reject });
      const transfer = spare ? [msg.buffer, spare] : [msg.buffer];
      slot.worker.postMessage({ type: 'batch', ...msg, spare }, transfer);
    });
  }

  /**
   * Hands a result's buffer (`result.out.buffer`) back once its bytes are written: a later batch
   * writes its result there instead of allocating (why: see `Judge.processBatch`).
   */
  recycle(buffer: ArrayBuffer): void {
    if (this.#spares.length < 2 * this.#workers.length) this.#spares.push(buffer);
  }

  /** An input buffer a worker handed back, of at least `bytes`, if one is free. */
  takeInput(bytes: number): ArrayBuffer | undefined {
    const i = this.#freeInputs.findIndex((b) => b.byteLength >= bytes);
    if (i < 0) return undefined;
    return this.#freeInputs.splice(i, 1)[0];
  }

  /**
   * Checks a chunk of snapshot lines on a worker, which hashes the keys and stages them for the
   * shared objector table `table` (see `ObjectorTable.stage`); resolves to the number of keys
   * hashed, which are in the table once {@link flushSnapshotChunks} resolves. The chunk's buffer
   * is transferred, and comes back through {@link takeInput}.
   */
  hashSnapshotChunk(
    path: string,
    chunk: Buffer,
    firstLine: number,
    table: ObjectorTable,
  ): Promise<number> {
    if (this.#failed) return Promise.reject(this.#failed);
    // The worker reads the buffer from its start: a chunk elsewhere in it would be other bytes.
    if (chunk.byteOffset !== 0) {
      return Promise.reject(new Error('a snapshot chunk must start its buffer (byteOffset 0)'));
    }
    const seq = this.#nextLoadSeq--;
    const slot = this.#leastBusy();
    slot.busy++;
    const buffer = chunk.buffer as ArrayBuffer;
    const slots = table.shared;
    // Which table a chunk is for, as a number: a SharedArrayBuffer arrives as a new object with
    // every message, so a worker cannot tell its tables apart by the object.
    let fill = this.#fills.get(slots);
    if (fill === undefined) {
      fill = ++this.#lastFill;
      this.#fills.set(slots, fill);
    }
    return new Promise((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject });
      slot.worker.postMessage(
        {
          type: 'snapshot-chunk',
          seq,
          path,
          buffer,
          length: chunk.length,
          firstLine,
          slots,
          fillState: table.fillState,
          fill,
        },
        [buffer],
      );
    });
  }

  /**
   * Ends the fill of `table` (see {@link hashSnapshotChunk}) once every chunk is hashed: every
   * worker's stage and this thread's are flushed, the table's regions are settled by the workers
   * and this thread together, then the keys no region took are added here.
   */
  async flushSnapshotChunks(table: ObjectorTable): Promise<void> {
    const slots = table.shared;
    const fill = this.#fills.get(slots);
    this.#fills.delete(slots);
    const spilled: KeyHashes[] = [table.flushStage()];
    if (fill !== undefined) {
      spilled.push(
        ...(await Promise.all(
          this.#workers.map((slot) =>
            this.#call<KeyHashes>(slot, { type: 'snapshot-flush', fill }, []),
          ),
        )),
      );
    }
    // The regions in equal runs: one for each worker, the last for this thread.
    const runs = this.#workers.length + 1;
    const cut = (i: number) => Math.round((table.regions * i) / runs);
    const settling = this.#workers.map((slot, i) =>
      this.#call<KeyHashes>(
        slot,
        {
          type: 'snapshot-settle',
          slots,
          fillState: table.fillState,
          from: cut(i),
          to: cut(i + 1),
        },
        [],
      ),
    );
    spilled.push(table.settle(cut(runs - 1), table.regions));
    spilled.push(...(await Promise.all(settling)));
    table.addSpilled(spilled);
  }

  /**
   * Sets every worker up to read a sealed dataset's chunks for `veto dataset verify` (they keep
   * the judge's set-up too: the build verifies on the pool it judged with).
   */
  async initVerify(config: VerifyScanConfig): Promise<void> {
    await Promise.all(
      this.#workers.map((slot) => this.#call<true>(slot, { type: 'verify-init', config }, [])),
    );
  }

  /**
   * Reads a chunk of a dataset's data file (whole lines, `buffer[0, end)`, at file `offset`) on
   * the least busy worker. The buffer is transferred, and comes back through {@link takeInput}.
   */
  async verifyChunk(
    buffer: Buffer,
    end: number,
    offset: number,
  ): Promise<{ scan: ChunkScan; chunk: Buffer }> {
    const ab = buffer.buffer as ArrayBuffer;
    if (buffer.byteOffset !== 0 || ab.byteLength !== buffer.length) {
      throw new Error('verifyChunk needs a buffer that owns its whole ArrayBuffer');
    }
    const { scan, chunk } = await this.#call<{ scan: ChunkScan; chunk: ArrayBuffer }>(
      this.#leastBusy(),
      { type: 'verify-chunk', buffer: ab, end, offset },
      [ab],
    );
    return { scan, chunk: Buffer.from(chunk) };
  }

  /** A buffer `verifyChunk` gave back, once its caller is done with it, to read into again. */
  giveBackInput(buffer: ArrayBuffer): void {
    const free = this.#freeInputs;
    if (free.length < 2 * this.#workers.length) {
      free.push(buffer);
      return;
    }
    // Full: a bigger buffer takes the smallest one's place. Why: the build's verify reads 4 MiB
    // chunks on the pool that judged 1 MiB batches; those batches' buffers filled the list, so
    // every chunk's buffer was dropped and a new one allocated (150 of them at 1 GB, whose
    // "external memory pressure" collections cost the verifying thread ~0.4 s).
    let smallest = 0;
    for (let i = 1; i < free.length; i++) {
      if (free[i]!.byteLength < free[smallest]!.byteLength) smallest = i;
    }
    if (free[smallest]!.byteLength < buffer.byteLength) free[smallest] = buffer;
  }

  /**
   * Loads a snapshot file's exact table on one worker (`loadSnapshotTable`), while the others
   * take the chunks: that worker counts as busy until it is done, so chunks go elsewhere.
   */
  async loadSnapshotTable(
    path: string,
    count: number,
  ): Promise<{ table: ObjectorTable; meta: SnapshotMeta }> {
    const { slots, keys, meta } = await this.#call<{
      slots: SharedArrayBuffer;
      keys: number;
      meta: SnapshotMeta;
    }>(this.#leastBusy(), { type: 'snapshot-table', path, count }, [], LONG_JOB);
    return { table: new ObjectorTable(0, slots, keys), meta };
  }

  /** Sends a request that `gate-worker.ts` answers with `{ seq, value }`. */
  #call<T>(
    slot: { worker: Worker; busy: number },
    msg: Record<string, unknown>,
    transfer: ArrayBuffer[],
    weight = 1,
  ): Promise<T> {
    if (this.#failed) return Promise.reject(this.#failed);
    const seq = this.#nextLoadSeq--;
    slot.busy += weight;
    return new Promise((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject, weight });
      slot.worker.postMessage({ ...msg, seq }, transfer);
    });
  }

  #leastBusy(): { worker: Worker; busy: number } {
    let slot = this.#workers[0]!;
    for (const w of this.#workers) if (w.busy < slot.busy) slot = w;
    return slot;
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
