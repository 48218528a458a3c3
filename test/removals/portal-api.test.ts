import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rebuildDataset } from '../../src/domain/removals/dataset-rebuild.ts';
import { signDemoToken } from '../../src/http/auth/platform-token.ts';
import { InjectBrowser, visibleText } from '../portal/support/browser-like.ts';
import { testApp } from '../support/test-app.ts';
import { TEST_JWT_SECRET } from '../support/test-veto.ts';
import { buildFixtureDataset } from './support/fixture.ts';
import { WebhookReceiver } from './support/receivers.ts';

test('after the build: the admin API records models and recipients, the person sees the removal on the API and the portal, and reports memorisation', async (t) => {
  const receiver = await WebhookReceiver.start();
  t.after(() => receiver.close());
  const { app, veto, dir, admin, user, mailer, config } = await testApp(t, {
    modelPolicy: 'output-filter',
  });
  const { datasetId, dir: sealed, datasets } = await buildFixtureDataset(veto, dir);

  // Admin API: a model and a recipient of this version.
  const model = await app.inject({
    method: 'POST',
    url: `/v1/admin/datasets/${datasetId}/models`,
    headers: admin,
    payload: { name: 'assistant-v7', trainedAt: '2026-11-01T00:00:00Z' },
  });
  assert.equal(model.statusCode, 201, model.body);
  const modelId = model.json().id as string;
  const badRecipient = await app.inject({
    method: 'POST',
    url: `/v1/admin/datasets/${datasetId}/recipients`,
    headers: admin,
    payload: { name: 'Nobody' },
  });
  assert.equal(badRecipient.statusCode, 400);
  assert.match(badRecipient.body, /webhookUrl/);
  const recipient = await app.inject({
    method: 'POST',
    url: `/v1/admin/datasets/${datasetId}/recipients`,
    headers: admin,
    payload: { name: 'Partner lab', webhookUrl: receiver.url },
  });
  assert.equal(recipient.statusCode, 201, recipient.body);
  assert.match(recipient.json().webhookSecret, /^whsec_/);
  receiver.useSecret(recipient.json().webhookSecret);
  const listed = await app.inject({
    method: 'GET',
    url: `/v1/admin/datasets/${datasetId}/recipients`,
    headers: admin,
  });
  assert.equal(listed.json()[0].name, 'Partner lab');
  assert.equal(listed.json()[0].webhookSecret, undefined, 'the secret is shown once');
  const unknown = await app.inject({
    method: 'POST',
    url: '/v1/admin/datasets/nope/models',
    headers: admin,
    payload: { name: 'x' },
  });
  assert.equal(unknown.statusCode, 404);
  const asUser = await app.inject({
    method: 'GET',
    url: `/v1/admin/datasets/${datasetId}/recipients`,
    headers: await user('u1'),
  });
  assert.equal(asUser.statusCode, 403);

  // "Am I in the dataset?" before objecting.
  const u1 = await user('u1', { lang: 'fr', email: 'u1@example.org' });
  const mine = await app.inject({ method: 'GET', url: '/v1/me/datasets', headers: u1 });
  assert.equal(mine.statusCode, 200, mine.body);
  assert.equal(mine.json().datasets[0].items, 3);
  assert.equal(mine.json().datasets[0].status, 'included');

  // The person objects (API, user token), the jobs run.
  const objected = await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: u1,
    payload: {},
  });
  assert.equal(objected.statusCode, 201, objected.body);
  await veto.removalPlanner!.drain();
  await veto.recipientDispatcher!.drain();
  assert.equal(receiver.unique.size, 1);
  const after = (await app.inject({ method: 'GET', url: '/v1/me/datasets', headers: u1 })).json();
  assert.equal(after.datasets[0].status, 'recipients-told');
  assert.equal(after.modelPolicy, 'output-filter');
  assert.equal(after.datasets[0].models[0].name, 'assistant-v7');
  const removals = await app.inject({
    method: 'GET',
    url: `/v1/admin/datasets/${datasetId}/removals`,
    headers: admin,
  });
  assert.deepEqual(removals.json()[0].itemIds, ['p1', 'p2', 'p3']);

  // The removal email, in French, says what happens to the model.
  await veto.dispatcher.deliverDue();
  const mail = mailer.to('u1@example.org').find((m) => m.subject.includes('retirés'));
  assert.ok(mail, mailer.sent.map((m) => m.subject).join(' | '));
  assert.match(mail.text, /filtrées/);

  // Rebuilt: the person's page says the new version no longer holds their content.
  const rebuilt = await rebuildDataset({
    dir: sealed,
    removals: await veto.afterwards!.removalsOf(datasetId),
    record: (m, rows) => datasets.recordDataset(m, rows),
    secret: config.secret,
    now: veto.clock,
  });
  const browser = new InjectBrowser(app);
  const token = await signDemoToken(TEST_JWT_SECRET, { sub: 'u1', lang: 'en' });
  await browser.follow(await browser.get(`/session?token=${token}&next=/datasets`));
  const page = await browser.get('/datasets');
  assert.equal(page.statusCode, 200);
  const text = visibleText(page.body);
  assert.match(text, new RegExp(`Dataset ${datasetId}`));
  assert.match(
    text,
    new RegExp(
      `the new version ${rebuilt.datasetId.replaceAll('.', '\\.')} no longer contains your content`,
    ),
  );
  assert.match(text, /Partner lab received it on/);
  assert.match(text, /assistant-v7/);
  assert.match(text, /their answers are filtered/);

  // Memorisation report: a blank description is refused with the field named, then accepted.
  const blank = await browser.post('/datasets/memorisation', {
    _csrf: browser.csrf(),
    modelId,
    description: '  ',
  });
  assert.equal(blank.statusCode, 400);
  assert.match(blank.body, /href="#description"/);
  const sent = await browser.post('/datasets/memorisation', {
    _csrf: browser.csrf(page.body),
    modelId,
    description: 'It printed my home address when asked about me.',
  });
  assert.equal(sent.statusCode, 303);
  const confirmation = visibleText((await browser.follow(sent)).body);
  assert.match(confirmation, /We received your report\. Reference: VT-/);
  const reports = await veto.afterwards!.memorisationReportsOf('acct:u1');
  assert.equal(reports.length, 1);
  assert.equal(reports[0]!.modelId, modelId);

  // API route for the same report, with its due date one calendar month later.
  const viaApi = await app.inject({
    method: 'POST',
    url: '/v1/me/memorisation-reports',
    headers: u1,
    payload: { modelId, description: 'Again, in another chat.' },
  });
  assert.equal(viaApi.statusCode, 201, viaApi.body);
  const r = viaApi.json();
  assert.equal(new Date(r.dueAt).getUTCMonth(), (new Date(r.receivedAt).getUTCMonth() + 1) % 12);
  await veto.dispatcher.deliverDue();
  assert.ok(mailer.to('u1@example.org').some((m) => m.subject.includes(r.reference)));

  // Signed out, the page explains how to find out.
  const anonymous = await app.inject({ method: 'GET', url: '/datasets' });
  assert.equal(anonymous.statusCode, 200);
  assert.match(visibleText(anonymous.body), /Open this page from/);
  // The OpenAPI document lists the new endpoints.
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  assert.ok(doc.paths['/v1/me/datasets']);
  assert.ok(doc.paths['/v1/admin/datasets/{datasetId}/recipients']);
});
