import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { WorkerPool } from '../../src/gate/worker-pool.ts';
import { jsonDataModule } from '../../src/lib/source-bundle.js';
import { bundledWorkerEntry, bundleWorkerEntry } from '../../src/lib/ts-worker.ts';
import { openSqliteRegistryStore } from '../../src/store/sqlite/sqlite-registry-store.ts';
import { workerWriter } from '../../src/store/sqlite/sqlite-writer-port.ts';
import {
  exclusionLeaves,
  exclusionLeavesInParallel,
} from '../../src/transparency/dataset-exclusion.ts';
import { generateVrfKeyPem, parseVrfPrivateKey } from '../../src/transparency/rsa-fdh-vrf.ts';
import { tempDir } from '../gate/support/fixtures.ts';

const GATE_WORKER = new URL('../../src/gate/gate-worker.ts', import.meta.url);

/** A temporary ES-module package with an empty `src` folder; its root. */
async function tempPackage(): Promise<string> {
  const root = await tempDir();
  await writeFile(join(root, 'package.json'), '{"type":"module"}\n');
  await mkdir(join(root, 'src'));
  return root;
}

describe('data modules bundled as JSON', () => {
  it('gives the same data back, and refuses what JSON would change', async () => {
    const dir = await tempDir();
    const good = join(dir, 'good.mjs');
    const data = { type: 'S60', languages: { 0: 'am', 11: 'en' }, ngrams: { ' ab ': { 3: 7 } } };
    await writeFile(good, `export const ngramsData = ${JSON.stringify(data)};\n`);
    const code = await jsonDataModule(good);
    assert.match(code, /^export const ngramsData = JSON\.parse\(/);
    const again = join(dir, 'again.mjs');
    await writeFile(again, code);
    assert.deepEqual((await import(pathToFileURL(again).href)).ngramsData, data);
    // A default export (libphonenumber-js's metadata is one) stays the default.
    const byDefault = join(dir, 'default.mjs');
    await writeFile(byDefault, `export default ${JSON.stringify(data)};\n`);
    const defaultCode = await jsonDataModule(byDefault);
    assert.match(defaultCode, /^export default JSON\.parse\(/);
    const defaultAgain = join(dir, 'default-again.mjs');
    await writeFile(defaultAgain, defaultCode);
    assert.deepEqual((await import(pathToFileURL(defaultAgain).href)).default, data);
    for (const bad of ['{ a: NaN }', '{ a: [1, undefined] }', '{ at: new Date(0) }', 'new Map()']) {
      const path = join(dir, `bad-${bad.length}.mjs`);
      await writeFile(path, `export const data = ${bad};\n`);
      await assert.rejects(
        jsonDataModule(path),
        /bad-\d+\.mjs: export data is not plain JSON data at "/,
        bad,
      );
    }
  });

  it("holds eld's n-gram tables in the language detector's bundle as JSON", async () => {
    const url = await bundleWorkerEntry(
      new URL('../../src/gate/language-detector-worker.ts', import.meta.url),
    );
    const dir = join(fileURLToPath(url.url), '..');
    const files = await Promise.all(
      (await readdir(dir)).map((f) => readFile(join(dir, f), 'utf8')),
    );
    const all = files.join('\n');
    // As esbuild quotes it (a template literal or a string), never as the package's literal.
    assert.ok(/JSON\.parse\([`"']\{\\?"type\\?":\\?"S60/.test(all), 'the tables as JSON.parse');
    assert.ok(!/ngramsData = \{\s*type:/.test(all), 'not as the package literal');
  });

  it("holds the phone numbers' metadata in the gate worker's bundle as JSON, the package bundled in", async () => {
    const url = await bundledWorkerEntry(GATE_WORKER);
    assert.ok(url, 'bundled');
    const dir = join(fileURLToPath(url), '..');
    const files = await Promise.all(
      (await readdir(dir)).map((f) => readFile(join(dir, f), 'utf8')),
    );
    const all = files.join('\n');
    assert.ok(/JSON\.parse\([`"']\{\\?"version\\?":/.test(all), 'the metadata as JSON.parse');
    assert.ok(
      !/from ["']libphonenumber-js/.test(all),
      'libphonenumber-js not imported as a package',
    );
    assert.ok(
      !/from ["']intl-messageformat/.test(all),
      'intl-messageformat not imported as a package',
    );
  });
});

describe('bundled worker entries', () => {
  it('bundles a TypeScript entry into node_modules/.cache/veto, once per process', async () => {
    const url = await bundledWorkerEntry(GATE_WORKER);
    assert.ok(url, 'bundled');
    const file = fileURLToPath(url);
    assert.ok(existsSync(file));
    assert.match(file, /node_modules\/\.cache\/veto\/gate-worker-[0-9a-f]{16}\/gate-worker\.mjs$/);
    assert.equal(await bundledWorkerEntry(GATE_WORKER), url);
    // The bundle boots as a plain worker (no tsx), its package imports resolved.
    const worker = new Worker(url);
    try {
      const booted = await new Promise<boolean>((resolve, reject) => {
        worker.once('message', (m: { booted?: boolean }) => resolve(m.booted === true));
        worker.once('error', reject);
      });
      assert.equal(booted, true);
    } finally {
      await worker.terminate();
    }
  });

  it('is off with VETO_WORKER_BUNDLE=0 (the caller then starts the worker through tsx)', async () => {
    process.env.VETO_WORKER_BUNDLE = '0';
    try {
      assert.equal(await bundledWorkerEntry(GATE_WORKER), undefined);
      const pool = await WorkerPool.start(1); // through tsx
      assert.equal(pool.size, 1);
      await pool.close();
    } finally {
      delete process.env.VETO_WORKER_BUNDLE;
    }
  });

  it('a bundle that does not start: the pool starts its workers through tsx instead', async () => {
    const broken = join(await tempDir(), 'broken-worker.mjs');
    await writeFile(broken, "throw new Error('this bundle cannot start');\n");
    const pool = await WorkerPool.start(2, pathToFileURL(broken));
    try {
      assert.equal(pool.size, 2);
    } finally {
      await pool.close();
    }
  });

  it('a bundle that does not start: the SQLite writer thread starts through tsx instead', async () => {
    const dir = await tempDir();
    const broken = join(dir, 'broken-writer.mjs');
    await writeFile(broken, "throw new Error('this bundle cannot start');\n");
    const filename = join(dir, 'veto.db');
    await (await openSqliteRegistryStore({ filename })).close();
    const writer = await workerWriter(filename, pathToFileURL(broken));
    try {
      // It answers: an empty registry has no effective objection for this subject.
      assert.deepEqual(await writer.call('effectiveObjections', ['acct:nobody']), []);
    } finally {
      await writer.close();
    }
  });

  it('a bundle that does not start: the VRF workers of an exclusion commitment start through tsx instead', async () => {
    const broken = join(await tempDir(), 'broken-vrf-worker.mjs');
    await writeFile(broken, "throw new Error('this bundle cannot start');\n");
    const key = parseVrfPrivateKey(generateVrfKeyPem());
    const subjects = Array.from({ length: 4200 }, (_, i) => `acct:${i}`);
    const leaves = await exclusionLeavesInParallel(key, 'ds', subjects, 2, pathToFileURL(broken));
    assert.ok(leaves.equals(exclusionLeaves(key, 'ds', subjects)));
  });

  it('reuses the last bundle while its sources are unchanged, and rebuilds when one changes', async () => {
    const root = await tempPackage();
    const entry = join(root, 'src', 'entry.ts');
    const dep = join(root, 'src', 'dep.ts');
    await writeFile(
      entry,
      "import { value } from './dep.ts';\nexport const answer: number = value;\n",
    );
    await writeFile(dep, 'export const value: number = 41;\n');
    const url = pathToFileURL(entry);

    const first = await bundleWorkerEntry(url);
    assert.equal(first.reused, false);
    assert.match(
      fileURLToPath(first.url),
      /node_modules\/\.cache\/veto\/entry-[0-9a-f]{16}\/entry\.mjs$/,
    );
    assert.match(await readFile(first.url, 'utf8'), /41/);

    const second = await bundleWorkerEntry(url);
    assert.deepEqual(second, { url: first.url, reused: true });

    // An imported file changes: a new bundle, with the new code.
    await writeFile(dep, 'export const value: number = 42;\n');
    const third = await bundleWorkerEntry(url);
    assert.equal(third.reused, false);
    assert.notEqual(third.url.href, first.url.href);
    assert.match(await readFile(third.url, 'utf8'), /42/);
    assert.equal((await bundleWorkerEntry(url)).reused, true);

    // A record that names a missing bundle, or that is not JSON: rebuilt, not trusted.
    const cache = join(root, 'node_modules', '.cache', 'veto');
    const record = join(
      cache,
      (await readdir(cache)).find((f) => /^entry-[0-9a-f]{8}\.sources\.json$/.test(f))!,
    );
    await writeFile(record, 'not json');
    assert.equal((await bundleWorkerEntry(url)).reused, false);
    const saved = JSON.parse(await readFile(record, 'utf8'));
    await writeFile(record, JSON.stringify({ ...saved, bundle: 'entry-missing.mjs' }));
    assert.equal((await bundleWorkerEntry(url)).reused, false);
  });

  it('checks a source by its file status, and by its content once the status moved', async () => {
    const root = await tempPackage();
    const entry = join(root, 'src', 'entry.ts');
    await writeFile(entry, 'export const answer: number = 41;\n');
    const url = pathToFileURL(entry);
    assert.equal((await bundleWorkerEntry(url)).reused, false);
    const cache = join(root, 'node_modules', '.cache', 'veto');
    const record = join(
      cache,
      (await readdir(cache)).find((f) => /^entry-[0-9a-f]{8}\.sources\.json$/.test(f))!,
    );
    const saved = JSON.parse(await readFile(record, 'utf8'));
    assert.match(saved.statuses[entry], /^\d+ \d+ [\d.]+$/);

    // The same bytes written again (the status moves): the content decides, the bundle stays.
    await writeFile(entry, 'export const answer: number = 41;\n');
    assert.equal((await bundleWorkerEntry(url)).reused, true);
    // A recorded status that no longer matches while the content differs: rebuilt.
    await writeFile(entry, 'export const answer: number = 42;\n');
    assert.equal((await bundleWorkerEntry(url)).reused, false);
    // An unchanged status is trusted without reading the file (what makes the check cheap;
    // safe because every write moves the change time): a wrong hash beside it goes unread.
    const now = JSON.parse(await readFile(record, 'utf8'));
    await writeFile(record, JSON.stringify({ ...now, sources: { ...now.sources, [entry]: 'x' } }));
    assert.equal((await bundleWorkerEntry(url)).reused, true);
  });
});

describe('bundles made by a bundled veto', () => {
  it('keep each module’s own URL (the bundler, bundled itself, still finds what to replace)', async () => {
    // The bundler bundled, as it is inside `veto`, then used to bundle an entry that reads a
    // file beside itself.
    const root = await tempPackage();
    const entry = join(root, 'src', 'beside.ts');
    await writeFile(entry, 'export const here: string = new URL(".", import.meta.url).href;\n');
    const bundler = await bundleWorkerEntry(
      new URL('../../src/lib/source-bundle.js', import.meta.url),
    );
    const { bundleEntry } = (await import(bundler.url.href)) as {
      bundleEntry: (u: URL) => Promise<{ url: URL }>;
    };
    const built = await bundleEntry(pathToFileURL(entry));
    const { here } = (await import(built.url.href)) as { here: string };
    assert.equal(here, `${pathToFileURL(join(root, 'src')).href}/`);
  });
});
