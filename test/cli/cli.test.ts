import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { filterHas, readFilterFile } from '../../src/registry-files/filter-file.ts';
import { tempDir } from '../support/temp.ts';
import { runVeto, sqliteEnv } from '../support/veto-cli.ts';

const veto = (dir: string, ...args: string[]) =>
  runVeto(sqliteEnv(dir, 'cli-test-secret-0123456789-0123456789'), ...args);

test('objections import: valid rows imported, invalid rows reported by line, idempotent', {
  timeout: 60_000,
}, (t) => {
  const dir = tempDir(t);
  const csv = path.join(dir, 'letters.csv');
  writeFileSync(
    csv,
    [
      'account_id,email,purpose,reason,appears_at',
      'u-1,,,,',
      ',nina@example.org,,"I object, see my letter",@nina;https://social.example/p/1',
      'u-2,x@example.org,,,',
      ',not-an-email,,,',
      'u-3,,unknown-purpose,,',
      'u-1,,,,',
    ].join('\n'),
  );
  const first = veto(dir, 'objections', 'import', csv);
  assert.equal(first.code, 1, first.err);
  assert.match(first.out, /imported 2, already recorded 1, invalid 3/);
  assert.match(
    first.err,
    /letters\.csv:4: account_id: exactly one of account_id and email is required/,
  );
  assert.match(first.err, /letters\.csv:5: email: /);
  assert.match(first.err, /letters\.csv:6: purpose: must be one of: ai-training/);
  const again = veto(dir, 'objections', 'import', csv);
  assert.match(again.out, /imported 0, already recorded 3, invalid 3/);

  const jsonl = path.join(dir, 'more.jsonl');
  writeFileSync(jsonl, '{"account_id":"u-9"}\n\n{"account_id": 5}\n{broken\n');
  const j = veto(dir, 'objections', 'import', jsonl);
  assert.match(j.out, /imported 1, already recorded 0, invalid 2/);
  assert.match(j.err, /more\.jsonl:3: account_id: /);
  assert.match(j.err, /more\.jsonl:4: not valid JSON/);
  // The non-user's receipt went to the outbox folder, and the address is not in the log.
  assert.doesNotMatch(first.out + first.err, /nina@example\.org/);
});

test('registry snapshot, registry filter and audit verify, which finds a tampered event', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  const jsonl = path.join(dir, 'rows.jsonl');
  writeFileSync(
    jsonl,
    ['{"account_id":"b"}', '{"account_id":"a"}', '{"account_id":"c"}'].join('\n'),
  );
  assert.equal(veto(dir, 'objections', 'import', jsonl).code, 0);
  const out = path.join(dir, 'snap.txt');
  const snap = veto(dir, 'registry', 'snapshot', '--out', out);
  assert.equal(snap.code, 0, snap.err);
  assert.equal(JSON.parse(snap.out).count, 3);
  assert.deepEqual(readFileSync(out, 'utf8').trimEnd().split('\n').slice(1), [
    'acct:a',
    'acct:b',
    'acct:c',
  ]);

  // The same set as a filter file: every objector recognised. It is a snapshot of its own, and
  // the hash covers the snapshot's identity (id, purpose, cut-off), so the two hashes differ.
  const filterPath = path.join(dir, 'objectors.vfilter');
  const filter = veto(dir, 'registry', 'filter', '--out', filterPath);
  assert.equal(filter.code, 0, filter.err);
  assert.equal(JSON.parse(filter.out).count, 3);
  assert.notEqual(JSON.parse(filter.out).id, JSON.parse(snap.out).id);
  assert.notEqual(JSON.parse(filter.out).sha256, JSON.parse(snap.out).sha256);
  const { filter: loaded } = await readFilterFile(filterPath);
  for (const key of ['acct:a', 'acct:b', 'acct:c']) assert.ok(filterHas(loaded, key), key);

  const ok = veto(dir, 'audit', 'verify');
  assert.equal(ok.code, 0, ok.err);
  // Three objections and two snapshots, each an audit event.
  assert.match(ok.out, /audit chain OK: 5 events/);

  const db = new Database(path.join(dir, 'veto.db'));
  db.prepare(`UPDATE audit_events SET data = '{"purpose":"edited"}' WHERE seq = 2`).run();
  db.close();
  const bad = veto(dir, 'audit', 'verify');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /event #2 was modified after it was written/);
});

test('unknown commands and missing files are clear errors', { timeout: 30_000 }, (t) => {
  const dir = tempDir(t);
  const unknown = veto(dir, 'objections', 'delete');
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command "objections delete"/);
  const missing = veto(dir, 'objections', 'import', path.join(dir, 'nope.csv'));
  assert.equal(missing.code, 2);
  assert.match(missing.err, /no such file/);
});
