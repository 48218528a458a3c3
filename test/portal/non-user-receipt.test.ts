import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCatalogue, onCatalogueFallback } from '../../src/i18n/catalogue.ts';
import { EU_LANGUAGES } from '../support/eu-languages.ts';
import { testApp } from '../support/test-app.ts';
import { visibleText } from './support/browser-like.ts';

/**
 * A person without an account gets a receipt (email and page, and the status page it links to)
 * in their own words: what is excluded is content that can be linked to them, and there is no
 * account "to keep using as before". In each of the 24 languages, none taken from another.
 */
test('non-users: their own receipt wording, in the email and on the page, in every language', {
  timeout: 120_000,
}, async (t) => {
  const { app, veto, mailer, config } = await testApp(t, { rateLimitPerMinute: 1_000_000 });
  const catalogue = loadCatalogue({ strict: true });
  // Compared with spaces folded: emails wrap lines, and some languages use no-break spaces.
  const fold = (s: string) => s.replace(/\s+/g, ' ');
  const say = (lang: string, key: string) =>
    fold(catalogue.t(lang, key, { platformName: config.platformName }));
  const fallbacks: string[] = [];
  const stop = onCatalogueFallback((f) => fallbacks.push(`${f.key} (${f.reason})`));
  t.after(stop);
  for (const lang of EU_LANGUAGES) {
    const email = `camille-${lang}@example.org`;
    const { objection } = await veto.registry.object({
      subject: { kind: 'email', email },
      channel: 'api',
      appearsAt: ['@camille'],
      language: lang,
    });
    await veto.dispatcher.deliverDue();
    const [receipt] = mailer.to(email);
    assert.ok(receipt, `${lang}: receipt sent`);
    const mailText = fold(receipt.text);
    assert.ok(
      mailText.includes(say(lang, 'intake.email.receipt.no-reason-non-user')),
      `${lang}: email`,
    );
    assert.ok(!mailText.includes(say(lang, 'email.receipt.no-reason')), `${lang}: account wording`);

    const token = veto.registry.statusToken(objection);
    const page = await app.inject({
      method: 'GET',
      url: `/receipt/${objection.reference}?t=${token}&lang=${lang}`,
    });
    assert.equal(page.statusCode, 200, `${lang}: ${page.body.slice(0, 300)}`);
    const text = fold(visibleText(page.body));
    for (const key of [
      'intake.receipt.next.future-non-user',
      'intake.receipt.next.past-non-user',
      'intake.receipt.next.service-non-user',
    ]) {
      assert.ok(text.includes(say(lang, key)), `${lang}: page lacks ${key}`);
    }
    for (const key of ['receipt.next.service', 'receipt.next.future', 'receipt.next.past']) {
      assert.ok(!text.includes(say(lang, key)), `${lang}: page says ${key}`);
    }
    const status = fold(
      visibleText(
        (
          await app.inject({
            method: 'GET',
            url: `/status/${objection.reference}?t=${token}&lang=${lang}`,
          })
        ).body,
      ),
    );
    assert.ok(
      status.includes(say(lang, 'intake.status.state.effective-non-user')),
      `${lang}: status`,
    );
  }
  assert.deepEqual(fallbacks, []);

  // An account holder's receipt keeps the account wording.
  const { objection } = await veto.registry.object({
    subject: { kind: 'account', accountId: 'oliver' },
    channel: 'api',
    email: 'oliver@example.org',
    language: 'en',
  });
  await veto.dispatcher.deliverDue();
  assert.ok(
    mailer.to('oliver@example.org')[0]!.text.includes(say('en', 'email.receipt.no-reason')),
  );
  const page = await app.inject({
    method: 'GET',
    url: `/receipt/${objection.reference}?t=${veto.registry.statusToken(objection)}`,
  });
  assert.ok(fold(visibleText(page.body)).includes(say('en', 'receipt.next.service')));
});
