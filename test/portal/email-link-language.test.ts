import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testApp } from '../support/test-app.ts';

/** A French receipt's status link opens the status page in French, whatever the browser says. */
test('links in emails carry the language of the objection', async (t) => {
  const { app, veto, mailer } = await testApp(t);
  const email = 'camille@example.org';
  await veto.registry.object({
    subject: { kind: 'account', accountId: 'camille' },
    channel: 'api',
    language: 'fr',
    email,
  });
  await veto.dispatcher.deliverDue();
  const [receipt] = mailer.to(email);
  assert.ok(receipt, 'receipt sent');
  const link = /https?:\/\/[^\s"<>]+\/status\/[^\s"<>]+/.exec(receipt.text)?.[0];
  assert.ok(link, receipt.text);
  const url = new URL(link);
  assert.equal(url.searchParams.get('lang'), 'fr', link);
  const page = await app.inject({
    url: `${url.pathname}${url.search}`,
    headers: { 'accept-language': 'en-GB,en;q=0.9', accept: 'text/html' },
  });
  assert.equal(page.statusCode, 200, page.body.slice(0, 300));
  assert.match(page.body, /<html lang="fr"/);
});
