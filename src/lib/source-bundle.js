// Plain JavaScript, not TypeScript: `bin/veto.js` loads it before tsx is registered, so that a
// command whose bundle is current starts without tsx at all (see bundleEntry).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// v4: bundles made by a bundled `veto` before v4 kept `import.meta.url` unreplaced.
// v5: the pure-JavaScript packages below are bundled in.
// v6: each own source's file status recorded beside its hash (see `unchanged`).
// v7: eld bundled in, its n-gram tables as JSON (see DATA_MODULES).
// v8: libphonenumber-js (its metadata as JSON) and intl-messageformat bundled in.
const FORMAT = 'veto-bundle/v8';
// Spelled so that it is not itself the text it looks for: this module is bundled too (inside
// `veto`), and the replacement below would otherwise rewrite its own search string.
const META_URL = ['import', 'meta', 'url'].join('.');

/**
 * Packages bundled in rather than imported: pure JavaScript spread over many small modules, which
 * Node resolves, reads and compiles one by one at every start (measured alone: kysely 145 ms of
 * CPU, all of these about 450 ms, most of a `veto --help`). Everything else stays an import:
 * native addons (better-sqlite3, DuckDB), packages that start worker threads from files next to
 * themselves (pino), and those only the server or one command loads (Fastify, NATS).
 */
const BUNDLED_PACKAGES = new Set([
  'kysely',
  'zod',
  'yaml',
  'jose',
  'negotiator',
  '@formatjs/icu-messageformat-parser',
  '@formatjs/icu-skeleton-parser',
  '@formatjs/intl-localematcher',
  '@formatjs/fast-memoize',
  'markdown-it',
  'argparse',
  'entities',
  'linkify-it',
  'mdurl',
  'punycode.js',
  'uc.micro',
  'prom-client',
  'tdigest',
  'bintrees',
  '@opentelemetry/api',
  'nodemailer',
  'tslib',
  'eld',
  // Loaded by every gate worker (the redactor's phone numbers, the catalogue's messages), which
  // a build starts afresh: in a new thread, libphonenumber-js/max took 80-100 ms to import as
  // the package's ~100 modules and 21-34 ms bundled; intl-messageformat 13-19 ms against 9-13.
  'libphonenumber-js',
  'intl-messageformat',
]);

/**
 * Package modules that are one big object literal, bundled as `JSON.parse` of the same data.
 * Why: V8 builds a literal's objects through its parser and bytecode, JSON far faster. eld's
 * n-gram tables (1.6 MB, 81k small objects): ~0.67 s to import as JavaScript, ~0.08 s to parse as
 * JSON (2 vCPUs, Node 20), and the language detector's thread loads them at every build; the
 * phone numbers' metadata (libphonenumber-js, 150 KB) is loaded by every gate worker.
 * `export const NAME = {...}` (or `export default {...}`) is read by importing the module once,
 * when the bundle is built.
 */
const DATA_MODULES =
  /[\\/]node_modules[\\/](?:eld[\\/]src[\\/]ngrams[\\/][^\\/]+|libphonenumber-js[\\/]metadata\.max\.json)\.js$/;

/**
 * A `JSON.stringify` replacer that throws at any value JSON would not give back as it is.
 * @this {Record<string, unknown>}
 * @param {string} key
 * @param {unknown} value
 */
function plainJsonOnly(key, value) {
  // `this[key]`: the value before any `toJSON` (a Date's) turned it into something else.
  const original = key === '' ? value : this[key];
  const ok =
    original === null ||
    typeof original === 'string' ||
    typeof original === 'boolean' ||
    (typeof original === 'number' && Number.isFinite(original)) ||
    Array.isArray(original) ||
    (typeof original === 'object' &&
      [Object.prototype, null].includes(Object.getPrototypeOf(original)));
  if (!ok) throw new Error(`not plain JSON data at ${JSON.stringify(key)}`);
  return value;
}

/**
 * The module at `path` (see DATA_MODULES) as exports of `JSON.parse`d constants.
 * @param {string} path
 */
export async function jsonDataModule(path) {
  /** @type {Record<string, unknown>} */
  const exported = await import(pathToFileURL(path).href);
  return Object.entries(exported)
    .map(([name, value]) => {
      // The round trip must give the same data back: only plain JSON values qualify (a NaN,
      // an undefined, a Date or a Map inside would come back changed or not at all).
      let json;
      try {
        json = JSON.stringify(value, plainJsonOnly);
      } catch (err) {
        throw new Error(`${path}: export ${name} is ${/** @type {Error} */ (err).message}`);
      }
      if (json === undefined || !/^[A-Za-z_$][\w$]*$/.test(name)) {
        throw new Error(`${path}: export ${name} is not plain JSON data`);
      }
      const data = `JSON.parse(${JSON.stringify(json)})`;
      return name === 'default' ? `export default ${data};\n` : `export const ${name} = ${data};\n`;
    })
    .join('');
}

/** The package a bare import names (`@scope/name/sub` → `@scope/name`). */
const packageOf = (/** @type {string} */ spec) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

// CommonJS packages bundled into ES modules call `require` for Node's own modules.
// (META_URL, not spelled out, for the reason given there.)
const REQUIRE_BANNER = `import { createRequire as __vetoCreateRequire } from 'node:module';\nconst require = __vetoCreateRequire(${META_URL});`;

/** @param {Uint8Array | string} data */
const sha256 = (data) => createHash('sha256').update(data).digest('hex');

const IN_PACKAGES = `${sep}node_modules${sep}`;
/**
 * What the freshness check compares for one source: its content's hash for Veto's own files, its
 * size and modification time for a bundled package's (hundreds of files, which change only when
 * npm installs another version: hashing them all would add 50-70 ms to every start).
 * @param {string} path
 * @param {Uint8Array} [contents] the file's bytes when already read
 */
async function fingerprint(path, contents) {
  if (path.includes(IN_PACKAGES)) {
    const s = await stat(path);
    return `size ${s.size} mtime ${s.mtimeMs}`;
  }
  return sha256(contents ?? (await readFile(path)));
}

/**
 * What identifies one state of a file without reading it: size, inode and change time. The change
 * time moves with every write and cannot be set back by tools that preserve modification times
 * (`cp -p`, `tar`, `rsync -t`), so an equal status means the same bytes as when it was recorded.
 * @param {import('node:fs').Stats} s
 */
const fileStatus = (s) => `${s.size} ${s.ino} ${s.ctimeMs}`;

/**
 * Whether a source is as the record says: its status as recorded (a `stat`, no read), else its
 * fingerprint. Why: reading and hashing the ~320 own sources of `veto`'s bundle took ~0.1 s of
 * every start, about a fifth of a short command's CPU, and the test suite starts `veto` hundreds
 * of times.
 * @param {string} path
 * @param {string} fingerprinted the recorded fingerprint
 * @param {string | undefined} status the recorded status
 */
async function unchanged(path, fingerprinted, status) {
  if (status !== undefined && !path.includes(IN_PACKAGES)) {
    const s = await stat(path);
    if (fileStatus(s) === status) return true;
  }
  return (await fingerprint(path)) === fingerprinted;
}

/**
 * The bundle of a TypeScript entry, its local imports and the packages of BUNDLED_PACKAGES (other
 * packages stay imports): the last one built, when every source it was built from is unchanged
 * (`unchanged`: a `stat` per source, a few milliseconds); otherwise a new build with esbuild. Why: running
 * TypeScript through tsx compiles and links each module through tsx's loader thread. The `veto`
 * command took 2.5-3.5 s to print its help that way and 1.3 s bundled; the gate's two workers
 * 1.13 s before the first batch, 0.40 s bundled (2-core machine), on every run.
 *
 * The bundle is written under `node_modules/.cache/veto/` of the entry's own package (so that its
 * package imports resolve as the sources' do, also when Veto is itself installed as a
 * dependency), named by its content hash, so two processes never write each other's file, with
 * `<entry>-<path hash>.sources.json` listing the sources it was built from and their hashes.
 *
 * @param {URL} entry
 * @returns {Promise<{ url: URL; reused: boolean }>}
 */
export async function bundleEntry(entry) {
  const entryPath = fileURLToPath(entry);
  let root = dirname(entryPath);
  while (!existsSync(join(root, 'package.json'))) {
    const up = dirname(root);
    if (up === root) throw new Error(`no package.json above ${entryPath}`);
    root = up;
  }
  const dir = join(root, 'node_modules', '.cache', 'veto');
  const name = basename(entryPath).replace(/\.[^.]+$/, '');
  // Named for the entry's path too: two checkouts sharing node_modules (git worktrees) must not
  // take turns overwriting one record.
  const record = join(dir, `${name}-${sha256(entryPath).slice(0, 8)}.sources.json`);

  try {
    const last = JSON.parse(await readFile(record, 'utf8'));
    const file = join(dir, last.bundle);
    const paths = Object.keys(last.sources);
    if (last.format === FORMAT && paths.includes(entryPath) && existsSync(file)) {
      const statuses = last.statuses ?? {};
      const now = await Promise.all(
        paths.map((p) => unchanged(p, last.sources[p], statuses[p]).catch(() => false)),
      );
      if (now.every(Boolean)) {
        return { url: pathToFileURL(file), reused: true };
      }
    }
  } catch {
    // No record yet, or an unreadable one: build.
  }

  const { build } = await import('esbuild');
  // Each source is hashed as esbuild reads it, so the record says exactly what went in (hashing
  // afterwards would record an edit made during the build as if it were bundled).
  /** @type {Record<string, string>} */
  const sources = {};
  /** @type {Record<string, string>} */
  const statuses = {};
  const staging = join(dir, `.build-${name}-${process.pid}`);
  const result = await build({
    entryPoints: [entryPath],
    bundle: true,
    // Split at dynamic imports: a package that only one command uses (DuckDB, Fastify) is then
    // loaded by that command alone; without splitting, esbuild hoists every package import of
    // the whole program to the top of the one file.
    splitting: true,
    outdir: staging,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: REQUIRE_BANNER },
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'veto-packages',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            BUNDLED_PACKAGES.has(packageOf(args.path)) ? undefined : { external: true },
          );
        },
      },
      {
        name: 'veto-source-hashes',
        setup(b) {
          b.onLoad({ filter: /\.(ts|js|mjs|cjs)$/ }, async (args) => {
            const before = await stat(args.path);
            const contents = await readFile(args.path);
            const path = resolve(args.path);
            sources[path] = await fingerprint(path, contents);
            if (DATA_MODULES.test(path)) {
              return { contents: await jsonDataModule(path), loader: 'js' };
            }
            // The status only if the file did not change while it was read: else the next
            // check hashes it and sees that the bundle holds another version.
            if (!path.includes(IN_PACKAGES)) {
              const after = await stat(args.path);
              if (fileStatus(after) === fileStatus(before)) statuses[path] = fileStatus(after);
            }
            // A module that finds its files next to itself (a model, a stylesheet, migrations,
            // createRequire) must keep its own URL in the bundle, which lives elsewhere.
            const own = JSON.stringify(pathToFileURL(args.path).href);
            const text = contents.toString('utf8').replaceAll(META_URL, own);
            return { contents: text, loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
          });
        },
      },
    ],
  });
  // The bundle is a folder (the entry and its chunks) named by the hash of everything in it.
  const files = result.outputFiles
    .map((f) => ({ name: basename(f.path), contents: f.contents }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const all = createHash('sha256');
  for (const f of files) all.update(f.name).update('\0').update(f.contents);
  const folder = join(dir, `${name}-${all.digest('hex').slice(0, 16)}`);
  const entryFile = join(folder, `${name}.mjs`);
  await mkdir(dir, { recursive: true });
  if (!existsSync(entryFile)) {
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging);
    for (const f of files) await writeFile(join(staging, f.name), f.contents);
    try {
      await rename(staging, folder);
    } catch (err) {
      // Another process put the same folder in place first: same content, keep theirs.
      await rm(staging, { recursive: true, force: true });
      if (!existsSync(entryFile)) throw err;
    }
  }
  const temp = `${record}.${process.pid}.tmp`;
  await writeFile(
    temp,
    JSON.stringify({
      format: FORMAT,
      bundle: `${basename(folder)}/${name}.mjs`,
      sources,
      statuses,
    }),
  );
  await rename(temp, record);
  return { url: pathToFileURL(entryFile), reused: false };
}
