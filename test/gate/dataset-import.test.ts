import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { buildDataset } from '../../src/gate/build.ts';
import { ImportRefusedError, importDataset } from '../../src/gate/dataset-import.ts';
import { loadPolicy } from '../../src/gate/policy.ts';
import { duckdbReadJsonColumns, policySql } from '../../src/gate/policy-sql.ts';
import { tempDir } from '../support/temp.ts';
import { writeSnapshot } from './support/fixtures.ts';
import { generatedExport, OBJECTORS } from './support/generated-export.ts';
import { NoticeRegistry } from './support/memory-registry.ts';

/**
 * `veto dataset import` against the gate: the SQL of `veto policy sql`, run in DuckDB on a
 * generated export, gives a folder that imports as a dataset keeping exactly the records the
 * gate keeps (after the same notice-period and late-objection removals); a record the SQL should
 * have dropped, a repeated id or a file that does not match SHA256SUMS makes the import fail,
 * and nothing is sealed or recorded.
 */
const POLICY = `format: veto-policy/v1
id: import-contract
title: Import contract, redaction off
purpose: ai-training
legalBasis: { article: GDPR Art. 6(1)(f), interest: testing }
notice: { version: v1, minimumDays: 28 }
content:
  kinds: [post, comment, audio-transcript, photo-caption]
  audiences: [public, followers]
  notBefore: 2025-03-01T12:00:00+01:00
minors:
  excludeAccounts: true
  adultAge: 16
objections: { coverMentions: true }
sensitive: { exclude: true }
redaction: { enabled: false }
`;

async function duckdbKept(exportFile: string, sql: string, out: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const c = await instance.connect();
  try {
    const columns = duckdbReadJsonColumns().replace('{', "{seq: 'BIGINT', ");
    await c.run(
      `CREATE VIEW records AS SELECT * FROM read_json('${exportFile}', format = 'newline_delimited', columns = ${columns})`,
    );
    await c.run(
      `CREATE TABLE objectors AS SELECT * FROM (VALUES ${OBJECTORS.map((a) => `('acct:${a}')`).join(', ')}) t(subject_key)`,
    );
    await c.run(`COPY (${sql.replace(/^--.*$/gm, '')} ORDER BY seq) TO '${out}' (FORMAT json)`);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

function writeSums(dir: string, names: string[]): void {
  writeFileSync(
    path.join(dir, 'SHA256SUMS'),
    names
      .map(
        (n) =>
          `${createHash('sha256')
            .update(readFileSync(path.join(dir, n)))
            .digest('hex')}  ${n}\n`,
      )
      .join(''),
  );
}

function keptIds(datasetDir: string): string[] {
  return readFileSync(path.join(datasetDir, 'data.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => String(JSON.parse(l).id))
    .sort();
}

test('a dataset filtered by the policy SQL in DuckDB imports with exactly the gate’s records; one record too many fails it', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t);
  const policyFile = path.join(dir, 'policy.yaml');
  writeFileSync(policyFile, POLICY);
  const policy = await loadPolicy(policyFile);
  const snapshot = await writeSnapshot(
    dir,
    OBJECTORS.map((a) => `acct:${a}`),
  );
  const exportFile = path.join(dir, 'export.jsonl');
  writeFileSync(exportFile, generatedExport(21, 1500));
  // The registry's own checks remove the same records from both: a late objector, an author
  // not shown the notice.
  const registry = new NoticeRegistry();
  registry.late = ['acct:u7'];
  for (let i = 0; i < 30; i++) registry.shown.set(`acct:u${i}`, '2025-01-01T00:00:00Z');
  registry.shown.delete('acct:u8');

  const gate = await buildDataset({
    policy,
    inputs: [exportFile],
    outDir: path.join(dir, 'gate'),
    objectors: { snapshot },
    registry,
    workers: 0,
    datasetId: 'ds_gate',
  });
  assert.equal(gate.status, 'sealed', gate.status === 'failed' ? gate.error.message : '');
  const gateKept = keptIds(path.join(dir, 'gate', 'ds_gate'));
  assert.ok(gateKept.length >= 15, `kept ${gateKept.length}`);
  assert.ok(gate.status === 'sealed' && gate.manifest.recheck.removedRecords > 0);
  assert.ok(gate.status === 'sealed' && gate.manifest.noticePeriod.removedRecords > 0);

  const engine = path.join(dir, 'engine');
  await mkdir(engine);
  await duckdbKept(
    exportFile,
    policySql(policy.policy, { dialect: 'duckdb' }),
    path.join(engine, 'part-0.jsonl'),
  );
  writeSums(engine, ['part-0.jsonl']);

  const imported = await importDataset({
    dir: engine,
    policy,
    snapshot,
    registry,
    outDir: path.join(dir, 'imported'),
    workers: 0,
    datasetId: 'ds_import',
  });
  assert.equal(
    imported.status,
    'sealed',
    imported.status === 'failed' ? imported.error.message : '',
  );
  assert.deepEqual(keptIds(path.join(dir, 'imported', 'ds_import')), gateKept);
  const recorded = registry.datasets.find((d) => d.manifest.datasetId === 'ds_import');
  assert.ok(recorded, 'recorded with its inclusion index');
  assert.equal(recorded.manifest.origin?.kind, 'import');
  const authors = new Set(
    recorded.inclusions.filter((r) => r.role === 'author').map((r) => r.itemId),
  );
  assert.deepEqual([...authors].sort(), gateKept);

  // A record the SQL should have dropped: an objector's post.
  const objected = readFileSync(exportFile, 'utf8')
    .split('\n')
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return undefined;
      }
    })
    .find((r) => r && r.author_id === OBJECTORS[0] && typeof r.id === 'string');
  assert.ok(objected);
  appendFileSync(path.join(engine, 'part-0.jsonl'), `${JSON.stringify(objected)}\n`);
  const before = registry.datasets.length;
  await assert.rejects(
    importDataset({
      dir: engine,
      policy,
      snapshot,
      registry,
      outDir: path.join(dir, 'imported'),
      workers: 0,
      datasetId: 'ds_stale_sums',
    }),
    (err: Error) => err instanceof ImportRefusedError && /part-0\.jsonl: sha256/.test(err.message),
  );

  writeSums(engine, ['part-0.jsonl']);
  const refused = await importDataset({
    dir: engine,
    policy,
    snapshot,
    registry,
    outDir: path.join(dir, 'imported'),
    workers: 0,
    datasetId: 'ds_refused',
  });
  assert.equal(refused.status, 'failed');
  const message = refused.status === 'failed' ? refused.error.message : '';
  const lines = readFileSync(path.join(engine, 'part-0.jsonl'), 'utf8').trimEnd().split('\n');
  assert.match(
    message,
    new RegExp(
      `part-0\\.jsonl:${lines.length}: record "${objected.id}": the policy drops it \\(objected\\)`,
    ),
  );
  assert.equal(registry.datasets.length, before, 'nothing recorded');

  // The same record id twice.
  writeFileSync(
    path.join(engine, 'part-0.jsonl'),
    `${lines.slice(0, -1).join('\n')}\n${lines[0]}\n`,
  );
  writeSums(engine, ['part-0.jsonl']);
  const twice = await importDataset({
    dir: engine,
    policy,
    snapshot,
    registry,
    outDir: path.join(dir, 'imported'),
    workers: 0,
    datasetId: 'ds_twice',
  });
  assert.equal(twice.status, 'failed');
  assert.match(
    twice.status === 'failed' ? twice.error.message : '',
    /record id ".*" again \(first at .*part-0\.jsonl:1\)/,
  );
  assert.equal(registry.datasets.length, before, 'nothing recorded');
});
