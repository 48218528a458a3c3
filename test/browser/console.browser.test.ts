import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { buildApp } from '../../src/http/app.ts';
import { assertNoAxeViolations, chromiumAvailable, launchChromium } from '../support/browser.ts';
import { startTestProvider, type TestProvider } from '../support/oidc-test-provider.ts';
import { freePort } from '../support/server-process.ts';
import { TEST_API_KEY, testVeto } from '../support/test-veto.ts';

/**
 * The staff console in a real browser (Debian's Chromium through playwright-core), in French and
 * in English, as a reviewer and as a viewer: signing in at a real OpenID Connect provider
 * (oidc-provider, its login form filled in the browser), reading the charts and their tables,
 * downloading a CSV, deciding a review. axe-core runs on every console page reached; screenshots
 * go to VETO_SCREENSHOT_DIR, or test-output/console-screenshots by default.
 */
const SHOTS =
  process.env.VETO_SCREENSHOT_DIR ??
  path.resolve(import.meta.dirname, '..', '..', 'test-output', 'console-screenshots');
const run = chromiumAvailable();

describe('console in Chromium', { skip: !run }, () => {
  let app: FastifyInstance;
  let provider: TestProvider;
  let browser: Browser;
  let base: string;
  const cleanups: (() => void | Promise<void>)[] = [];
  /** Pending objections to decide, one per language walked. */
  const pending: Record<string, string> = {};

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    provider = await startTestProvider({
      redirectUri: `${base}/console/callback`,
      roles: { vera: 'viewer', remi: ['viewer', 'reviewer'] },
    });
    const { veto } = await testVeto(
      { after: (fn) => cleanups.push(fn) },
      {
        publicUrl: base,
        reviewMode: true,
        staffOidcIssuer: provider.issuer,
        staffOidcClientId: provider.clientId,
        staffOidcClientSecret: provider.clientSecret,
      },
    );
    app = await buildApp(veto);
    for (const [i, lang] of ['fr', 'en', 'de', 'fr', 'en'].entries()) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/objections',
        headers: { authorization: `Bearer ${TEST_API_KEY}` },
        payload: { subject: { accountId: `acct-${i}` }, language: lang },
      });
      assert.equal(res.statusCode, 201, res.body);
      if (i < 2) pending[lang] = (res.json() as { reference: string }).reference;
    }
    await app.listen({ port, host: '127.0.0.1' });
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await provider?.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  async function newPage(locale: string): Promise<Page> {
    // bypassCSP only so the axe-core script can be injected; the app's own CSP stays in force.
    const context = await browser.newContext({
      locale,
      viewport: { width: 1280, height: 900 },
      bypassCSP: true,
      acceptDownloads: true,
    });
    return context.newPage();
  }

  const checked: string[] = [];
  async function axe(page: Page, name: string): Promise<void> {
    await assertNoAxeViolations(page, name);
    checked.push(name);
    await page.screenshot({
      path: path.join(SHOTS, `${name.replace(/[^a-z0-9]+/gi, '-')}.png`),
      fullPage: true,
    });
  }

  /** Signs in at the provider's own login form, as staff do; lands back on `path`. */
  async function signIn(page: Page, login: string, path: string): Promise<void> {
    await page.goto(`${base}${path}`);
    await page.waitForURL((u) => u.origin === provider.issuer);
    await page.fill('input[name="login"]', login);
    await page.fill('input[name="password"]', 'any');
    await page.locator('button[type="submit"]').first().click();
    await page.waitForURL(`${base}${path}`);
  }

  const walks = [
    {
      lang: 'fr',
      locale: 'fr-FR',
      overview: 'Vue d’ensemble',
      exports: 'Exports',
      reviews: 'File d’examen',
      decide: 'Enregistrer la décision',
      decided: /La décision est enregistrée/,
      forbidden: /Votre rôle ne permet pas/,
    },
    {
      lang: 'en',
      locale: 'en-GB',
      overview: 'Overview',
      exports: 'Exports',
      reviews: 'Review queue',
      decide: 'Record the decision',
      decided: /The decision is recorded/,
      forbidden: /Your role does not allow this/,
    },
  ];

  for (const w of walks) {
    it(`${w.lang}: a reviewer signs in, reads the charts, exports a CSV and decides a review`, async () => {
      const page = await newPage(w.locale);
      await signIn(page, 'remi', '/console');
      assert.equal(await page.getAttribute('html', 'lang'), w.lang);
      await page.getByRole('heading', { level: 1, name: w.overview }).waitFor();
      // Each chart is an SVG with its figures in a table beside it, for screen readers.
      const charts = await page.locator('main svg').count();
      assert.ok(charts >= 1, 'at least one chart');
      const perDay = page.locator('table').first();
      const total = (await perDay.locator('tbody tr td:last-child').allTextContents())
        .map((s) => Number(s.replace(/\D/g, '')))
        .reduce((a, b) => a + b, 0);
      assert.equal(total, 5, 'the objections-per-day table adds up to the objections recorded');
      await axe(page, `${w.lang} reviewer overview`);

      await page.getByRole('link', { name: w.exports, exact: true }).click();
      await page.waitForURL(`${base}/console/exports`);
      await axe(page, `${w.lang} reviewer exports`);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('a[href="/console/exports/objections.csv"]').click(),
      ]);
      const csv = readFileSync((await download.path())!, 'utf8')
        .trim()
        .split(/\r?\n/);
      assert.equal(csv.length, 1 + 5, 'header and one line per objection');
      assert.doesNotMatch(csv.join('\n'), /@/, 'no email address in the export');

      await page.getByRole('link', { name: w.reviews, exact: true }).click();
      await page.waitForURL(`${base}/console/reviews`);
      await axe(page, `${w.lang} reviewer review queue`);
      const ref = pending[w.lang]!;
      await page.getByRole('link', { name: ref }).click();
      await page.waitForURL(`${base}/console/objections/${ref}`);
      await axe(page, `${w.lang} reviewer objection`);
      await page.fill(
        '#reason',
        w.lang === 'fr' ? 'Aucun motif impérieux.' : 'No compelling grounds.',
      );
      await page.getByRole('button', { name: w.decide }).click();
      await page.waitForURL(`${base}/console/objections/${ref}?done=decided`);
      assert.match((await page.locator('main').textContent()) ?? '', w.decided);
      await axe(page, `${w.lang} reviewer decided`);
      await page.context().close();
    });

    it(`${w.lang}: a viewer reads figures but gets no decision form and no personal export`, async () => {
      const page = await newPage(w.locale);
      await signIn(page, 'vera', '/console/reviews');
      assert.equal(await page.getAttribute('html', 'lang'), w.lang);
      await axe(page, `${w.lang} viewer review queue`);
      await page.getByRole('link', { name: w.exports, exact: true }).click();
      await page.waitForURL(`${base}/console/exports`);
      assert.equal(await page.locator('a[href^="/console/exports/objections"]').count(), 0);
      await axe(page, `${w.lang} viewer exports`);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('a[href="/console/figures/objections-per-day.csv"]').click(),
      ]);
      const figures = readFileSync((await download.path())!, 'utf8');
      assert.match(figures.split(/\r?\n/)[0]!, /day/);

      for (const section of [
        'datasets',
        'recipients',
        'notices',
        'memorisation',
        'models',
        'records/art30',
      ]) {
        await page.goto(`${base}/console/${section}`);
        assert.equal(await page.getAttribute('html', 'lang'), w.lang);
        await axe(page, `${w.lang} viewer ${section}`);
      }

      const other = walks.find((x) => x.lang !== w.lang)!;
      await page.goto(`${base}/console/objections/${pending[other.lang]}`);
      assert.equal(await page.locator('textarea#reason').count(), 0, 'no decision form');
      await axe(page, `${w.lang} viewer objection`);
      const refused = await page.goto(`${base}/console/exports/objections.csv`);
      assert.equal(refused?.status(), 403);
      assert.match((await page.locator('main').textContent()) ?? '', w.forbidden);
      await axe(page, `${w.lang} viewer refused export`);
      await page.context().close();
    });
  }

  for (const w of walks) {
    it(`${w.lang}: the public transparency report, without a session`, async () => {
      const page = await newPage(w.locale);
      const res = await page.goto(`${base}/transparency`);
      assert.equal(res?.status(), 200);
      assert.equal(await page.getAttribute('html', 'lang'), w.lang);
      assert.ok((await page.locator('main table').count()) >= 1, 'the figures as a table');
      await axe(page, `${w.lang} public transparency report`);
      await page.context().close();
    });
  }

  it('ran axe-core on every console page walked, in both languages', () => {
    assert.ok(checked.length >= 30, `axe ran on ${checked.length} pages: ${checked.join(', ')}`);
  });
});
