import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { wireVeto } from '../../src/app/wire.ts';
import { loadConfig } from '../../src/config.ts';
import { updateSchedule } from '../../src/domain/model-summary.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { CaptureMailer } from '../support/capture-mailer.ts';
import { tempDir } from '../support/temp.ts';
import { VETO_BIN } from '../support/veto-command.ts';
import { buildFixtureDataset } from './support/fixture.ts';

test('veto models summary: the template sections user data answers, from the manifest and removals', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t);
  const env = {
    VETO_DATA_DIR: dir,
    VETO_DATABASE_URL: `sqlite:${path.join(dir, 'veto.db')}`,
    VETO_SECRET: 'cli-test-secret-0123456789-0123456789',
    VETO_LOG_LEVEL: 'silent',
    VETO_PLATFORM_NAME: 'Example Social',
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
  // u1 objects after the build: one removal of the three items holding u1.
  await wired.registry.object({
    subject: { kind: 'account', accountId: 'u1' },
    channel: 'api',
    language: 'en',
  });
  await wired.removalPlanner!.drain();
  await wired.close();
  const manifest = JSON.parse(
    readFileSync(path.join(sealed, 'manifest.json'), 'utf8'),
  ) as DatasetManifest;

  const model = veto('models', 'add', datasetId, '--name', 'assistant-v7');
  assert.equal(model.code, 0, model.err);
  const modelId = JSON.parse(model.out).id as string;
  const summary = veto('models', 'summary', modelId);
  assert.equal(summary.code, 0, summary.err);
  const md = summary.out;
  for (const heading of [
    '### 1.3 Modalities',
    '### 2.4 Data from users of the provider’s services',
    '### 3.1 Respect of reservations of rights and of objections',
    '### 3.3 Other information: removal history',
  ])
    assert.ok(md.includes(heading), heading);
  // Sections Veto cannot answer are marked for the provider, never invented.
  assert.equal(md.match(/To be written by the provider/g)?.length, 8);
  assert.match(md, new RegExp(`${manifest.counts.kept} records of user content kept`));
  assert.match(
    md,
    new RegExp(`\`${datasetId}\`.*${manifest.counts.kept} records kept of ${manifest.records}`),
  );
  assert.match(md, /1 removal\(s\) recorded since the build, 3 item\(s\)/);
  assert.match(md, /Example Social/);
  // The languages, estimated from the kept records (the fixture's are a handful of short texts).
  assert.match(
    md,
    new RegExp(
      `- Languages: .*\\(estimated from ${manifest.counts.kept} sampled records of ${manifest.counts.kept} kept`,
    ),
  );
  assert.match(summary.err, /six-monthly update is due by \d{4}-\d{2}-\d{2}/);

  // The dataset card for downstream users: Croissant with its Responsible-AI fields.
  const card = veto('dataset', 'croissant', sealed);
  assert.equal(card.code, 0, card.err);
  const croissant = JSON.parse(card.out);
  assert.deepEqual(croissant.conformsTo, [
    'http://mlcommons.org/croissant/1.0',
    'http://mlcommons.org/croissant/RAI/1.0',
  ]);
  assert.equal(croissant['@context'].rai, 'http://mlcommons.org/croissant/RAI/');
  assert.equal(croissant.name, datasetId);
  const data = readFileSync(path.join(sealed, manifest.files.data));
  assert.equal(
    croissant.distribution[0].sha256,
    createHash('sha256').update(data).digest('hex'),
    'the card names the sealed data by its hash',
  );
  for (const field of [
    'rai:dataCollection',
    'rai:dataCollectionType',
    'rai:dataCollectionTimeframe',
    'rai:dataPreprocessingProtocol',
    'rai:personalSensitiveInformation',
    'rai:dataUseCases',
    'rai:dataLimitations',
    'rai:dataReleaseMaintenancePlan',
  ])
    assert.ok(croissant[field], field);
  assert.match(
    croissant.description,
    new RegExp(`${manifest.counts.kept} of ${manifest.records} records kept`),
  );
  const missingDir = veto('dataset', 'croissant', path.join(dir, 'nope'));
  assert.equal(missingDir.code, 1);
  assert.match(missingDir.err, /manifest\.json/);

  const nope = veto('models', 'summary', 'mdl_nope');
  assert.equal(nope.code, 1);
  assert.match(nope.err, /no model mdl_nope/);
});

test('the six-monthly update: due six calendar months on, reminded from 30 days before', () => {
  const model = {
    id: 'm',
    datasetId: 'd',
    name: 'n',
    trainedAt: '2026-01-31T00:00:00.000Z',
    recordedAt: '2026-02-01T00:00:00.000Z',
  };
  assert.deepEqual(updateSchedule(model, '2026-03-01T00:00:00.000Z'), {
    dueBy: '2026-07-31T00:00:00.000Z',
    remind: false,
  });
  assert.equal(updateSchedule(model, '2026-07-10T00:00:00.000Z').remind, true);
  assert.equal(updateSchedule(model, '2026-08-01T00:00:00.000Z').dueBy, '2027-01-31T00:00:00.000Z');
});
