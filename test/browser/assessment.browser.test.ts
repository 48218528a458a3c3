import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { parseAssessmentText } from '../../src/domain/assessment/assessment-text.ts';
import { readNoticeDirectory } from '../../src/domain/notices/notice-files.ts';
import { loadPolicy } from '../../src/gate/policy.ts';
import { buildApp } from '../../src/http/app.ts';
import { assertNoAxeViolations, chromiumAvailable, launchChromium } from '../support/browser.ts';
import { freePort } from '../support/server-process.ts';
import { testVeto } from '../support/test-veto.ts';

/**
 * The legitimate-interest assessment's public summary in Chromium, with JavaScript off: reached
 * from the public notice, in French and in English, with axe-core on both pages.
 */
const DEMO_POLICY = fileURLToPath(new URL('../../policies/demo.yaml', import.meta.url));
const DEMO_TEXT = fileURLToPath(new URL('../../policies/demo-assessment.yaml', import.meta.url));
const NOTICE_DIR = fileURLToPath(new URL('../../notices/2026-01', import.meta.url));
const run = chromiumAvailable();

describe('the assessment summary in Chromium', { skip: !run }, () => {
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
    await veto.notices.publish(readNoticeDirectory(NOTICE_DIR), 'test');
    await veto.assessments.record(
      await loadPolicy(DEMO_POLICY),
      parseAssessmentText(readFileSync(DEMO_TEXT, 'utf8'), DEMO_TEXT),
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

  async function newPage(locale: string, javaScriptEnabled: boolean): Promise<Page> {
    // bypassCSP only so axe-core can be injected; the app's own CSP stays in force.
    const context = await browser.newContext({ locale, javaScriptEnabled, bypassCSP: true });
    return context.newPage();
  }

  for (const f of [
    {
      lang: 'fr',
      link: 'Comment nous avons mis en balance notre intérêt et vos droits (évaluation de l’intérêt légitime)',
      heading: 'Évaluation de l’intérêt légitime : synthèse',
      summary: /Nous utilisons les publications et commentaires publics/,
    },
    {
      lang: 'en',
      link: 'How we weighed our interest against your rights (legitimate-interest assessment)',
      heading: 'Legitimate-interest assessment: summary',
      summary: /We use public posts and comments/,
    },
  ]) {
    it(`${f.lang}: from the notice to the summary without JavaScript; axe-core 0`, async () => {
      // The way a reader without JavaScript goes: the notice's link, then the summary.
      const plain = await newPage(f.lang, false);
      await plain.goto(`${base}/notice`);
      assert.equal(await plain.getAttribute('html', 'lang'), f.lang);
      await plain.getByRole('link', { name: f.link }).click();
      await plain.waitForURL(/\/assessment/);
      assert.equal(await plain.getByRole('heading', { level: 1 }).textContent(), f.heading);
      assert.match((await plain.locator('main').textContent()) ?? '', f.summary);
      await plain.context().close();
      // axe-core is a script: it runs on the same pages in a context with JavaScript.
      const page = await newPage(f.lang, true);
      await page.goto(`${base}/notice`);
      await assertNoAxeViolations(page, `${f.lang} notice`);
      await page.goto(`${base}/assessment`);
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), f.heading);
      await assertNoAxeViolations(page, `${f.lang} assessment`);
      await page.context().close();
    });
  }
});
