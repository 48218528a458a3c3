import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread that runs plain JavaScript (a bundle, an `eval` source) without the
 * flags that load tsx, which it would otherwise inherit from this process. Why: under the `tsx`
 * command (the benchmarks, scripts) each such thread then started tsx's loader first, its hooks
 * and its source maps, for code that needs none: a gate build's objector load took 0.4-0.8 CPU-s
 * more with them (two workers, the language detector, verify's side thread), which a
 * `veto gate build` (a bundle, no tsx) never pays. Only when there is something to leave out:
 * Node checks flags given to a worker (and refuses some it would have inherited, e.g.
 * `--max-old-space-size`), so if it refuses what is left, the worker inherits them all.
 */
export function startPlainWorker(filename: string | URL, options: WorkerOptions = {}): Worker {
  const execArgv = withoutTsx(process.execArgv);
  if (options.execArgv || execArgv.length === process.execArgv.length) {
    return new Worker(filename, options);
  }
  try {
    return new Worker(filename, { ...options, execArgv });
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    return new Worker(filename, options);
  }
}

/** `argv` without the flags that load tsx (`--import tsx`, tsx's own `--require`/`--import` files). */
export function withoutTsx(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (LOADER_FLAGS.has(flag)) {
      const value = eq > 0 ? a.slice(eq + 1) : argv[i + 1];
      if (value !== undefined && TSX.test(value)) {
        if (eq < 0) i++;
        continue;
      }
    }
    out.push(a);
  }
  return out;
}

const LOADER_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);
/** `tsx` (or one of its entry points), or a file inside a `tsx` package folder (path or URL). */
const TSX = /^tsx($|\/)|[\\/]tsx[\\/]/;
