import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { testApp } from '../support/test-app.ts';
import { runVeto, sqliteEnv } from '../support/veto-cli.ts';
import { buildFixtureDataset } from './support/fixture.ts';
import { WebhookReceiver } from './support/receivers.ts';

/**
 * Erasure reaching every version: a person objects after two versions were built. Rebuilding
 * (`veto dataset rebuild`) leaves no superseded version holding anyone's removed items on disk
 * (their record files are deleted, SUPERSEDED.json says by what and when, with the hashes of
 * what was deleted), the fact is in the audit log, each version's recipient is told which version
 * replaces it, and "Am I in the dataset?" answers accordingly.
 */
const SECRET = 'test-secret-0123456789-0123456789-0123456789';

test('an objection after two versions: both are erased on disk, recipients told, the person answered', async (t) => {
  const { app, veto, dir, apiKey, admin, user } = await testApp(t);
  const env = sqliteEnv(dir, SECRET);
  const { datasetId: v1, dir: v1Dir } = await buildFixtureDataset(veto, dir);
  const receivers = [await WebhookReceiver.start(), await WebhookReceiver.start()];
  t.after(() => Promise.all(receivers.map((r) => r.close())));
  const addRecipient = async (datasetId: string, receiver: WebhookReceiver) => {
    const r = await app.inject({
      method: 'POST',
      url: `/v1/admin/datasets/${datasetId}/recipients`,
      headers: admin,
      payload: { name: `Lab of ${datasetId}`, webhookUrl: receiver.url },
    });
    assert.equal(r.statusCode, 201, r.body);
    receiver.useSecret(r.json().webhookSecret);
  };
  const object = async (accountId: string) => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/objections',
      headers: { ...apiKey, 'idempotency-key': `erase-${accountId}` },
      payload: { subject: { accountId } },
    });
    assert.equal(r.statusCode, 201, r.body);
    await veto.removalPlanner!.drain();
  };
  const rebuild = (datasetId: string, sealed: string) => {
    const r = runVeto(env, 'dataset', 'rebuild', datasetId, '--dir', sealed);
    assert.equal(r.code, 0, r.err);
    return r.out;
  };
  const parent = join(dir, 'datasets');
  const dataOf = (id: string) => join(parent, id, 'data.jsonl');

  // Version 1, then version 2 after u3 objected.
  await addRecipient(v1, receivers[0]!);
  await object('u3');
  assert.match(rebuild(v1, v1Dir), /ds_fixture\.v2: .*replaces ds_fixture/);
  const v2 = 'ds_fixture.v2';
  await addRecipient(v2, receivers[1]!);

  // u1 objects after the two versions were built: a removal against each.
  await object('u1');
  const removalsOf = async (id: string) =>
    (
      await app.inject({ method: 'GET', url: `/v1/admin/datasets/${id}/removals`, headers: admin })
    ).json() as { itemIds: string[] }[];
  assert.ok((await removalsOf(v1)).some((r) => r.itemIds.includes('p1')));
  assert.ok((await removalsOf(v2)).some((r) => r.itemIds.includes('p1')));
  assert.match(rebuild(v2, join(parent, v2)), /ds_fixture\.v3: /);

  // On disk: no superseded version holds a record; the current one holds none of theirs.
  for (const old of [v1, v2]) {
    // What is left says what the version was and what replaced it; nothing holds a record.
    const files = readdirSync(join(parent, old)).sort();
    // (The removal list of a rebuilt version names item ids, never people: it stays as evidence.)
    const kept = [
      'SUPERSEDED.json',
      'manifest.json',
      'policy.yaml',
      'verify.json',
      'removals.jsonl',
      'removals.manifest.json',
    ];
    assert.deepEqual(
      files.filter((f) => !kept.includes(f)),
      [],
      `${old}: only ${kept.join(', ')} left`,
    );
    assert.ok(files.includes('SUPERSEDED.json'));
    assert.ok(!existsSync(dataOf(old)), `${old}: data deleted`);
    const record = JSON.parse(readFileSync(join(parent, old, 'SUPERSEDED.json'), 'utf8'));
    assert.equal(record.replacedBy, old === v1 ? v2 : 'ds_fixture.v3');
    assert.ok(record.deleted.some((d: { file: string }) => d.file === 'data.jsonl'));
    assert.ok(record.deleted.some((d: { file: string }) => d.file === 'inclusions.tsv'));
  }
  const current = readFileSync(dataOf('ds_fixture.v3'), 'utf8');
  for (const id of ['p1', 'p2', 'p3', 'p4']) assert.doesNotMatch(current, new RegExp(`"${id}"`));

  // The fact is in the audit log, once per superseded version.
  const events: { type: string; data: Record<string, unknown> }[] = [];
  for await (const e of veto.store.readEvents()) events.push(e);
  assert.deepEqual(
    events
      .filter((e) => e.type === 'dataset.superseded')
      .map((e) => [e.data.datasetId, e.data.replacedBy]),
    [
      [v1, v2],
      [v2, 'ds_fixture.v3'],
    ],
  );

  // Each version's recipient: its removals, and which version replaces the one it holds.
  await veto.recipientDispatcher!.drain();
  const got = receivers.map((r) =>
    [...r.unique.values()].map((m) => m as { type: string; data: Record<string, unknown> }),
  );
  assert.deepEqual(
    got[0]!.filter((m) => m.type === 'dataset.superseded').map((m) => m.data.replacedBy),
    [v2],
  );
  assert.ok(
    got[0]!.some((m) => m.type !== 'dataset.superseded'),
    'v1 removals delivered',
  );
  assert.deepEqual(
    got[1]!.filter((m) => m.type === 'dataset.superseded').map((m) => m.data.replacedBy),
    ['ds_fixture.v3'],
  );
  assert.match(
    String(got[1]!.find((m) => m.type === 'dataset.superseded')?.data.instructions),
    /Delete every copy of ds_fixture\.v2 you hold and use ds_fixture\.v3 instead/,
  );

  // "Am I in the dataset?": u1 is in v1 and v2, each rebuilt; not in v3.
  const mine = (
    await app.inject({ method: 'GET', url: '/v1/me/datasets', headers: await user('u1') })
  ).json() as { datasets: { datasetId: string; status: string }[] };
  assert.deepEqual(
    mine.datasets.map((d) => [d.datasetId, d.status]),
    [
      [v1, 'rebuilt'],
      [v2, 'rebuilt'],
    ],
  );
});
