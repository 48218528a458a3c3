import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildApp } from '../../src/http/app.ts';
import { tempDir } from '../support/temp.ts';
import { TEST_ADMIN_KEY, testVeto } from '../support/test-veto.ts';
import { runVeto, sqliteEnv } from '../support/veto-cli.ts';
import { buildFixtureDataset } from './support/fixture.ts';
import { WebhookReceiver } from './support/receivers.ts';

test('recipients add --nats-subject without VETO_NATS_URL is refused', (t) => {
  const dir = tempDir(t);
  const env = { ...sqliteEnv(dir, 'nats-refusal-secret-0123456789-0123456789') };
  const r = runVeto(env, 'recipients', 'add', 'ds_x', '--name', 'B', '--nats-subject', 'b.rm');
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /--nats-subject needs VETO_NATS_URL/);
});

test('deliveries failing longer than the threshold show in the admin API', async (t) => {
  const receiver = await WebhookReceiver.start();
  t.after(() => receiver.close());
  let now = Date.parse('2026-11-28T12:00:00.000Z');
  const clock = () => new Date(now).toISOString();
  const { veto, dir } = await testVeto(t, {}, { clock });
  const app = await buildApp(veto);
  t.after(() => app.close());
  const { datasetId } = await buildFixtureDataset(veto, dir);
  // The receiver does not know the secret: every delivery fails.
  await veto.afterwards!.addRecipient({ datasetId, name: 'Down lab', webhookUrl: receiver.url });
  await veto.registry.object({
    subject: { kind: 'account', accountId: 'u3' },
    channel: 'api',
    language: 'en',
  });
  await veto.removalPlanner!.drain();
  assert.equal(await veto.recipientDispatcher!.deliverDue(), 0);
  const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}` };
  const fresh = await app.inject({ url: '/v1/admin/recipient-deliveries', headers: admin });
  assert.equal(fresh.statusCode, 200, fresh.body);
  const early = fresh.json() as { pending: number; failing: unknown[] };
  assert.equal(early.pending, 1);
  assert.deepEqual(early.failing, [], 'failing for a moment is not failing for long');

  now += 2 * 60 * 60_000;
  const later = await app.inject({ url: '/v1/admin/recipient-deliveries', headers: admin });
  const body = later.json() as {
    pending: number;
    oldestCreatedAt: string;
    failing: { recipientName: string; attempts: number; lastError: string }[];
  };
  assert.equal(body.pending, 1);
  assert.equal(body.oldestCreatedAt, '2026-11-28T12:00:00.000Z');
  assert.equal(body.failing.length, 1);
  assert.equal(body.failing[0]!.recipientName, 'Down lab');
  assert.ok(body.failing[0]!.attempts >= 1);
  assert.ok(body.failing[0]!.lastError);

  const wider = await app.inject({
    url: '/v1/admin/recipient-deliveries?failingForMinutes=180',
    headers: admin,
  });
  assert.deepEqual((wider.json() as { failing: unknown[] }).failing, []);
  const bad = await app.inject({
    url: '/v1/admin/recipient-deliveries?failingForMinutes=0',
    headers: admin,
  });
  assert.equal(bad.statusCode, 400);
  const anon = await app.inject({ url: '/v1/admin/recipient-deliveries' });
  assert.equal(anon.statusCode, 401);
});
