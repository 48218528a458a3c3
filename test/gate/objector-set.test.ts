import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ObjectorTable, objectorSetFrom } from '../../src/gate/objector-set.ts';
import { WorkerPool } from '../../src/gate/worker-pool.ts';
import { scanSnapshotFile, writeSnapshotFile } from '../../src/registry-files/snapshot-file.ts';
import { AS_OF, tempDir } from './support/fixtures.ts';

const key = (i: number) => `acct:${String(i).padStart(7, '0')}`;

describe('objector table', () => {
  it('answers exactly for keys added and others', () => {
    const table = new ObjectorTable(1000);
    for (let i = 0; i < 1000; i += 2) table.add(key(i));
    const shared = objectorSetFrom(table.descriptor());
    for (let i = 0; i < 1000; i++) assert.equal(shared.has(key(i)), i % 2 === 0, key(i));
    assert.equal(shared.count, 500);
  });

  it('is filled by worker threads in parallel from a multi-chunk snapshot', async () => {
    const dir = await tempDir();
    const path = join(dir, 'big.snap');
    const n = 700_000;
    await writeSnapshotFile(
      path,
      { id: 'snap_big', purpose: 'ai-training', asOf: AS_OF },
      (function* () {
        for (let i = 0; i < n; i++) yield key(2 * i);
      })(),
    );
    const table = new ObjectorTable(n);
    const slots = (table.descriptor() as { slots: SharedArrayBuffer }).slots;
    const pool = await WorkerPool.start(2);
    try {
      const jobs: Promise<number>[] = [];
      let chunks = 0;
      await scanSnapshotFile(path, (chunk, firstLine) => {
        chunks++;
        jobs.push(pool.loadSnapshotChunk(path, slots, chunk, firstLine));
      });
      const added = (await Promise.all(jobs)).reduce((a, b) => a + b, 0);
      assert.ok(chunks >= 2, `${chunks} chunks`);
      assert.equal(added, n);
      table.setCount(added);
    } finally {
      await pool.close();
    }
    let missing = 0;
    let extra = 0;
    for (let i = 0; i < 2 * n; i++) {
      const has = table.has(key(i));
      if (i % 2 === 0 && !has) missing++;
      if (i % 2 === 1 && has) extra++;
    }
    assert.equal(missing, 0);
    assert.equal(extra, 0);
  });
});
