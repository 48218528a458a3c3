import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { rebuildDataset } from '../../src/domain/removals/dataset-rebuild.ts';
import { buildDataset } from '../../src/gate/build.ts';
import { jsonl, record, tempDir, writePolicy, writeSnapshot } from '../gate/support/fixtures.ts';

async function columnsAndRows(file: string): Promise<{ columns: string[]; rows: number }> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const r = await c.runAndReadAll(`SELECT * FROM '${file}'`);
    return { columns: r.columnNames(), rows: r.getRows().length };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

test('a Parquet dataset rebuilt without its last record stays Parquet, with its columns', async () => {
  const dir = await tempDir();
  const input = join(dir, 'in.jsonl');
  await writeFile(input, jsonl([record({ id: 'p1', author_id: 'u1' })]));
  const built = await buildDataset({
    policy: await writePolicy(dir),
    inputs: [input],
    outDir: join(dir, 'out'),
    objectors: { snapshot: await writeSnapshot(dir, []) },
    offline: true,
    workers: 0,
    outputFormat: 'parquet',
    datasetId: 'ds_pq',
  });
  assert.equal(built.status, 'sealed', built.status === 'failed' ? built.error.stack : '');
  if (built.status !== 'sealed') return;
  const before = await columnsAndRows(join(built.dir, 'data.parquet'));
  assert.equal(before.rows, 1);

  const rebuilt = await rebuildDataset({
    dir: built.dir,
    removals: [
      {
        id: 'rm_1',
        datasetId: 'ds_pq',
        subjectKey: 'acct:u1',
        objectionId: 'obj_1',
        purpose: 'ai-training',
        itemIds: ['p1'],
        recordedAt: '2026-11-28T10:00:00.000Z',
      },
    ],
    record: async () => {},
    secret: 's'.repeat(32),
    now: () => '2026-11-28T10:00:00.000Z',
  });
  assert.equal(rebuilt.manifest.output.file, 'data.parquet');
  assert.equal(rebuilt.manifest.output.format, 'parquet');
  assert.equal(rebuilt.manifest.output.records, 0);
  const after = await columnsAndRows(join(rebuilt.dir, 'data.parquet'));
  assert.deepEqual(after, { columns: before.columns, rows: 0 });
});
