import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { buildApp } from '../../src/http/app.ts';
import { createSmtpMailer } from '../../src/mail/nodemailer-mailer.ts';
import { assertNoAxeViolations, chromiumAvailable, launchChromium } from '../support/browser.ts';
import { freePort } from '../support/server-process.ts';
import { testVeto } from '../support/test-veto.ts';

/**
 * The portal in a real browser (Debian's Chromium through playwright-core): the signed-in flow
 * from the demo platform and the non-user flow with a code read from a real SMTP message, in
 * French and in English, with axe-core on every page reached. Set VETO_SCREENSHOT_DIR to keep
 * desktop and mobile screenshots of the main pages.
 */
const SHOTS = process.env.VETO_SCREENSHOT_DIR;
const run = chromiumAvailable();

interface Mail {
  to: string[];
  raw: string;
}

/**
 * The message with its parts' transfer encodings undone (quoted-printable and base64), enough
 * to read a subject line, a code and a link without a MIME parser.
 */
function readable(raw: string): string {
  const base64 = raw.replace(
    /Content-Transfer-Encoding: base64\r?\n((?:[^\r\n]+\r?\n)*?)\r?\n([A-Za-z0-9+/=\r\n]+)/gi,
    (_, headers: string, body: string) =>
      `${headers}\n${Buffer.from(body.replace(/\s/g, ''), 'base64').toString('utf8')}\n`,
  );
  const qp = base64
    .replace(/=\r?\n/g, '')
    .replace(/(?:=[0-9A-F]{2})+/g, (run) =>
      Buffer.from(run.replace(/=/g, ''), 'hex').toString('utf8'),
    );
  return qp;
}

describe('portal in Chromium', { skip: !run }, () => {
  const mails: Mail[] = [];
  let smtp: SMTPServer;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  const cleanups: (() => void | Promise<void>)[] = [];

  before(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        let raw = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          raw += chunk;
        });
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: readable(raw) });
          callback();
        });
      },
    });
    const smtpPort = await freePort();
    await new Promise<void>((resolve) => smtp.listen(smtpPort, '127.0.0.1', resolve));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const smtpUrl = `smtp://127.0.0.1:${smtpPort}`;
    const { veto } = await testVeto(
      { after: (fn) => cleanups.push(fn) },
      { demo: true, publicUrl: base, smtpUrl },
      { mailer: createSmtpMailer(smtpUrl, 'Veto <no-reply@veto.test>') },
    );
    veto.dispatcher.start();
    app = await buildApp(veto);
    await app.listen({ port, host: '127.0.0.1' });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    for (const fn of cleanups.reverse()) await fn();
    await new Promise<void>((resolve) => smtp?.close(() => resolve()));
  });

  async function newPage(locale: string, width = 1280, height = 900): Promise<Page> {
    // bypassCSP only so the axe-core script can be injected; the app's own CSP stays in force.
    const context = await browser.newContext({
      locale,
      viewport: { width, height },
      bypassCSP: true,
    });
    return context.newPage();
  }

  const checked: string[] = [];
  async function axe(page: Page, name: string): Promise<void> {
    await assertNoAxeViolations(page, name);
    checked.push(name);
  }

  async function shot(page: Page, name: string): Promise<void> {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }

  async function mailTo(address: string, pattern: RegExp): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const found = mails
        .filter((m) => m.to.includes(address))
        .map((m) => m.raw)
        .find((raw) => pattern.test(raw));
      if (found) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no email to ${address} matching ${pattern}`);
  }

  const flows = [
    {
      lang: 'fr',
      locale: 'fr-FR',
      account: 'demo-amelie',
      accountEmail: 'amelie@demo.example',
      object: 'Je m’oppose à l’utilisation de mes contenus',
      receipt: 'Votre opposition est enregistrée',
      statusLink: 'Voir où en est votre opposition',
      withdraw: 'Retirer mon opposition',
      confirm: 'Oui, retirer mon opposition',
      withdrawn: /Retirée le/,
      sendCode: 'M’envoyer un code',
      nonUserSubmit: 'Je m’oppose à l’utilisation des contenus me concernant',
      codeMail: /Votre code pour/,
      codeIn: /code à usage unique est (\d{6})/,
      receiptMail: /Subject: .*(VT-[0-9A-Z-]{14})/,
      wrongCode: 'Ce code n’est pas correct',
    },
    {
      lang: 'en',
      locale: 'en-GB',
      account: 'demo-oliver',
      accountEmail: 'oliver@demo.example',
      object: 'Object to the use of my content',
      receipt: 'Your objection is recorded',
      statusLink: 'See the status of your objection',
      withdraw: 'Withdraw my objection',
      confirm: 'Yes, withdraw my objection',
      withdrawn: /Withdrawn on/,
      sendCode: 'Send me a code',
      nonUserSubmit: 'Object to the use of content about me',
      codeMail: /Your code for/,
      codeIn: /one-time code is (\d{6})/,
      receiptMail: /Subject: .*(VT-[0-9A-Z-]{14})/,
      wrongCode: 'This code is not correct',
    },
  ];

  for (const f of flows) {
    it(`signed-in flow in ${f.lang}: demo platform, one-click objection, receipt, status, withdrawal`, async () => {
      const page = await newPage(f.locale);
      await page.goto(`${base}/demo`);
      await axe(page, `${f.lang} demo (visitor)`);
      await page.selectOption('#account', f.account);
      await page
        .getByRole('button', { name: f.lang === 'fr' ? 'Changer de compte' : 'Switch account' })
        .click();
      await page.waitForURL(`${base}/demo/`);
      assert.equal(await page.getAttribute('html', 'lang'), f.lang);
      await axe(page, `${f.lang} demo (member)`);
      await shot(page, `${f.lang}-demo`);

      await page.locator('.demo-banner a').click();
      await page.waitForURL(`${base}/`);
      assert.equal(await page.getAttribute('html', 'lang'), f.lang);
      await axe(page, `${f.lang} notice (signed in)`);
      await shot(page, `${f.lang}-notice`);

      await page.getByRole('button', { name: f.object }).click();
      await page.waitForURL(/\/receipt\/VT-/);
      await page.getByRole('heading', { level: 1, name: f.receipt }).waitFor();
      const ref = page.url().match(/VT-[0-9A-Z-]{14}/)![0];
      await axe(page, `${f.lang} receipt`);
      await shot(page, `${f.lang}-receipt`);
      const receiptMail = await mailTo(f.accountEmail, new RegExp(ref));
      assert.match(receiptMail, new RegExp(`/status/${ref}\\?t=`));

      await page.getByRole('link', { name: f.statusLink }).click();
      await page.waitForURL(new RegExp(`/status/${ref}`));
      await axe(page, `${f.lang} status`);
      await page.getByRole('link', { name: f.withdraw }).click();
      await page.waitForURL(new RegExp(`/withdraw/${ref}`));
      await axe(page, `${f.lang} withdraw confirmation`);
      await page.getByRole('button', { name: f.confirm }).click();
      await page.waitForURL(new RegExp(`/status/${ref}`));
      assert.match((await page.locator('main').textContent()) ?? '', f.withdrawn);
      await axe(page, `${f.lang} status (withdrawn)`);

      // The language switcher (a <details> disclosure) keeps the person on the same page.
      const other = f.lang === 'fr' ? 'en' : 'fr';
      await page.locator('.languages summary').click();
      await page.locator(`.languages a[hreflang="${other}"]`).click();
      await page.waitForURL(new RegExp(`/status/${ref}\\?.*lang=${other}`));
      assert.equal(await page.getAttribute('html', 'lang'), other);
      await page.context().close();
    });

    it(`non-user flow in ${f.lang}: email, code from a real SMTP message, places, receipt`, async () => {
      const page = await newPage(f.locale, 375, 812);
      const email = `camille.${f.lang}@example.org`;
      await page.goto(`${base}/`);
      await axe(page, `${f.lang} notice (signed out)`);
      await shot(page, `${f.lang}-notice-mobile`);
      await page.locator('.object-block .non-user-route a').click();
      await page.waitForURL(`${base}/non-user`);
      await axe(page, `${f.lang} non-user email step`);

      // A mistyped address is explained next to the field.
      await page.fill('#email', 'camille-at-example');
      await page.getByRole('button', { name: f.sendCode }).click();
      await page.locator('#email-error').waitFor();
      await axe(page, `${f.lang} non-user email error`);

      await page.fill('#email', email);
      await page.getByRole('button', { name: f.sendCode }).click();
      await page.waitForURL(`${base}/non-user/verify`);
      await axe(page, `${f.lang} non-user code step`);
      const codeMail = await mailTo(email, f.codeMail);
      const code = codeMail.match(f.codeIn)?.[1];
      assert.ok(code, 'code in the email');

      await page.fill('#code', code === '000000' ? '999999' : '000000');
      await page.getByRole('button', { name: f.nonUserSubmit }).click();
      await page.getByText(f.wrongCode).first().waitFor();
      await axe(page, `${f.lang} non-user wrong code`);
      await shot(page, `${f.lang}-code-error-mobile`);

      await page.fill('#code', code);
      await page.fill('#appearsAt', '@camille\nhttps://demo.example/posts/p1');
      await page.getByRole('button', { name: f.nonUserSubmit }).click();
      await page.waitForURL(/\/receipt\/VT-/);
      const ref = page.url().match(/VT-[0-9A-Z-]{14}/)![0];
      assert.match((await page.locator('main').textContent()) ?? '', /@camille/);
      await axe(page, `${f.lang} non-user receipt`);
      await shot(page, `${f.lang}-receipt-mobile`);
      await mailTo(email, new RegExp(ref));
      await page.context().close();
    });
  }

  // Scripts other than Latin (Greek, Cyrillic) and the 24-language switcher, open
  // and operated with the keyboard alone.
  for (const [lang, locale] of [
    ['el', 'el-GR'],
    ['bg', 'bg-BG'],
    ['de', 'de-AT'],
  ] as const) {
    it(`${lang} pages and the language switcher pass axe-core`, async () => {
      const page = await newPage(locale);
      for (const path of ['/', '/non-user', '/status', '/docs/api']) {
        await page.goto(`${base}${path}`);
        assert.equal(await page.getAttribute('html', 'lang'), lang, path);
        await axe(page, `${lang} ${path}`);
      }
      await page.goto(`${base}/demo`);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      await axe(page, `${lang} demo`);
      await shot(page, `${lang}-demo`);

      await page.goto(`${base}/status?x=1`);
      const links = page.locator('.languages a[hreflang]');
      assert.equal(await links.count(), 24, 'one link per official EU language');
      assert.equal(await links.first().isVisible(), false, 'the list starts folded');
      await page.locator('.languages summary').focus();
      await page.keyboard.press('Enter');
      await page.locator('.languages a[hreflang="fr"]').waitFor();
      await axe(page, `${lang} language switcher (open)`);
      await shot(page, `${lang}-switcher`);
      await page.locator('.languages a[hreflang="fr"]').focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/status\?x=1&lang=fr$/);
      assert.equal(await page.getAttribute('html', 'lang'), 'fr');
      await page.context().close();
    });
  }

  it('ran axe-core on every page of both flows in both languages', () => {
    assert.ok(checked.length >= 44, `axe ran on ${checked.length} pages: ${checked.join(', ')}`);
  });
});
