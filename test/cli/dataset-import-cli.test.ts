import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { wireVeto } from '../../src/app/wire.ts';
import { loadConfig } from '../../src/config.ts';
import { tempDir } from '../support/temp.ts';
import { NOTICE_ITEMS_ENV, noticeEffectiveNow, runVeto, sqliteEnv } from '../support/veto-cli.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

function folder(dir: string, records: object[]): string {
  mkdirSync(dir, { recursive: true });
  const body = records.map((r) => `${JSON.stringify(r)}\n`).join('');
  writeFileSync(path.join(dir, 'part-0.jsonl'), body);
  const sum = createHash('sha256').update(body).digest('hex');
  writeFileSync(path.join(dir, 'SHA256SUMS'), `${sum}  part-0.jsonl\n`);
  return dir;
}

const post = (id: string, author: string) => ({
  id,
  author_id: author,
  kind: 'post',
  audience: 'public',
  created_at: '2026-01-10T10:00:00Z',
  text: 'A walk by the river this morning.',
  author_minor: false,
});

test('veto dataset import: refuses a folder holding an objector’s record (named FILE:LINE), takes a clean one and records it', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  // The demo policy asks for no notice period: the documented override of the 28-day floor.
  const env = {
    ...sqliteEnv(dir, 'import-cli-secret-0123456789-0123456789'),
    ...NOTICE_ITEMS_ENV,
    VETO_NOTICE_FLOOR_DAYS: '0',
  };
  const veto = (...args: string[]) => runVeto(env, ...args);
  assert.equal(veto('notices', 'publish', noticeEffectiveNow(dir)).code, 0);
  writeFileSync(path.join(dir, 'objectors.csv'), 'account_id\nu1\n');
  assert.equal(veto('objections', 'import', path.join(dir, 'objectors.csv')).code, 0);
  // The authors were shown the notice (as the platform reports it), so the gate keeps their posts.
  const registry = await wireVeto(loadConfig({ logLevel: 'silent' }, env), {
    logger: pino({ level: 'silent' }),
  });
  try {
    const version = (await registry.notices.latest())!.id;
    await registry.notices.recordExposures(
      ['u2', 'u3'].map((accountId) => ({
        accountId,
        version,
        language: 'en',
        channel: 'in-app' as const,
        shownAt: registry.clock(),
      })),
      'test',
    );
  } finally {
    await registry.close();
  }
  const snapshot = path.join(dir, 'objectors.snapshot');
  assert.equal(veto('registry', 'snapshot', '--out', snapshot).code, 0);
  const policy = path.join(ROOT, 'policies/demo.yaml');
  const assessed = veto(
    'assessment',
    'record',
    '--policy',
    policy,
    '--text',
    path.join(ROOT, 'policies/demo-assessment.yaml'),
  );
  assert.equal(assessed.code, 0, assessed.err);

  const bad = folder(path.join(dir, 'bad'), [post('p1', 'u2'), post('p2', 'u1')]);
  const refused = veto(
    'dataset',
    'import',
    bad,
    '--policy',
    policy,
    '--snapshot',
    snapshot,
    '--workers',
    '0',
  );
  assert.equal(refused.code, 1, refused.err);
  assert.match(refused.err, /part-0\.jsonl:2: record "p2": the policy drops it \(objected\)/);
  assert.deepEqual(
    readdirSync(path.join(dir, 'datasets')).filter((f) => !f.startsWith('.')),
    [],
  );

  const good = folder(path.join(dir, 'good'), [post('p1', 'u2'), post('p3', 'u3')]);
  const taken = veto(
    'dataset',
    'import',
    good,
    '--policy',
    policy,
    '--snapshot',
    snapshot,
    '--workers',
    '0',
    '--dataset-id',
    'ds_imported',
  );
  assert.equal(taken.code, 0, taken.err);
  assert.match(taken.out, /dataset ds_imported imported and sealed/);
  const manifest = JSON.parse(
    readFileSync(path.join(dir, 'datasets', 'ds_imported', 'manifest.json'), 'utf8'),
  );
  assert.equal(manifest.origin.kind, 'import');
  assert.equal(manifest.checks['notice-period'].status, 'performed');
  // The imported dataset commits its subjects like a built one: proofs of exclusion exist for it.
  assert.equal(manifest.counts.kept, 2, JSON.stringify(manifest.counts));
  assert.equal(manifest.exclusion?.count, 2, 'u2 and u3');
  const verified = veto('dataset', 'verify', path.join(dir, 'datasets', 'ds_imported'));
  assert.equal(verified.code, 0, verified.out + verified.err);
});
