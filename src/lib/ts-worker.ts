import { Worker, type WorkerOptions } from 'node:worker_threads';
import { bundleEntry } from './source-bundle.js';
import { startPlainWorker } from './worker-flags.ts';

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

const bundles = new Map<string, Promise<URL | undefined>>();

/**
 * Bundles a TypeScript worker entry and its local imports into one JavaScript file with esbuild
 * (packages stay imports), for `new Worker(url)`; undefined if that fails, and the caller then
 * uses {@link startTsWorker}. Why: a worker started through tsx compiles and links each module
 * through tsx's loader thread. The gate's two workers took 1.13 s and 2.1 CPU-s before the first
 * batch that way, 0.40 s and 0.77 CPU-s bundled (2-core machine), on every run.
 *
 * The bundle is written under `node_modules/.cache/veto/`, named by its content hash, so two
 * processes never write each other's file, with a list of the sources it was built from and
 * their hashes (see {@link bundleWorkerEntry}). `VETO_BUNDLE=0` (or `VETO_WORKER_BUNDLE=0`) turns
 * bundling off.
 */
export function bundledWorkerEntry(entry: URL): Promise<URL | undefined> {
  if (process.env.VETO_BUNDLE === '0' || process.env.VETO_WORKER_BUNDLE === '0')
    return Promise.resolve(undefined);
  let bundle = bundles.get(entry.href);
  if (!bundle) {
    bundle = bundleWorkerEntry(entry).then(
      (b) => b.url,
      () => undefined,
    );
    bundles.set(entry.href, bundle);
  }
  return bundle;
}

/**
 * Runs `use` with a way to start workers of `entry`: from its bundle ({@link bundledWorkerEntry},
 * or `bundled`, which tests give), and if that fails (a bundle that does not start, say a package
 * it cannot resolve from where it was written), once more through {@link startTsWorker}, where a
 * real fault fails again and is what the caller sees. `use` must stop the workers it started
 * when it fails.
 */
export async function withWorkers<T>(
  entry: URL,
  options: Omit<WorkerOptions, 'eval'>,
  use: (start: () => Worker) => Promise<T>,
  bundled?: URL,
): Promise<T> {
  const bundle = bundled ?? (await bundledWorkerEntry(entry));
  if (bundle) {
    try {
      return await use(() => startPlainWorker(bundle, options));
    } catch {}
  }
  return use(() => startTsWorker(entry, options));
}

/** See {@link bundleEntry} (plain JavaScript, so that `bin/veto.js` can use it before tsx). */
export const bundleWorkerEntry = bundleEntry;

/**
 * Resolves with `worker` once it posts `{ ready: true }`; rejects (and stops it) if it fails or
 * exits first. `what` names the thread in the error.
 */
export function workerReady(worker: Worker, what: string): Promise<Worker> {
  return new Promise<Worker>((resolve, reject) => {
    const onMessage = (m: { ready?: boolean }) => {
      if (!m?.ready) return;
      worker.off('error', onError).off('exit', onExit).off('message', onMessage);
      resolve(worker);
    };
    const onError = (err: Error) => {
      worker.off('exit', onExit).off('message', onMessage);
      void worker.terminate();
      reject(err);
    };
    const onExit = (code: number) => {
      worker.off('error', onError).off('message', onMessage);
      reject(new Error(`${what} exited (${code}) before it was ready`));
    };
    worker.on('message', onMessage).once('error', onError).once('exit', onExit);
  });
}
