import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { buildApp } from '../../src/http/app.ts';
import { verifyReceiptProof } from '../../src/transparency/receipt-proof.ts';
import { assertNoAxeViolations, chromiumAvailable, launchChromium } from '../support/browser.ts';
import { freePort } from '../support/server-process.ts';
import { testVeto } from '../support/test-veto.ts';

/**
 * "Check my receipt" in Chromium, in French and in English: object from the demo platform, open
 * the receipt's proof page, see it verified by the server, download the proof and check it
 * here against the published key; axe-core finds nothing on either page, and the page carries
 * no script (the check is the server's).
 */
const run = chromiumAvailable();

describe('check my receipt in Chromium', { skip: !run }, () => {
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  const cleanups: (() => void | Promise<void>)[] = [];

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const { veto } = await testVeto(
      { after: (fn) => cleanups.push(fn) },
      { demo: true, publicUrl: base },
    );
    app = await buildApp(veto);
    await app.listen({ port, host: '127.0.0.1' });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  const flows = [
    {
      lang: 'fr',
      locale: 'fr-FR',
      account: 'demo-amelie',
      switch: 'Changer de compte',
      object: 'Je m’oppose à l’utilisation de mes contenus',
      link: 'Vérifier mon accusé de réception : la preuve que votre opposition figure dans le journal public',
      title: 'Vérifier mon accusé de réception',
      ok: /Vérifié : votre opposition figure dans le journal public du registre/,
      yourself: 'Vérifiez vous-même',
    },
    {
      lang: 'en',
      locale: 'en-GB',
      account: 'demo-oliver',
      switch: 'Switch account',
      object: 'Object to the use of my content',
      link: 'Check my receipt: proof that your objection is in the public log',
      title: 'Check my receipt',
      ok: /Verified: your objection is in the registry’s public log/,
      yourself: 'Check it yourself',
    },
  ];

  for (const f of flows) {
    it(`${f.lang}: object, open "check my receipt", see it verified`, async () => {
      const context = await browser.newContext({ locale: f.locale, bypassCSP: true });
      const page = await context.newPage();
      await page.goto(`${base}/demo`);
      await page.selectOption('#account', f.account);
      await page.getByRole('button', { name: f.switch }).click();
      await page.waitForURL(`${base}/demo/`);
      await page.locator('.demo-banner a').click();
      await page.waitForURL(`${base}/`);
      await page.getByRole('button', { name: f.object }).click();
      await page.waitForURL(/\/receipt\/VT-/);
      const ref = page.url().match(/VT-[0-9A-Z-]{14}/)![0];
      await assertNoAxeViolations(page, `${f.lang} receipt`);

      await page.getByRole('link', { name: f.link }).click();
      await page.waitForURL(new RegExp(`/receipt/${ref}/proof`));
      assert.equal(await page.getAttribute('html', 'lang'), f.lang);
      await page.getByRole('heading', { level: 1, name: f.title }).waitFor();
      assert.match((await page.locator('[role=status]').textContent()) ?? '', f.ok);
      await page.getByRole('heading', { level: 2, name: f.yourself }).waitFor();
      assert.match(
        (await page.locator('pre').textContent()) ?? '',
        /veto receipt verify receipt-proof-VT-/,
      );
      assert.equal(await page.locator('script').count(), 0, 'the page needs no script');
      await assertNoAxeViolations(page, `${f.lang} check my receipt`);

      // The download is the proof itself; checked here as anyone would, with the published key.
      const href = await page.locator('a[download]').getAttribute('href');
      const res = await context.request.get(new URL(href!, base).toString());
      assert.equal(res.status(), 200);
      const keys = (await (await context.request.get(`${base}/v1/transparency/keys`)).json()) as {
        log: string;
      };
      const check = verifyReceiptProof(await res.json(), [keys.log]);
      assert.ok(check.ok, check.lines.join('\n'));
      assert.equal(check.reference, ref);
      await context.close();
    });
  }

  it('someone else gets no proof page for a reference that is not theirs', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const r = await context.request.get(`${base}/receipt/VT-AAAA-BBBB-CCCC/proof`);
    assert.equal(r.status(), 404);
    await context.close();
  });
});
