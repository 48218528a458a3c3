import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { buildDataset } from '../../src/gate/build.ts';
import { buildApp } from '../../src/http/app.ts';
import { verifyExclusionProof } from '../../src/transparency/dataset-exclusion.ts';
import { parseVrfPublicKey } from '../../src/transparency/rsa-fdh-vrf.ts';
import { jsonl, record, writePolicy, writeSnapshot } from '../gate/support/fixtures.ts';
import { everyoneShown } from '../removals/support/fixture.ts';
import { assertNoAxeViolations, chromiumAvailable, launchChromium } from '../support/browser.ts';
import { freePort } from '../support/server-process.ts';
import { testVeto } from '../support/test-veto.ts';

/**
 * "Am I in the dataset?" in Chromium, in French and in English: a demo account signs in from
 * the demo platform, opens the datasets page, downloads the proof for its account (a plain link,
 * no script) and the proof checks against the published key: Amélie wrote a post in the dataset
 * (in), Oliver did not (not in). axe-core finds nothing on the page.
 */
const run = chromiumAvailable();

describe('download and check an exclusion proof in Chromium', { skip: !run }, () => {
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  const cleanups: (() => void | Promise<void>)[] = [];

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const { veto, dir } = await testVeto(
      { after: (fn) => cleanups.push(fn) },
      { demo: true, publicUrl: base },
    );
    const input = path.join(dir, 'export.jsonl');
    writeFileSync(
      input,
      jsonl([
        record({ id: 'p1', author_id: 'demo-amelie' }),
        record({ id: 'p2', author_id: 'someone-else' }),
      ]),
    );
    const sealed = await buildDataset({
      policy: await writePolicy(dir),
      inputs: [input],
      outDir: path.join(dir, 'datasets'),
      objectors: { snapshot: await writeSnapshot(dir, []) },
      registry: everyoneShown(veto.gate),
      workers: 0,
      datasetId: 'ds_browser',
      exclusionKey: veto.exclusionKeys().current,
    });
    if (sealed.status !== 'sealed') throw sealed.error;
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
      heading: 'Vérifiez par vous-même',
      link: 'Télécharger la preuve pour le jeu de données ds_browser',
      result: 'included',
    },
    {
      lang: 'en',
      locale: 'en-GB',
      account: 'demo-oliver',
      switch: 'Switch account',
      heading: 'Check it yourself',
      link: 'Download the proof for dataset ds_browser',
      result: 'not-included',
    },
  ];

  for (const f of flows) {
    it(`${f.lang}: the datasets page offers the proof, and it checks (${f.result})`, async () => {
      const context = await browser.newContext({ locale: f.locale, bypassCSP: true });
      const page = await context.newPage();
      await page.goto(`${base}/demo`);
      await page.selectOption('#account', f.account);
      await page.getByRole('button', { name: f.switch }).click();
      await page.waitForURL(`${base}/demo/`);
      await page.locator('.demo-banner a').click();
      await page.waitForURL(`${base}/`);
      await page.goto(`${base}/datasets`);
      assert.equal(await page.getAttribute('html', 'lang'), f.lang);
      await page.getByRole('heading', { level: 2, name: f.heading }).waitFor();
      assert.match(
        (await page.locator('pre').textContent()) ?? '',
        /veto dataset verify-exclusion exclusion-proof\.json --key key\.json/,
      );
      assert.equal(await page.locator('script').count(), 0, 'the page needs no script');
      await assertNoAxeViolations(page, `${f.lang} datasets`);

      const link = page.getByRole('link', { name: f.link });
      const res = await context.request.get(
        new URL((await link.getAttribute('href'))!, base).toString(),
      );
      assert.equal(res.status(), 200);
      const key = (await (
        await context.request.get(`${base}/v1/transparency/exclusion-key`)
      ).json()) as {
        publicKey: string;
      };
      const check = verifyExclusionProof(await res.text(), parseVrfPublicKey(key.publicKey));
      assert.ok(check.ok, check.lines.join('\n'));
      assert.equal(check.result, f.result);
      await context.close();
    });
  }

  it('signed out, there is no proof to download', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const r = await context.request.get(`${base}/datasets/ds_browser/exclusion-proof`);
    assert.equal(r.status(), 401);
    await context.close();
  });
});
