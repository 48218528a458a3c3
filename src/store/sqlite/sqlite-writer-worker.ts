import { parentPort, workerData } from 'node:worker_threads';
import { SqliteWriterCore, type WriterMethod } from './sqlite-writer-core.ts';

/**
 * The SQLite writer thread. Messages are handled in arrival order; synchronous methods finish
 * before the next message is read, and `sync` (fdatasync in the thread pool) lets the next
 * transaction proceed while it waits.
 */
const core = new SqliteWriterCore((workerData as { filename: string }).filename);
const port = parentPort!;

port.on('message', async (m: { id: number; method: WriterMethod | 'close'; args: unknown[] }) => {
  if (m.method === 'close') {
    core.close();
    port.postMessage({ id: m.id, ok: true });
    return;
  }
  try {
    const fn = core[m.method] as (...a: unknown[]) => unknown;
    const value = await fn.apply(core, m.args);
    port.postMessage({ id: m.id, ok: true, value });
  } catch (err) {
    const e = err as { message?: string; code?: string };
    port.postMessage({
      id: m.id,
      ok: false,
      error: { message: e.message ?? String(err), code: e.code },
    });
  }
});
port.postMessage({ ready: true });
