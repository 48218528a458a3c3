import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { WorkerPool } from '../../src/gate/worker-pool.ts';
import { bundledWorkerEntry } from '../../src/lib/ts-worker.ts';
import { tempDir } from '../gate/support/fixtures.ts';

const GATE_WORKER = new URL('../../src/gate/gate-worker.ts', import.meta.url);

describe('bundled worker entries', () => {
  it('bundles a TypeScript entry into node_modules/.cache/veto, once per process', async () => {
    const url = await bundledWorkerEntry(GATE_WORKER);
    assert.ok(url, 'bundled');
    const file = fileURLToPath(url);
    assert.ok(existsSync(file));
    assert.match(file, /node_modules\/\.cache\/veto\/gate-worker-[0-9a-f]{16}\.mjs$/);
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
});
