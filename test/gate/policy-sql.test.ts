import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { duckdbReadJsonColumns } from '../../src/gate/policy-sql.ts';
import { tempDir } from '../support/temp.ts';
import { runVeto, sqliteEnv } from '../support/veto-cli.ts';
import { generatedExport, OBJECTORS } from './support/generated-export.ts';

/**
 * `veto policy sql` against the gate: the emitted SQL, run in DuckDB on generated exports, gives
 * every record the decision `veto gate build` gives it, and keeps exactly the records it keeps.
 */
const CUSTOM_POLICY = `format: veto-policy/v1
id: sql-contract
title: Everything the SQL translates, the other way round
purpose: ai-training
legalBasis: { article: GDPR Art. 6(1)(f), interest: testing }
notice: { version: v1, minimumDays: 28 }
content:
  kinds: [post, comment, audio-transcript, photo-caption]
  audiences: [public, followers]
  notBefore: 2025-03-01T12:00:00+01:00
  regions: [FR, US]
minors:
  excludeAccounts: false
  includeReason: tested
  adultAge: 16
  excludeContentDepictingMinors: false
objections: { coverMentions: false }
sensitive: { exclude: false }
redaction: { enabled: false }
`;

const NOT_BEFORE_DATE = `format: veto-policy/v1
id: sql-date
title: A date as notBefore, minors excluded
purpose: ai-training
legalBasis: { article: GDPR Art. 6(1)(f), interest: testing }
notice: { version: v1, minimumDays: 28 }
content:
  kinds: [post, comment, message-to-assistant]
  audiences: [public, conversation, friends]
  notBefore: 2025-06-15
`;

async function runSql(exportFile: string, objectors: string, sql: string) {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const c = await instance.connect();
  try {
    const columns = duckdbReadJsonColumns().replace('{', "{seq: 'BIGINT', ");
    await c.run(
      `CREATE VIEW records AS SELECT * FROM read_json('${exportFile}', format = 'newline_delimited', columns = ${columns})`,
    );
    await c.run(`CREATE VIEW objectors AS SELECT * FROM read_parquet('${objectors}')`);
    return (await c.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

test('veto policy sql in DuckDB decides every generated record as the gate does', {
  timeout: 240_000,
}, async (t) => {
  const dir = tempDir(t);
  const veto = (...args: string[]) =>
    runVeto(sqliteEnv(dir, 'policy-sql-secret-0123456789-0123456789'), ...args);
  const csv = path.join(dir, 'objectors.csv');
  writeFileSync(csv, `account_id\n${OBJECTORS.join('\n')}\n`);
  assert.equal(veto('objections', 'import', csv).code, 0);
  const parquet = path.join(dir, 'objectors.parquet');
  const snapshot = path.join(dir, 'objectors.snapshot');
  assert.equal(veto('registry', 'snapshot', '--format', 'parquet', '--out', parquet).code, 0);
  assert.equal(veto('registry', 'snapshot', '--out', snapshot).code, 0);

  writeFileSync(path.join(dir, 'custom.yaml'), CUSTOM_POLICY);
  writeFileSync(path.join(dir, 'date.yaml'), NOT_BEFORE_DATE);
  const policies = [
    ['policies/meta-2025.yaml', 11],
    ['policies/meta-2024.yaml', 12],
    [path.join(dir, 'custom.yaml'), 13],
    [path.join(dir, 'date.yaml'), 14],
  ] as const;
  for (const [policy, seed] of policies) {
    const name = path.basename(policy, '.yaml');
    const exportFile = path.join(dir, `export-${name}.jsonl`);
    writeFileSync(exportFile, generatedExport(seed, 1500));

    const out = path.join(dir, `out-${name}`);
    const build = veto(
      'gate',
      'build',
      '--policy',
      policy,
      '--input',
      exportFile,
      '--out',
      out,
      '--snapshot',
      snapshot,
      '--offline',
      '--workers',
      '0',
      '--dataset-id',
      `ds-${name}`,
    );
    assert.equal(build.code, 0, build.err);
    const dataset = path.join(out, readdirSync(out)[0]!);
    const gate = new Map<number, string>();
    for (const row of readFileSync(path.join(dataset, 'decisions.tsv'), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1)) {
      const [, line, reason] = row.split('\t');
      gate.set(Number(line) - 1, reason!);
    }
    assert.equal(gate.size, 1500);

    const decisionsSql = veto('policy', 'sql', policy, '--dialect', 'duckdb', '--decisions');
    assert.equal(decisionsSql.code, 0, decisionsSql.err);
    const sqlDecisions = await runSql(exportFile, parquet, decisionsSql.out);
    assert.equal(sqlDecisions.length, 1500);
    const counts: Record<string, number> = {};
    for (const row of sqlDecisions) {
      const seq = Number(row.seq);
      const reason = String(row.veto_reason);
      counts[reason] = (counts[reason] ?? 0) + 1;
      assert.equal(
        reason,
        gate.get(seq),
        `${name}: line ${seq + 1}: ${readFileSync(exportFile, 'utf8').split('\n')[seq]}`,
      );
    }
    // Not vacuous: records kept, and most rules decide some.
    t.diagnostic(`${name}: ${JSON.stringify(counts)}`);
    assert.ok((counts.kept ?? 0) >= 40, `${name}: ${JSON.stringify(counts)}`);
    assert.ok(Object.keys(counts).length >= 8, `${name}: ${JSON.stringify(counts)}`);

    // The kept records' query, as a platform runs it (for two of the policies: a spawn each).
    if (seed % 2 === 0) continue;
    const keptSql = veto('policy', 'sql', policy);
    const kept = await runSql(exportFile, parquet, keptSql.out);
    const gateKept = [...gate].filter(([, r]) => r === 'kept').map(([seq]) => seq);
    assert.deepEqual(
      kept.map((r) => Number(r.seq)).sort((a, b) => a - b),
      gateKept.sort((a, b) => a - b),
    );
  }
});
