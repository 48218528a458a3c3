import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { wireVeto } from '../../src/app/wire.ts';
import { loadConfig } from '../../src/config.ts';
import { CaptureMailer } from '../support/capture-mailer.ts';
import { tempDir } from '../support/temp.ts';
import { VETO_BIN } from '../support/veto-command.ts';
import { buildFixtureDataset } from './support/fixture.ts';

test('veto models|recipients add, dataset removals|verify-removals|rebuild', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t);
  const env = {
    VETO_DATA_DIR: dir,
    VETO_DATABASE_URL: `sqlite:${path.join(dir, 'veto.db')}`,
    VETO_SECRET: 'cli-test-secret-0123456789-0123456789',
    VETO_LOG_LEVEL: 'silent',
    // A NATS recipient is recorded below; delivering to it is another test's business.
    VETO_NATS_URL: 'nats://127.0.0.1:4222',
  };
  const veto = (...args: string[]) => {
    const r = spawnSync(process.execPath, [VETO_BIN, ...args], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const wired = await wireVeto(loadConfig({}, env), {
    logger: pino({ level: 'silent' }),
    mailer: new CaptureMailer(),
  });
  const { datasetId, dir: sealed } = await buildFixtureDataset(wired, dir);
  await wired.close();

  const model = veto('models', 'add', datasetId, '--name', 'assistant-v7');
  assert.equal(model.code, 0, model.err);
  assert.match(model.out, /"name": "assistant-v7"/);
  const missing = veto('recipients', 'add', datasetId, '--name', 'x');
  assert.equal(missing.code, 2);
  assert.match(missing.err, /usage: veto recipients add/);
  const recipient = veto(
    'recipients',
    'add',
    datasetId,
    '--name',
    'Team B',
    '--nats-subject',
    'team-b.removals',
  );
  assert.equal(recipient.code, 0, recipient.err);
  const list = veto('recipients', 'list', datasetId);
  assert.match(list.out, /team-b\.removals/);

  const csv = path.join(dir, 'objections.csv');
  writeFileSync(csv, 'account_id\nu1\n');
  assert.equal(veto('objections', 'import', csv).code, 0);

  const out = path.join(dir, 'removal-list');
  const removals = veto('dataset', 'removals', datasetId, '--out', out);
  assert.equal(removals.code, 0, removals.err);
  assert.match(removals.out, /3 items in 1 removals/);
  const lines = readFileSync(path.join(out, 'removals.jsonl'), 'utf8').trim().split('\n');
  assert.deepEqual(
    lines.map((l) => (JSON.parse(l) as { itemId: string }).itemId),
    ['p1', 'p2', 'p3'],
  );
  const verified = veto('dataset', 'verify-removals', out);
  assert.equal(verified.code, 0, verified.err);
  assert.match(verified.out, /removal list OK: 3 items/);
  writeFileSync(path.join(out, 'removals.jsonl'), `${lines[0]}\n`);
  const tampered = veto('dataset', 'verify-removals', out);
  assert.equal(tampered.code, 1);
  assert.match(tampered.err, /does not match the manifest hash/);

  const rebuilt = veto('dataset', 'rebuild', datasetId, '--dir', sealed);
  assert.equal(rebuilt.code, 0, rebuilt.err);
  assert.match(rebuilt.out, new RegExp(`${datasetId}\\.v2: 1 records \\(3 removed, 1 removals\\)`));
  const manifest = JSON.parse(
    readFileSync(path.join(path.dirname(sealed), `${datasetId}.v2`, 'manifest.json'), 'utf8'),
  );
  assert.equal(manifest.removal.replaces.datasetId, datasetId);
  const again = veto('dataset', 'rebuild', datasetId, '--dir', sealed);
  // The superseded version's records were deleted: a second rebuild says where to go instead.
  assert.equal(again.code, 1);
  assert.match(
    again.err,
    new RegExp(`superseded by ${datasetId}\\.v2 .*rebuild ${datasetId}\\.v2 instead`),
  );
  assert.ok(!existsSync(path.join(sealed, 'data.jsonl')), 'the superseded data is deleted');
  assert.match(
    rebuilt.out,
    /superseded; deleted data\.jsonl, inclusions\.tsv, decisions\.tsv, rejects\.jsonl/,
  );
});
