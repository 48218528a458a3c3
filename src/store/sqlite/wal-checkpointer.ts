import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import { startPlainWorker } from '../../lib/worker-flags.ts';

/**
 * Runs WAL checkpoints on a worker thread with its own connection. SQLite's automatic
 * checkpoint runs inside a COMMIT, on the thread that commits: copying pages into the database
 * file and syncing it then stalls the event loop that serves requests. The writer connection
 * turns automatic checkpoints off (`wal_autocheckpoint=0`) and this worker runs PASSIVE ones
 * (they never block the writer) on a timer instead, keeping the WAL short.
 *
 * The worker's code is plain JavaScript passed with `eval`, so it needs no TypeScript loader.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db = null;
function connection() {
  if (!db) {
    db = new Database(workerData.filename, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = FULL');
  }
  return db;
}
parentPort.on('message', (m) => {
  if (m === 'checkpoint') {
    try {
      const [r] = connection().pragma('wal_checkpoint(PASSIVE)');
      parentPort.postMessage({ ok: true, log: r.log, checkpointed: r.checkpointed });
    } catch (err) {
      parentPort.postMessage({ ok: false, error: String(err && err.message || err) });
    }
  } else if (m === 'close') {
    if (db) db.close();
    parentPort.postMessage({ closed: true });
  }
});
`;

export class WalCheckpointer {
  private readonly worker: Worker;
  private busy = false;
  private timer: NodeJS.Timeout;
  private closed = false;
  private exited = false;
  /** The last checkpoint failure, if any (the next tick tries again). */
  lastError: string | null = null;

  constructor(filename: string, intervalMs = 250) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = startPlainWorker(WORKER_SOURCE, { eval: true, workerData: { filename, driver } });
    this.worker.on('message', (m: { ok?: boolean; error?: string }) => {
      if ('ok' in m) {
        this.busy = false;
        this.lastError = m.ok ? null : (m.error ?? 'checkpoint failed');
      }
    });
    this.worker.on('error', (err) => {
      this.lastError = err.message;
    });
    this.worker.on('exit', () => {
      this.exited = true;
    });
    this.worker.unref();
    this.timer = setInterval(() => {
      if (this.busy || this.closed) return;
      this.busy = true;
      this.worker.postMessage('checkpoint');
    }, intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.exited) return;
    clearInterval(this.timer);
    // Keep the process alive until the worker has closed its connection.
    this.worker.ref();
    await new Promise<void>((resolve) => {
      this.worker.on('message', (m: { closed?: boolean }) => {
        if (m.closed) resolve();
      });
      this.worker.on('exit', () => resolve());
      this.worker.postMessage('close');
    });
    await this.worker.terminate();
  }
}
