import type Database from 'better-sqlite3';
import { withWorkers, workerReady } from '../../lib/ts-worker.ts';
import { SqliteWriterCore, type WriterMethod } from './sqlite-writer-core.ts';

type Fn<M extends WriterMethod> = SqliteWriterCore[M] extends (...a: infer A) => infer R
  ? (...a: A) => Promise<Awaited<R>>
  : never;

/** Calls the writer's methods, wherever the writer runs. */
export interface WriterPort {
  call<M extends WriterMethod>(method: M, ...args: Parameters<Fn<M>>): ReturnType<Fn<M>>;
  close(): Promise<void>;
}

/** In-memory databases have one connection, so the writer runs in-process. */
export function inProcessWriter(filename: string, db: Database.Database): WriterPort {
  const core = new SqliteWriterCore(filename, db);
  return {
    call(method, ...args) {
      try {
        const fn = core[method] as (...a: unknown[]) => unknown;
        return Promise.resolve(fn.apply(core, args)) as never;
      } catch (err) {
        return Promise.reject(err) as never;
      }
    },
    async close() {},
  };
}

/**
 * The writer on its own thread. Statement execution, COMMIT and fdatasync then happen off the
 * event loop that parses HTTP requests: in-process they were ~30 % of the server's CPU at
 * 12k objections/s (profiled with --cpu-prof), which bounded intake throughput.
 */
export async function workerWriter(filename: string, bundled?: URL): Promise<WriterPort> {
  // From a bundle of its code (src/lib/ts-worker.ts says why): through tsx, the thread took
  // ~0.3 s and ~0.45 CPU-s to be ready, at every start of `veto` and of the server.
  // `bundled`: a bundle to use instead of building one (tests).
  const worker = await withWorkers(
    new URL('./sqlite-writer-worker.ts', import.meta.url),
    { workerData: { filename } },
    (start) => workerReady(start(), 'SQLite writer thread'),
    bundled,
  );
  const pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void }
  >();
  let nextId = 1;
  let failed: Error | null = null;
  worker.on(
    'message',
    (m: {
      id: number;
      ok: boolean;
      value?: unknown;
      error?: { message: string; code?: string };
    }) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(Object.assign(new Error(m.error?.message), { code: m.error?.code }));
    },
  );
  const failAll = (err: Error) => {
    failed = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('error', (err) => failAll(err));
  worker.on('exit', (code) => failAll(new Error(`SQLite writer thread exited (${code})`)));
  const send = (method: string, args: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      if (failed) return reject(failed);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, method, args });
    });
  return {
    call(method, ...args) {
      return send(method, args) as never;
    },
    async close() {
      if (!failed) await send('close', []);
      await worker.terminate();
    },
  };
}
