import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { wireVeto } from '../../src/app/wire.ts';
import { loadConfig } from '../../src/config.ts';
import { signObjectLink } from '../../src/domain/notices/object-link.ts';
import { assertNoAxeViolations, chromiumAvailable, launchChromium } from '../support/browser.ts';
import { freePort, type ServerProcess, startServer } from '../support/server-process.ts';
import { tempDir } from '../support/temp.ts';
import { NOTICE_ITEMS_ENV, noticeEffectiveNow, runVeto } from '../support/veto-cli.ts';
import { VETO_BIN } from '../support/veto-command.ts';

/**
 * The one-click objection from the notice email, as a person meets it: `veto notices campaign`
 * sends the notice through a real SMTP server (in this process); the link read from each
 * message is opened in Chromium, in French and in English, without any session; one button;
 * the objection is recorded with channel `email-link`. A forwarded copy can only repeat that
 * objection: it shows nothing about the account and gives no way to withdraw or read the status.
 * axe-core runs on every page.
 */

function runVetoAsync(environment: Record<string, string>, ...args: string[]) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, [VETO_BIN, ...args], {
      env: { ...process.env, VETO_LOG_LEVEL: 'silent', ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}
const SECRET = 'object-link-secret-0123456789-0123456789-0123';
const PUBLIC_URL = 'https://veto.example';
const run = chromiumAvailable();

describe('one-click objection from the notice email', { skip: !run }, () => {
  let server: ServerProcess;
  let browser: Browser;
  let dir: string;
  let env: Record<string, string>;
  let smtp: SMTPServer;
  /** Every message each address received, in order. */
  const messages = new Map<string, string[]>();
  const cleanups: (() => void)[] = [];

  before(async () => {
    dir = tempDir({ after: (fn) => cleanups.push(fn) }, 'veto-object-link-');
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        let raw = '';
        stream.setEncoding('utf8');
        stream.on('data', (c: string) => {
          raw += c;
        });
        stream.on('end', () => {
          for (const r of session.envelope.rcptTo)
            messages.set(r.address, [...(messages.get(r.address) ?? []), raw]);
          callback();
        });
      },
    });
    const smtpPort = await freePort();
    await new Promise<void>((resolve) => smtp.listen(smtpPort, '127.0.0.1', resolve));
    env = {
      VETO_DATA_DIR: dir,
      VETO_DATABASE_URL: `sqlite:${path.join(dir, 'veto.db')}`,
      VETO_SECRET: SECRET,
      VETO_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      VETO_PUBLIC_URL: PUBLIC_URL,
      ...NOTICE_ITEMS_ENV,
    };
    const published = runVeto(env, 'notices', 'publish', noticeEffectiveNow(dir));
    assert.equal(published.code, 0, published.err);
    const users = path.join(dir, 'users.csv');
    writeFileSync(
      users,
      'account_id,email,language\nu-fr,camille@example.org,fr\nu-en,oliver@example.org,en\n',
    );
    // Asynchronously: the SMTP server answering it runs in this process.
    const campaign = await runVetoAsync(
      env,
      'notices',
      'campaign',
      '--version',
      '2026-01',
      '--users',
      users,
      '--rate',
      '100',
    );
    assert.equal(campaign.code, 0, campaign.err);
    assert.equal(messages.size, 2, campaign.out);
    server = await startServer(env);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.kill();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
    for (const fn of cleanups.reverse()) fn();
  });

  /** The one-click link in the message sent to `address` (quoted-printable undone). */
  function linkIn(address: string): URL {
    const raw = messages.get(address)![0]!.replace(/=\r?\n/g, '');
    const links = [
      ...new Set(
        raw.match(/https:\/\/veto\.example\/object-link\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g),
      ),
    ];
    assert.equal(links.length, 1, `one objection link in the message to ${address}`);
    return new URL(links[0]!);
  }

  /** The link as this test's server serves it (the campaign ran with the public URL). */
  const onServer = (link: URL) => `${server.url}${link.pathname}`;

  async function newPage(locale: string): Promise<Page> {
    // bypassCSP only so the axe-core script can be injected; the app's own CSP stays in force.
    const context = await browser.newContext({ locale, bypassCSP: true });
    return context.newPage();
  }

  async function objectionsOf(accountId: string) {
    const veto = await wireVeto(loadConfig({ logLevel: 'silent' }, env), {
      logger: pino({ level: 'silent' }),
    });
    try {
      return await veto.registry.objectionsOf({ kind: 'account', accountId });
    } finally {
      await veto.close();
    }
  }

  const cases = [
    {
      lang: 'fr',
      address: 'camille@example.org',
      account: 'u-fr',
      // The browser asks for English: the email's language wins.
      locale: 'en-GB',
      title: 'S’opposer à l’utilisation de vos contenus pour entraîner l’IA',
      button: 'Je m’oppose à l’utilisation de mes contenus',
      done: 'Votre opposition est enregistrée',
      // The receipt's links carry its language (quoted-printable writes = as =3D).
      receiptWord: /lang(=3D|=)fr\b/,
    },
    {
      lang: 'en',
      address: 'oliver@example.org',
      account: 'u-en',
      locale: 'fr-FR',
      title: 'Object to the use of your content for AI training',
      button: 'Object to the use of my content',
      done: 'Your objection is recorded',
      receiptWord: /lang(=3D|=)en\b/,
    },
  ];

  for (const c of cases) {
    it(`${c.lang}: one click in the email, one on the page, no sign-in; channel email-link`, async () => {
      const link = linkIn(c.address);
      assert.equal(link.origin, PUBLIC_URL);
      const page = await newPage(c.locale);
      await page.goto(onServer(link));
      assert.equal(await page.getAttribute('html', 'lang'), c.lang);
      assert.equal(await page.locator('h1').textContent(), c.title);
      // Nothing to fill in: one form, one button, no text field.
      assert.equal(await page.locator('main form').count(), 1);
      assert.equal(await page.locator('main input:not([type=hidden]), main textarea').count(), 0);
      await assertNoAxeViolations(page, `${c.lang} one-click objection page`);
      await page.getByRole('button', { name: c.button }).click();
      await page.waitForURL(/\/object-link\/done\?lang=[a-z]{2}$/);
      assert.equal(await page.locator('h1').textContent(), c.done);
      assert.equal(await page.getAttribute('html', 'lang'), c.lang);
      await assertNoAxeViolations(page, `${c.lang} one-click objection recorded`);
      // No session was opened: the status page knows nobody.
      await page.goto(`${server.url}/status`);
      assert.doesNotMatch(await page.content(), /VT-[0-9A-Z]{4}-/);

      const list = await objectionsOf(c.account);
      assert.equal(list.length, 1);
      assert.equal(list[0]!.channel, 'email-link');
      assert.equal(list[0]!.status, 'effective');
      assert.equal(list[0]!.purpose, 'ai-training');

      // The receipt goes to the address the notice was sent to (the link carries it encrypted),
      // in the email's language, with the objection's reference.
      const deadline = Date.now() + 30_000;
      while ((messages.get(c.address)?.length ?? 0) < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      const receipt = (messages.get(c.address) ?? [])[1]?.replace(/=\r?\n/g, '') ?? '';
      assert.match(receipt, /VT-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/, `a receipt to ${c.address}`);
      assert.match(receipt, c.receiptWord);
      // The address never shows in the link itself.
      assert.ok(
        !link.href.includes(c.address.split('@')[0]!),
        'the address is not readable in the link',
      );
    });
  }

  it('a forwarded link only repeats that objection: it shows nothing, withdraws nothing', async () => {
    const link = linkIn('camille@example.org');
    // Someone else's browser, another language, hours later: the same page as for anyone.
    const page = await newPage('de-DE');
    await page.goto(onServer(link));
    const body = (await page.locator('main').textContent()) ?? '';
    assert.doesNotMatch(body, /u-fr|camille|VT-|\d{4}-\d\d-\d\d/i);
    await page.locator('main button[type=submit]').click();
    await page.waitForURL(/\/object-link\/done\?lang=[a-z]{2}$/);
    // Still exactly one objection, still effective: a click cannot withdraw it.
    const list = await objectionsOf('u-fr');
    assert.equal(list.length, 1);
    assert.equal(list[0]!.status, 'effective');
    // The done page has no reference, no status or withdrawal link.
    const html = await page.content();
    assert.doesNotMatch(html, /VT-[0-9A-Z]{4}-|\/status\/|\/withdraw\//);
    // The token opens nothing else: not a session, not the status pages.
    const token = link.pathname.split('/').at(-1)!;
    for (const p of [`/status?t=${token}`, `/session?token=${token}`]) {
      const r = await fetch(`${server.url}${p}`, { redirect: 'manual' });
      assert.doesNotMatch(await r.text(), /VT-[0-9A-Z]{4}-/, p);
    }
  });

  it('an altered or expired link is refused with a page that says so, and records nothing', async () => {
    const link = linkIn('oliver@example.org');
    const [body, mac] = link.pathname.split('/').at(-1)!.split('.');
    // The same claims for another account, with the old signature: refused.
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...claims, a: 'u-victim' })).toString('base64url');
    const expired = signObjectLink(SECRET, {
      accountId: 'u-late',
      purpose: 'ai-training',
      version: '2026-01',
      language: 'en',
      expiresAt: new Date(Date.now() - 60_000).toISOString(),
    });
    for (const token of [`${forged}.${mac}`, expired, 'not-a-token']) {
      const page = await newPage('en-GB');
      const res = await page.goto(`${server.url}/object-link/${token}`);
      assert.equal(res?.status(), 400, token);
      assert.equal(await page.locator('h1').textContent(), 'This link no longer works');
      assert.equal(await page.locator('main form').count(), 0);
      await assertNoAxeViolations(page, 'refused objection link');
      const posted = await fetch(`${server.url}/object-link/${token}`, { method: 'POST' });
      assert.ok(posted.status >= 400, `POST ${token}: ${posted.status}`);
    }
    assert.equal((await objectionsOf('u-victim')).length, 0);
    assert.equal((await objectionsOf('u-late')).length, 0);
  });
});
