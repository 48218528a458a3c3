import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { rebuildDataset } from '../../src/domain/removals/dataset-rebuild.ts';
import {
  type RemovalListManifest,
  verifyRemovalList,
  writeRemovalList,
} from '../../src/domain/removals/removal-list.ts';
import { verifyDataset } from '../../src/gate/dataset-verify.ts';
import { CaptureMailer } from '../support/capture-mailer.ts';
import { requireService } from '../support/services.ts';
import { testVeto } from '../support/test-veto.ts';
import { buildFixtureDataset } from './support/fixture.ts';
import {
  NATS_URL,
  natsOrReason,
  streamMessages,
  uniqueStream,
  WebhookReceiver,
} from './support/receivers.ts';

test('an objection after the build: removal, recipients told once, email, rebuild without the items', async (t) => {
  const nats = await natsOrReason();
  if (!requireService('nats', typeof nats !== 'string', String(nats))) return t.skip();
  const nc = nats as Exclude<typeof nats, string>;
  t.after(() => nc.close());
  const stream = await uniqueStream(nc);
  t.after(() => stream.remove());
  const receiver = await WebhookReceiver.start();
  t.after(() => receiver.close());

  const mailer = new CaptureMailer();
  const { veto, dir, config } = await testVeto(t, { natsUrl: NATS_URL }, { mailer });
  const afterwards = veto.afterwards!;
  // A snapshot the registry takes: the dataset is anchored in its log, and verify checks it.
  const snap = await veto.snapshots.create('ai-training');
  const snapFile = (await veto.snapshots.file(snap.id))!;
  const {
    datasetId,
    dir: sealed,
    datasets,
  } = await buildFixtureDataset(veto, dir, undefined, undefined, { snapshot: snapFile });

  const partner = await afterwards.addRecipient({
    datasetId,
    name: 'Partner lab',
    webhookUrl: receiver.url,
  });
  receiver.useSecret(partner.webhookSecret!);
  await afterwards.addRecipient({ datasetId, name: 'Team B', natsSubject: stream.subject });
  const model = await afterwards.addModel({ datasetId, name: 'assistant-2026-11' });

  // Before any objection: u1 is in the dataset with 3 items (2 as author, 1 mentioned).
  const before = await afterwards.datasetsOf('acct:u1');
  assert.equal(before.length, 1);
  assert.equal(before[0]!.items, 3);
  assert.equal(before[0]!.removal, null);

  await veto.registry.object({
    subject: { kind: 'account', accountId: 'u1' },
    channel: 'api',
    language: 'fr',
    email: 'u1@example.org',
  });
  assert.equal(await veto.removalPlanner!.drain(), 1);
  assert.equal(await veto.removalPlanner!.drain(), 0, 'the cursor moved: nothing planned twice');

  const [removal, ...more] = await afterwards.removalsOf(datasetId);
  assert.equal(more.length, 0);
  assert.deepEqual(removal!.itemIds, ['p1', 'p2', 'p3']);

  assert.equal(await veto.recipientDispatcher!.drain(), 2);
  assert.equal(await veto.recipientDispatcher!.drain(), 0);
  assert.equal(receiver.unique.size, 1);
  assert.equal(receiver.rejected, 0);
  const delivered = [...receiver.unique.values()][0] as {
    type: string;
    data: { itemIds: string[]; datasetId: string };
  };
  assert.equal(delivered.type, 'dataset.removal');
  assert.deepEqual(delivered.data.itemIds, ['p1', 'p2', 'p3']);
  assert.doesNotMatch(JSON.stringify(delivered), /acct:u1/, 'recipients get item ids only');
  const onStream = await streamMessages(nc, stream.name);
  assert.equal(onStream.length, 1);
  assert.match(onStream[0]!.msgId!, /^msg_/);

  // The person is told, in their language, with the model policy.
  await veto.dispatcher.deliverDue();
  const mail = mailer.to('u1@example.org').find((m) => m.text.includes('IA'));
  assert.ok(mail, 'a removal email in French');

  // The person sees the removal and who was told.
  const after = await afterwards.datasetsOf('acct:u1');
  assert.equal(after[0]!.removal!.items, 3);
  assert.equal(after[0]!.removal!.deliveries.length, 2);
  assert.ok(after[0]!.removal!.deliveries.every((d) => d.deliveredAt));
  // Each recipient's acknowledgement is in the audit log, once.
  const acknowledged: string[] = [];
  for await (const e of veto.store.readEvents()) {
    if (e.type === 'removal.acknowledged') acknowledged.push(String(e.data.recipientId));
  }
  assert.deepEqual(
    acknowledged.sort(),
    [
      partner.id,
      (await afterwards.listRecipients(datasetId)).find((r) => r.name === 'Team B')!.id,
    ].sort(),
  );
  assert.deepEqual(
    after[0]!.models.map((m) => m.id),
    [model.id],
  );

  // The audit log records the removal, and still verifies.
  const report = await veto.registry.verifyAudit();
  assert.ok(report.ok, JSON.stringify(report));

  // The signed removal list.
  const listDir = join(dir, 'list');
  const removals = await afterwards.removalsOf(datasetId);
  const manifest = await writeRemovalList(
    listDir,
    datasetId,
    removals,
    config.secret,
    veto.clock(),
  );
  const listBytes = await readFile(join(listDir, 'removals.jsonl'));
  assert.equal(listBytes.toString().trim().split('\n').length, 3);
  assert.equal(verifyRemovalList(manifest, listBytes, config.secret), null);
  const edited: RemovalListManifest = { ...manifest, items: 2 };
  assert.match(String(verifyRemovalList(edited, listBytes, config.secret)), /signature/);
  assert.match(String(verifyRemovalList(manifest, Buffer.from('x'), config.secret)), /hash/);

  // The next version, filtered from the sealed output.
  const rebuilt = await rebuildDataset({
    dir: sealed,
    removals,
    record: (m, rows) => datasets.recordDataset(m, rows),
    secret: config.secret,
    now: veto.clock,
  });
  assert.equal(rebuilt.datasetId, `${datasetId}.v2`);
  const data = await readFile(join(rebuilt.dir, 'data.jsonl'), 'utf8');
  const ids = data
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { id: string }).id);
  assert.deepEqual(ids, ['p4']);
  assert.equal(rebuilt.manifest.removal.replaces.datasetId, datasetId);
  assert.equal(rebuilt.manifest.output.records, 1);
  const inclusions = await readFile(join(rebuilt.dir, 'inclusions.tsv'), 'utf8');
  assert.doesNotMatch(inclusions, /acct:u1/);
  const now = await afterwards.datasetsOf('acct:u1');
  assert.equal(now.length, 1, 'the new version holds nothing of u1');
  assert.equal(now[0]!.replacedBy, rebuilt.datasetId);
  assert.equal((await afterwards.datasetsOf('acct:u3')).length, 2);
  // The next version passes the independent check against the registry's records (its objector
  // set at the cut-off, the manifest it recorded), its counts against the replaced build's log.
  const verified = await verifyDataset({ dir: rebuilt.dir, records: veto.datasetRecords });
  assert.equal(verified.ok, true, JSON.stringify(verified.problems));
  assert.match(verified.checks.manifest.detail, /matches the registry’s record/);
  assert.equal(verified.checks.anchor.status, 'pass', verified.checks.anchor.detail);
  // Asked about a notice this registry never published, the notice check fails, naming why.
  const asked = await verifyDataset({
    dir: rebuilt.dir,
    registry: veto.gate,
    records: veto.datasetRecords,
  });
  assert.equal(asked.checks['notice-period'].status, 'fail');
  assert.match(
    asked.problems.map((p) => p.message).join('\n'),
    /cannot be checked: notice version/,
  );
});

test('objections to another purpose, or by people not in any dataset, remove nothing', async (t) => {
  const { veto, dir } = await testVeto(t);
  const { datasetId } = await buildFixtureDataset(veto, dir);
  await veto.registry.object({
    subject: { kind: 'account', accountId: 'u1' },
    purpose: 'third-party-sharing',
    channel: 'api',
    language: 'en',
  });
  await veto.registry.object({
    subject: { kind: 'account', accountId: 'nobody' },
    channel: 'api',
    language: 'en',
  });
  assert.equal(await veto.removalPlanner!.drain(), 0);
  assert.deepEqual(await veto.afterwards!.removalsOf(datasetId), []);
});

test('a recipient that is down gets the removal later, with backoff, and only once', async (t) => {
  const receiver = await WebhookReceiver.start();
  t.after(() => receiver.close());
  let now = Date.parse('2026-11-28T12:00:00.000Z');
  const clock = () => new Date(now).toISOString();
  const { veto, dir } = await testVeto(t, {}, { clock });
  const { datasetId } = await buildFixtureDataset(veto, dir);
  const r = await veto.afterwards!.addRecipient({
    datasetId,
    name: 'Flaky',
    webhookUrl: receiver.url,
  });
  // The receiver does not know the secret yet: it answers 400, a failed delivery.
  await veto.registry.object({
    subject: { kind: 'account', accountId: 'u3' },
    channel: 'api',
    language: 'en',
  });
  await veto.removalPlanner!.drain();
  assert.equal(await veto.recipientDispatcher!.deliverDue(), 0);
  assert.equal(receiver.rejected, 1);
  assert.equal(await veto.recipientDispatcher!.deliverDue(), 0, 'not due again yet');
  receiver.useSecret(r.webhookSecret!);
  now += 1_000;
  assert.equal(await veto.recipientDispatcher!.deliverDue(), 1);
  now += 3_600_000;
  assert.equal(await veto.recipientDispatcher!.deliverDue(), 0);
  assert.equal(receiver.unique.size, 1);
});

test('models and recipients are validated', async (t) => {
  const { veto, dir } = await testVeto(t);
  const { datasetId } = await buildFixtureDataset(veto, dir);
  const a = veto.afterwards!;
  await assert.rejects(a.addModel({ datasetId: 'nope', name: 'm' }), /no recorded dataset/);
  await assert.rejects(a.addRecipient({ datasetId, name: 'x' }), /webhookUrl/);
  await assert.rejects(
    a.addRecipient({ datasetId, name: 'x', webhookUrl: 'ftp://x' }),
    /http or https/,
  );
  await assert.rejects(a.addRecipient({ datasetId, name: 'x', natsSubject: 'a.*' }), /natsSubject/);
  const r = await a.addRecipient({ datasetId, name: 'ok', natsSubject: 'partner.removals' });
  assert.equal(r.webhookSecret, null);
  assert.deepEqual(
    (await a.listRecipients(datasetId)).map((x) => x.name),
    ['ok'],
  );
});
