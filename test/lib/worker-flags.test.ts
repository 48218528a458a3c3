import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { withoutTsx } from '../../src/lib/worker-flags.ts';
import { tempDir } from '../gate/support/fixtures.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WORKER_FLAGS = pathToFileURL(
  fileURLToPath(new URL('../../src/lib/worker-flags.ts', import.meta.url)),
).href;

/** What a worker started by `startPlainWorker` in a process with `flags` is given. */
async function workerFlags(flags: string[]): Promise<{ parent: string[]; worker: string[] }> {
  const script = join(await tempDir(), 'child.ts');
  await writeFile(
    script,
    `import { startPlainWorker } from ${JSON.stringify(WORKER_FLAGS)};
const w = startPlainWorker("require('node:worker_threads').parentPort.postMessage(process.execArgv)", { eval: true });
w.once('message', async (worker) => {
  console.log(JSON.stringify({ parent: process.execArgv, worker }));
  await w.terminate();
});
`,
  );
  const r = spawnSync(process.execPath, [...flags, script], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('worker threads of plain JavaScript', () => {
  it('leave out the flags that load tsx, and only those', () => {
    assert.deepEqual(
      withoutTsx([
        '--require',
        '/p/node_modules/tsx/dist/preflight.cjs',
        '--import',
        'file:///p/node_modules/tsx/dist/loader.mjs',
        '--import=tsx',
        '--import',
        'tsx/esm',
        '--cpu-prof',
        '--import',
        './telemetry.mjs',
        '--require=/p/tsx-like/hook.cjs',
        '--enable-source-maps',
      ]),
      [
        '--cpu-prof',
        '--import',
        './telemetry.mjs',
        '--require=/p/tsx-like/hook.cjs',
        '--enable-source-maps',
      ],
    );
    assert.deepEqual(withoutTsx([]), []);
  });

  it('start without tsx under the tsx loader, with the other flags', async () => {
    const { parent, worker } = await workerFlags(['--import', 'tsx', '--enable-source-maps']);
    assert.deepEqual(parent, ['--import', 'tsx', '--enable-source-maps']);
    assert.deepEqual(worker, ['--enable-source-maps']);
  });

  it('inherit every flag when Node refuses one of those left', async () => {
    // Node refuses `--max-old-space-size` given to a worker, though a worker inherits it.
    const flags = ['--max-old-space-size=512', '--import', 'tsx'];
    const { parent, worker } = await workerFlags(flags);
    assert.deepEqual(parent, flags);
    assert.deepEqual(worker, flags);
  });
});
