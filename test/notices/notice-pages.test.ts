import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { readNoticeDirectory } from '../../src/domain/notices/notice-files.ts';
import { signDemoToken } from '../../src/http/auth/platform-token.ts';
import { InjectBrowser, visibleText } from '../portal/support/browser-like.ts';
import { freePort } from '../support/server-process.ts';
import { requireService } from '../support/services.ts';
import { testApp } from '../support/test-app.ts';
import { TEST_JWT_SECRET } from '../support/test-veto.ts';

type Ctx = { after: (fn: () => void | Promise<void>) => void };
const SAMPLE = new URL('../../notices/2026-01', import.meta.url).pathname;

async function published(t: Ctx) {
  const ctx = await testApp(t, { demo: true });
  const { version } = await ctx.veto.notices.publish(readNoticeDirectory(SAMPLE), 'test');
  return { ...ctx, version };
}

describe('portal: published notice pages', () => {
  it('shows the built-in notice before any publication, and "no notice yet" at /notice', async (t) => {
    const { app } = await testApp(t);
    const home = await new InjectBrowser(app).get('/');
    assert.match(home.body, /Your right to object/);
    const notice = await new InjectBrowser(app).get('/notice');
    assert.equal(notice.statusCode, 200);
    assert.match(notice.body, /No notice has been published yet/);
  });

  it('shows the published notice at / with its separate block and the one-step objection', async (t) => {
    const { app, version } = await published(t);
    const b = new InjectBrowser(app, { 'accept-language': 'fr-BE,fr;q=0.9' });
    const token = await signDemoToken(TEST_JWT_SECRET, { sub: 'u-1', lang: 'fr' });
    const page = await b.follow(await b.get(`/session?token=${encodeURIComponent(token)}&next=/`));
    assert.equal(page.statusCode, 200);
    assert.match(
      page.body,
      /<h1>Comment Demo Social utilise vos contenus pour entraîner une IA<\/h1>/,
    );
    // The right-to-object block comes first, in its own labelled section, with the button.
    const block = page.body.indexOf(
      '<section class="object-block" aria-labelledby="right-to-object-heading"',
    );
    assert.ok(block > 0 && block < page.body.indexOf('Quels contenus sont utilisés'));
    assert.match(page.body, /<h2 id="right-to-object-heading">Votre droit d’opposition<\/h2>/);
    assert.match(page.body, /<form method="post" action="\/object"/);
    assert.match(page.body, new RegExp(version.texts.find((x) => x.language === 'fr')!.sha256));
    const text = visibleText(page.body);
    assert.doesNotMatch(text, /\{[a-zA-Z]+\}/, 'no placeholder left unfilled');
    assert.doesNotMatch(page.body, /\{promise:|redacted PERSON/, 'promise markers are not shown');
    assert.match(text, /Les messages privés avec vos proches\s/);
    // The Art. 13/14 items, filled from the configuration in the reader's language.
    assert.match(
      text,
      /Example Platform SA est responsable de ce traitement ; contact : privacy@platform\.example\./,
    );
    assert.match(text, /Notre délégué à la protection des données : dpo@platform\.example\./);
    assert.match(
      text,
      /communiqués qu’à : Example AI Lab SARL\. Chaque jeu de données est conservé au plus 24 mois/,
    );
    assert.match(text, /autorité de protection des données \(CNIL, https:\/\/www\.cnil\.fr\)/);
    // One click objects, as before.
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const done = await b.post('/object', { _csrf: csrf });
    assert.equal(done.statusCode, 303);
  });

  it('records, once, that a signed-in member was shown the published notice', async (t) => {
    const { app, veto, version } = await published(t);
    const key = veto.registry.subjectKey({ kind: 'account', accountId: 'u-7' });
    assert.equal(await veto.notices.exposures.shownAt(key, version.id), null);
    const anonymous = new InjectBrowser(app);
    await anonymous.get('/');
    const b = new InjectBrowser(app, { 'accept-language': 'en' });
    const token = await signDemoToken(TEST_JWT_SECRET, { sub: 'u-7', lang: 'en' });
    await b.follow(await b.get(`/session?token=${encodeURIComponent(token)}&next=/`));
    const first = await veto.notices.exposures.shownAt(key, version.id);
    assert.ok(first, 'the view is recorded against the version');
    await b.get('/');
    assert.equal(
      await veto.notices.exposures.shownAt(key, version.id),
      first,
      'the first view counts',
    );
    const shown: string[] = [];
    for await (const k of veto.notices.exposures.exposuresBefore(
      version.id,
      '9999-01-01T00:00:00.000Z',
    ))
      shown.push(k);
    assert.deepEqual(shown, [key], 'nobody else, and no anonymous visitor');
  });

  it('serves the public notice for non-users and past versions with hash and date', async (t) => {
    const { app, veto, version } = await published(t);
    const draft = readNoticeDirectory(SAMPLE);
    draft.id = '2026-02';
    draft.policy = {
      name: 'demo',
      policy: {
        ...draft.policy!.policy,
        notice: { ...draft.policy!.policy.notice, version: '2026-02' },
      },
    };
    draft.texts = draft.texts.map((x) => ({
      ...x,
      markdown: x.markdown.replace('One click', 'A single click'),
      changes: `${x.changes} (2)`,
    }));
    await veto.notices.publish(draft, 'test');
    const b = new InjectBrowser(app);
    const current = await b.get('/notice');
    assert.equal(current.statusCode, 200);
    assert.match(current.body, /href="\/non-user"/);
    assert.match(current.body, /Object without an account/);
    assert.match(current.body, /href="\/notice\/2026-01"/);
    const old = await b.get('/notice/2026-01?lang=fr');
    assert.equal(old.statusCode, 200);
    assert.match(old.body, /Ceci est la version 2026-01 de l’information\. Elle a été remplacée\./);
    assert.match(old.body, new RegExp(version.texts.find((x) => x.language === 'fr')!.sha256));
    const missing = await new InjectBrowser(app).get('/notice/nope');
    assert.equal(missing.statusCode, 404);
    assert.match(missing.body, /There is no notice version with this name/);
  });

  it('passes axe-core in Chromium (/, /notice, /notice/<version>, both languages)', async (t) => {
    const CHROMIUM = '/usr/bin/chromium';
    if (!requireService('chromium', existsSync(CHROMIUM), `${CHROMIUM} is not installed`))
      return t.skip();
    const { app } = await published(t);
    const port = await freePort();
    await app.listen({ port, host: '127.0.0.1' });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    t.after(() => browser.close());
    const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
    for (const locale of ['en-GB', 'fr-FR']) {
      const context = await browser.newContext({ locale, bypassCSP: true });
      const page = await context.newPage();
      for (const path of ['/', '/notice', '/notice/2026-01']) {
        await page.goto(`http://127.0.0.1:${port}${path}`);
        await page.addScriptTag({ path: AXE });
        const result = (await page.evaluate(
          'axe.run(document, { resultTypes: ["violations"] })',
        )) as {
          violations: { id: string; help: string; nodes: { target: string[] }[] }[];
        };
        const summary = result.violations.map(
          (v) => `${v.id}: ${v.help} @ ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
        );
        assert.deepEqual(summary, [], `axe-core violations on ${locale} ${path}`);
      }
      await context.close();
    }
  });
});
