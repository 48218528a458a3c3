// The sources as plain JavaScript for the test runner: every TypeScript and JavaScript module of
// src/, test/, bench/, eval/ and scripts/ transformed alone by esbuild (as tsx transforms each
// module), written one for one under node_modules/.cache/veto/, with relative imports pointing
// at the transformed files. Node then loads them with its own loader.
//
// Why: through tsx, each module crosses to its loader thread to be resolved and loaded. Importing
// the application (src/app/wire.ts) took ~2.1 CPU-s that way and ~0.83 CPU-s from the mirror,
// in every one of the suite's ~140 test processes; the whole suite went from 1,518 to 1,290
// CPU-s on the 2-core CI machine, where it is CPU-bound.
//
// What stays the same: each file's `import.meta.url` (and `dirname`, `filename`) is its
// source's, so a module finds the files next to it (fixtures, locales, models, worker entries,
// `bin/veto.js`) where they are; worker threads started from a `.ts` entry still go through their
// bundle or tsx (src/lib/ts-worker.ts); packages are imported from node_modules as before.
import { readdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const DIRS = ['src', 'test', 'bench', 'eval', 'scripts'];
const CODE = /\.(ts|js|mjs)$/;
const META = 'import.meta';
/** What each mirrored module's `import.meta.url`, `.dirname` and `.filename` become. */
const SOURCE = {
  url: '__vetoSourceUrl',
  dirname: '__vetoSourceDirname',
  filename: '__vetoSourceFilename',
};

/**
 * Writes the mirror of `root`'s sources into `outDir` (emptied first); returns the mirror path of
 * a source path (`test/a.test.ts` → `<outDir>/test/a.test.mjs`).
 * @param {string} root
 * @param {string} outDir
 */
export async function buildTestMirror(root, outDir) {
  const { build } = await import('esbuild');
  const entries = [];
  for (const dir of DIRS) {
    const abs = path.join(root, dir);
    for (const f of readdirSync(abs, { recursive: true })) {
      const file = String(f);
      if (!CODE.test(file) || file.split(path.sep).includes('out') || file.endsWith('.d.ts'))
        continue;
      entries.push(path.join(abs, file));
    }
  }
  await rm(outDir, { recursive: true, force: true });
  await build({
    entryPoints: entries,
    outdir: outDir,
    outbase: root,
    // "Bundle" only to reach the import paths: every import stays an import (see onResolve).
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    // Failures' stack traces name the TypeScript lines (the runner passes --enable-source-maps).
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'error',
    define: Object.fromEntries(Object.entries(SOURCE).map(([k, v]) => [`${META}.${k}`, v])),
    plugins: [
      {
        name: 'veto-test-mirror',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            if (args.kind === 'entry-point') return undefined;
            if (args.path.startsWith('.'))
              return { path: args.path.replace(/\.(ts|js)$/, '.mjs'), external: true };
            return { external: true };
          });
          b.onLoad({ filter: CODE }, async (args) => {
            const text = await readFile(args.path, 'utf8');
            // The source's own values, declared on the first line (so that every other line
            // keeps its number) for the `define`s above, which replace expressions only: a
            // string that merely contains the words (a test writing a module) keeps them.
            const own = `var ${SOURCE.url} = ${JSON.stringify(pathToFileURL(args.path).href)}, ${SOURCE.dirname} = ${JSON.stringify(path.dirname(args.path))}, ${SOURCE.filename} = ${JSON.stringify(args.path)};`;
            const at = text.startsWith('#!') ? text.indexOf('\n') + 1 : 0;
            return {
              contents: text.slice(0, at) + own + text.slice(at),
              loader: args.path.endsWith('.ts') ? 'ts' : 'js',
            };
          });
        },
      },
    ],
  });
  return (/** @type {string} */ source) =>
    path.join(outDir, path.relative(root, source).replace(CODE, '.mjs'));
}
