import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread whose entry is a TypeScript module. Veto runs TypeScript through tsx
 * without a build step, and a worker whose entry is a `.ts` file does not get the parent's
 * `--import tsx` hook on Node 20 ("Unknown file extension .ts", under both `node --import tsx`
 * and the `tsx` CLI), so the worker starts from a tiny bootstrap that registers tsx itself and
 * then imports the entry. `workerData` and the other options pass through unchanged.
 */
export function startTsWorker(entry: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); }).catch((e) => { console.error(e); process.exit(70); });`;
  return new Worker(boot, { ...options, eval: true });
}
