import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { signDemoToken } from '../../src/http/auth/platform-token.ts';
import { hasGpcSignal } from '../../src/signals/gpc.ts';
import { InjectBrowser, visibleText } from '../portal/support/browser-like.ts';
import { testApp } from '../support/test-app.ts';
import { TEST_JWT_SECRET } from '../support/test-veto.ts';

type Ctx = { after: (fn: () => void | Promise<void>) => void };
type Overrides = Parameters<typeof testApp>[1];

async function signedIn(t: Ctx, overrides: Overrides = {}, accountId = 'acct-gpc') {
  const ctx = await testApp(t, overrides);
  const b = new InjectBrowser(ctx.app, { 'accept-language': 'en' });
  const token = await signDemoToken(TEST_JWT_SECRET, {
    sub: accountId,
    lang: 'en',
    email: `${accountId}@example.org`,
  });
  // Entering the session is a redirect; the signal is handled on the page it lands on.
  const entered = await b.get(`/session?token=${encodeURIComponent(token)}&next=/status`);
  assert.equal(entered.statusCode, 303);
  const objections = () => ctx.veto.registry.objectionsOf({ kind: 'account', accountId });
  return { ...ctx, b, objections };
}

describe('Global Privacy Control (Sec-GPC)', () => {
  it('is a signal only when the header is exactly "1"', () => {
    assert.equal(hasGpcSignal({ 'sec-gpc': '1' }), true);
    for (const value of ['0', 'true', '1, 1', '', 'yes', '2'])
      assert.equal(hasGpcSignal({ 'sec-gpc': value }), false, value);
    assert.equal(hasGpcSignal({}), false);
    assert.equal(hasGpcSignal({ 'sec-gpc': ['1', '1'] }), false);
  });

  it('signed in, by default: one objection to third-party sharing, channel "signal", said on the page', async (t) => {
    const { b, objections, mailer, veto } = await signedIn(t);
    const page = await b.get('/status', { 'sec-gpc': '1' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /class="panel panel-signal" role="status"/);
    const text = visibleText(page.body);
    assert.match(text, /recorded it as your objection to Demo Social sharing your data/);
    // The status list on the same page already shows it, with its purpose and channel.
    assert.match(text, /Sharing your data, or AI models trained on it, with third parties/);
    let list = await objections();
    assert.equal(list.length, 1);
    assert.equal(list[0]!.purpose, 'third-party-sharing');
    assert.equal(list[0]!.channel, 'signal');
    assert.equal(list[0]!.status, 'effective');

    // Every later request with the signal finds it: still one objection (idempotent).
    await b.get('/', { 'sec-gpc': '1' });
    await b.get('/non-user', { 'sec-gpc': '1' });
    list = await objections();
    assert.equal(list.length, 1);
    const status = await b.get(`/status/${list[0]!.reference}`);
    assert.match(visibleText(status.body), /Privacy signal sent by your browser/);
    assert.match(visibleText(status.body), /does not share your data/);
    // It is not an objection to AI training, and no receipt email speaks of one.
    assert.equal(
      (await veto.registry.objectionsOf({ kind: 'account', accountId: 'acct-gpc' })).some(
        (o) => o.purpose === 'ai-training',
      ),
      false,
    );
    await veto.dispatcher.deliverDue();
    assert.equal(mailer.to('acct-gpc@example.org').length, 0);
  });

  it('"Sec-GPC: 0", another value or no header records nothing and shows nothing', async (t) => {
    const { b, objections } = await signedIn(t);
    const variants: Record<string, string>[] = [{ 'sec-gpc': '0' }, { 'sec-gpc': 'true' }, {}];
    for (const headers of variants) {
      const page = await b.get('/', headers);
      assert.equal(page.statusCode, 200);
      assert.doesNotMatch(page.body, /panel-signal/);
    }
    assert.deepEqual(await objections(), []);
  });

  it('a visitor who is not signed in: nothing recorded, and the page says why', async (t) => {
    const { app, veto } = await testApp(t);
    const page = await new InjectBrowser(app, { 'accept-language': 'fr' }).get('/', {
      'sec-gpc': '1',
    });
    assert.match(page.body, /class="panel panel-signal"/);
    assert.match(visibleText(page.body), /rien n’a été enregistré/);
    const all = await veto.store.listObjections({ limit: 10 });
    assert.equal(all.length, 0);
  });

  it('VETO_GPC=object: also a full objection to AI training, with its receipt', async (t) => {
    const { b, objections, veto, mailer } = await signedIn(t, { gpc: 'object' });
    const page = await b.get('/', { 'sec-gpc': '1' });
    assert.match(visibleText(page.body), /objection to the use of your content for AI training/);
    // The notice page sees the AI-training objection at once.
    assert.match(visibleText(page.body), /You objected on/);
    const list = await objections();
    assert.deepEqual(list.map((o) => o.purpose).sort(), ['ai-training', 'third-party-sharing']);
    assert.ok(list.every((o) => o.channel === 'signal'));
    await veto.dispatcher.deliverDue();
    const mails = mailer.to('acct-gpc@example.org');
    assert.equal(mails.length, 1);
    assert.match(mails[0]!.text, /Training artificial intelligence models/);
  });

  it('VETO_GPC=off: nothing recorded, and the page says the deployment does not use it', async (t) => {
    const { b, objections } = await signedIn(t, { gpc: 'off' });
    const page = await b.get('/', { 'sec-gpc': '1' });
    assert.match(visibleText(page.body), /does not record it as an objection/);
    assert.deepEqual(await objections(), []);
  });

  it('a reviewer can never override an objection to third-party sharing', async (t) => {
    const { b, objections, veto } = await signedIn(t, { reviewMode: true });
    await b.get('/', { 'sec-gpc': '1' });
    const [sharing] = await objections();
    assert.equal(sharing?.review, 'pending');
    await assert.rejects(
      veto.registry.decide(sharing!.id, {
        outcome: 'overridden',
        reason: 'compelling grounds',
        reviewer: 'r',
      }),
      /absolute and cannot be overridden/,
    );
  });

  it('the API shows channel "signal", filters by it, and lets the platform forward a signal', async (t) => {
    const { app, apiKey, admin, b } = await signedIn(t);
    await b.get('/', { 'sec-gpc': '1' });
    const forwarded = await app.inject({
      method: 'POST',
      url: '/v1/objections',
      headers: apiKey,
      payload: {
        subject: { accountId: 'acct-2' },
        purpose: 'third-party-sharing',
        channel: 'signal',
      },
    });
    assert.equal(forwarded.statusCode, 201, forwarded.body);
    assert.equal(forwarded.json().channel, 'signal');
    const listed = await app.inject({ url: '/v1/admin/objections?channel=signal', headers: admin });
    assert.equal(listed.statusCode, 200, listed.body);
    assert.equal(listed.json().items.length, 2);
    const doc = (await app.inject({ url: '/openapi.json' })).body;
    assert.match(doc, /"signal"/);
  });

  it('configuration: the GPC purpose must be one of the purposes (or GPC off)', () => {
    assert.throws(
      () => loadConfig({ secret: 'x'.repeat(32), purposes: ['ai-training'], dataDir: '/tmp' }, {}),
      (err: Error) => err instanceof ConfigError && /VETO_GPC_PURPOSE/.test(err.message),
    );
    const off = loadConfig(
      {
        secret: 'x'.repeat(32),
        purposes: ['ai-training'],
        gpc: 'off',
        platformJwtSecret: 'y'.repeat(32),
      },
      {},
    );
    assert.equal(off.gpc, 'off');
    const dflt = loadConfig({ secret: 'x'.repeat(32), platformJwtSecret: 'y'.repeat(32) }, {});
    assert.deepEqual(dflt.purposes, ['ai-training', 'third-party-sharing']);
    assert.equal(dflt.gpc, 'no-sharing');
    assert.throws(() => loadConfig({ gpc: 'maybe' as 'off' }, {}), /VETO_GPC/);
  });
});
