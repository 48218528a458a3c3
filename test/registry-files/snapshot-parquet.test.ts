import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { RegistryFileError } from '../../src/registry-files/registry-file-error.ts';
import { snapshotFileFromParquet } from '../../src/registry-files/snapshot-parquet.ts';
import { snapshotHashPrefix } from '../../src/registry-files/subject-keys.ts';
import { tempDir } from '../support/temp.ts';
import { runVeto, sqliteEnv } from '../support/veto-cli.ts';

const veto = (dir: string, ...args: string[]) =>
  runVeto(sqliteEnv(dir, 'parquet-snapshot-secret-0123456789-0123'), ...args);

async function duckdb<T>(fn: (q: (sql: string) => Promise<unknown[][]>) => Promise<T>) {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    return await fn(async (sql) => (await c.runAndReadAll(sql)).getRowsJS());
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

test('registry snapshot --format parquet: the objector set read back in DuckDB, its id and hash in the metadata', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  const rows = path.join(dir, 'rows.jsonl');
  writeFileSync(
    rows,
    ['{"account_id":"b-2"}', '{"account_id":"a-1"}', '{"account_id":"c-3"}'].join('\n'),
  );
  const before = Date.now();
  assert.equal(veto(dir, 'objections', 'import', rows).code, 0);
  const after = Date.now();

  const file = path.join(dir, 'objectors.parquet');
  const r = veto(dir, 'registry', 'snapshot', '--format', 'parquet', '--out', file);
  assert.equal(r.code, 0, r.err);
  const snap = JSON.parse(r.out);
  assert.equal(snap.count, 3);
  assert.equal(snap.format, 'parquet');

  await duckdb(async (q) => {
    const table = await q(
      `SELECT subject_key, purpose, epoch_ms(effective_at) FROM read_parquet('${file}')`,
    );
    assert.deepEqual(
      table.map((row) => row.slice(0, 2)),
      [
        ['acct:a-1', 'ai-training'],
        ['acct:b-2', 'ai-training'],
        ['acct:c-3', 'ai-training'],
      ],
    );
    for (const row of table) {
      const ms = Number(row[2]);
      assert.ok(ms >= before - 1000 && ms <= after + 1000, `effective_at ${ms}`);
    }
    const types = await q(
      `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${file}'))`,
    );
    assert.deepEqual(types, [
      ['subject_key', 'VARCHAR'],
      ['purpose', 'VARCHAR'],
      ['effective_at', 'TIMESTAMP WITH TIME ZONE'],
    ]);
    const kv = Object.fromEntries(
      (await q(`SELECT decode(key), decode(value) FROM parquet_kv_metadata('${file}')`)) as [
        string,
        string,
      ][],
    );
    assert.equal(kv['veto.format'], 'veto-snapshot-parquet/v2');
    assert.equal(kv['veto.snapshot.id'], snap.id);
    assert.equal(kv['veto.snapshot.asOf'], snap.asOf);
    assert.equal(kv['veto.snapshot.count'], '3');
    assert.equal(kv['veto.snapshot.sha256'], snap.sha256);
    // The hash is the snapshot file's: sha256 of the identity line, then `key\n` per key,
    // recomputable from the metadata and the column.
    const body = table.map((row) => `${row[0]}\n`).join('');
    assert.equal(
      createHash('sha256').update(snapshotHashPrefix(snap)).update(body).digest('hex'),
      snap.sha256,
    );
  });

  // The same set as the gate's snapshot file: the same hash, for that snapshot's identity.
  const text = path.join(dir, 'objectors.snapshot');
  const plain = JSON.parse(veto(dir, 'registry', 'snapshot', '--out', text).out);
  const keysBody = readFileSync(text, 'utf8').split('\n').slice(1).join('\n');
  assert.equal(
    plain.sha256,
    createHash('sha256').update(snapshotHashPrefix(plain)).update(keysBody).digest('hex'),
  );

  // Back to a snapshot file, verified: the hash the metadata states.
  const back = path.join(dir, 'back.snapshot');
  const meta = await snapshotFileFromParquet(file, back);
  assert.equal(meta.sha256, snap.sha256);
  assert.deepEqual(readFileSync(back, 'utf8').trimEnd().split('\n').slice(1), [
    'acct:a-1',
    'acct:b-2',
    'acct:c-3',
  ]);

  // A file whose rows are not what its metadata says is refused: one objector dropped.
  const edited = path.join(dir, 'edited.parquet');
  await duckdb(async (q) => {
    await q(
      `COPY (SELECT * FROM read_parquet('${file}') WHERE subject_key <> 'acct:b-2') TO '${edited}'
        (FORMAT parquet, KV_METADATA {'veto.format': 'veto-snapshot-parquet/v2', 'veto.snapshot.id': '${snap.id}',
         'veto.snapshot.purpose': 'ai-training', 'veto.snapshot.asOf': '${snap.asOf}', 'veto.snapshot.count': '3',
         'veto.snapshot.sha256': '${snap.sha256}'})`,
    );
  });
  await assert.rejects(
    snapshotFileFromParquet(edited, path.join(dir, 'edited.snapshot')),
    (err) => err instanceof RegistryFileError && /metadata says 3 keys/.test(err.message),
  );
  // And a Parquet file without the metadata is not taken for a snapshot.
  const bare = path.join(dir, 'bare.parquet');
  await duckdb((q) =>
    q(`COPY (SELECT * FROM read_parquet('${file}')) TO '${bare}' (FORMAT parquet)`),
  );
  await assert.rejects(
    snapshotFileFromParquet(bare, path.join(dir, 'bare.snapshot')),
    /not a Veto Parquet snapshot/,
  );

  const usage = veto(dir, 'registry', 'snapshot', '--format', 'parquet');
  assert.equal(usage.code, 2);
  assert.match(usage.err, /--format parquet needs --out/);
});
