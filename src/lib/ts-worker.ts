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

const bundles = new Map<string, Promise<URL | undefined>>();

/**
 * Bundles a TypeScript worker entry and its local imports into one JavaScript file with esbuild
 * (packages stay imports), for `new Worker(url)`; undefined if that fails, and the caller then
 * uses {@link startTsWorker}. Why: a worker started through tsx compiles and links each module
 * through tsx's loader thread. The gate's two workers took 1.13 s and 2.1 CPU-s before the first
 * batch that way, 0.40 s and 0.77 CPU-s bundled (2-core machine), on every run.
 *
 * The bundle is rebuilt from the sources on each first use in a process (~50 ms, in esbuild's own
 * process) and written under `node_modules/.cache/veto/`, named by its content hash, so it is never
 * stale and two processes never write each other's file. `VETO_WORKER_BUNDLE=0` turns bundling
 * off.
 */
export function bundledWorkerEntry(entry: URL): Promise<URL | undefined> {
  if (process.env.VETO_WORKER_BUNDLE === '0') return Promise.resolve(undefined);
  let bundle = bundles.get(entry.href);
  if (!bundle) {
    bundle = buildBundle(entry).catch(() => undefined);
    bundles.set(entry.href, bundle);
  }
  return bundle;
}

async function buildBundle(entry: URL): Promise<URL> {
  const [
    { build },
    { createHash },
    { mkdir, rename, stat, writeFile },
    { basename, dirname, join },
  ] = await Promise.all([
    import('esbuild'),
    import('node:crypto'),
    import('node:fs/promises'),
    import('node:path'),
  ]);
  const { fileURLToPath, pathToFileURL } = await import('node:url');
  const { existsSync } = await import('node:fs');
  const result = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  // In the node_modules of the entry's own package, so that the bundle's package imports resolve
  // as the sources' do, also when Veto is itself installed as a dependency.
  let root = dirname(fileURLToPath(entry));
  while (!existsSync(join(root, 'package.json'))) {
    const up = dirname(root);
    if (up === root) throw new Error(`no package.json above ${fileURLToPath(entry)}`);
    root = up;
  }
  const dir = join(root, 'node_modules', '.cache', 'veto');
  const file = join(dir, `${basename(fileURLToPath(entry), '.ts')}-${hash}.mjs`);
  const exists = await stat(file).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await mkdir(dir, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, code);
    await rename(temp, file);
  }
  return pathToFileURL(file);
}
