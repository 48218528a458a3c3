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
 * The bundle is written under `node_modules/.cache/veto/`, named by its content hash, so two
 * processes never write each other's file, with a list of the sources it was built from and
 * their hashes (see {@link bundleWorkerEntry}). `VETO_WORKER_BUNDLE=0` turns bundling off.
 */
export function bundledWorkerEntry(entry: URL): Promise<URL | undefined> {
  if (process.env.VETO_WORKER_BUNDLE === '0') return Promise.resolve(undefined);
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

/** What `<entry>.sources.json` beside the bundles records of the last build. */
interface BundleSources {
  format: 'veto-worker-bundle/v2';
  /** The bundle's file name, in the same folder. */
  bundle: string;
  /** Every source esbuild read, absolute path to sha256 of its content. */
  sources: Record<string, string>;
}

/**
 * The entry's bundle: the last one built, when every source it was built from still has the
 * content it had then (hashed: ~40 small files, a few milliseconds); otherwise a new build. Why:
 * running esbuild took 180-320 ms of a gate run's start (its service process starting while the
 * main thread reads the objector snapshot), every run, for sources that had not changed. Package
 * code is not in the bundle (it stays an import), so package updates need no rebuild.
 */
export async function bundleWorkerEntry(entry: URL): Promise<{ url: URL; reused: boolean }> {
  const { createHash } = await import('node:crypto');
  const { mkdir, readFile, rename, stat, writeFile } = await import('node:fs/promises');
  const { basename, dirname, join, resolve } = await import('node:path');
  const { fileURLToPath, pathToFileURL } = await import('node:url');
  const { existsSync } = await import('node:fs');
  const entryPath = fileURLToPath(entry);
  // In the node_modules of the entry's own package, so that the bundle's package imports resolve
  // as the sources' do, also when Veto is itself installed as a dependency.
  let root = dirname(entryPath);
  while (!existsSync(join(root, 'package.json'))) {
    const up = dirname(root);
    if (up === root) throw new Error(`no package.json above ${entryPath}`);
    root = up;
  }
  const dir = join(root, 'node_modules', '.cache', 'veto');
  const name = basename(entryPath, '.ts');
  const record = join(dir, `${name}.sources.json`);
  const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

  try {
    const last = JSON.parse(await readFile(record, 'utf8')) as BundleSources;
    const file = join(dir, last.bundle);
    const paths = Object.keys(last.sources);
    if (last.format === 'veto-worker-bundle/v2' && paths.includes(entryPath) && existsSync(file)) {
      const now = await Promise.all(paths.map((p) => readFile(p).then(sha256, () => '')));
      if (now.every((h, i) => h === last.sources[paths[i]!])) {
        return { url: pathToFileURL(file), reused: true };
      }
    }
  } catch {
    // No record yet, or an unreadable one: build.
  }

  const { build } = await import('esbuild');
  // Each source is hashed as esbuild reads it, so the record says exactly what went in (hashing
  // afterwards would record an edit made during the build as if it were bundled).
  const sources: Record<string, string> = {};
  const result = await build({
    entryPoints: [entryPath],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'veto-source-hashes',
        setup(b) {
          b.onLoad({ filter: /\.(ts|js|mjs)$/ }, async (args) => {
            const contents = await readFile(args.path);
            sources[resolve(args.path)] = sha256(contents);
            // A module that finds its files next to itself (a model, a stylesheet, migrations,
            // createRequire) must keep its own URL in the bundle, which lives elsewhere.
            const own = JSON.stringify(pathToFileURL(args.path).href);
            const text = contents.toString('utf8').replaceAll('import.meta.url', own);
            return { contents: text, loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
          });
        },
      },
    ],
  });
  const code = result.outputFiles[0]!.contents;
  const file = join(dir, `${name}-${sha256(code).slice(0, 16)}.mjs`);
  const exists = await stat(file).then(
    () => true,
    () => false,
  );
  await mkdir(dir, { recursive: true });
  if (!exists) {
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, code);
    await rename(temp, file);
  }
  const temp = `${record}.${process.pid}.tmp`;
  await writeFile(
    temp,
    JSON.stringify({
      format: 'veto-worker-bundle/v2',
      bundle: basename(file),
      sources,
    } satisfies BundleSources),
  );
  await rename(temp, record);
  return { url: pathToFileURL(file), reused: false };
}
