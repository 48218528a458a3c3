import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import type { Veto } from '../../src/app/wire.ts';
import type { Objection } from '../../src/domain/types.ts';
import { buildDataset } from '../../src/gate/build.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { buildApp } from '../../src/http/app.ts';
import { writeSnapshotFile } from '../../src/registry-files/snapshot-file.ts';
import { verifyTermsProof } from '../../src/transparency/terms-commitment.ts';
import { jsonl, record, writePolicy } from '../gate/support/fixtures.ts';
import { recordTestSnapshot } from '../gate/support/memory-registry.ts';
import { everyoneShown } from '../removals/support/fixture.ts';
import { assertNoAxeViolations, chromiumAvailable, launchChromium } from '../support/browser.ts';
import { freePort } from '../support/server-process.ts';
import { testVeto } from '../support/test-veto.ts';

/**
 * "Which datasets applied my objection?" for a person without an account, in Chromium, in French
 * and in English: from the receipt (with its status token) to the list of datasets, to the proof
 * of one that applied it (verified by the server, downloaded with a plain link and checked here
 * against the manifest), and the page of one that did not. axe-core finds nothing on any page,
 * and none carries a script.
 */
const run = chromiumAvailable();

describe('terms proofs from a non-user’s receipt in Chromium', { skip: !run }, () => {
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  let veto: Veto;
  let objection: Objection;
  let applied: DatasetManifest;
  const cleanups: (() => void | Promise<void>)[] = [];

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const wired = await testVeto(
      { after: (fn) => cleanups.push(fn) },
      { demo: true, publicUrl: base },
    );
    veto = wired.veto;
    const dir = wired.dir;
    const input = path.join(dir, 'export.jsonl');
    writeFileSync(input, jsonl([record({ id: 'p1', text: 'Lunch with Camille Dupont' })]));
    const seal = async (datasetId: string) => {
      const asOf = new Date().toISOString();
      const snapshot = path.join(dir, `${datasetId}.snap`);
      recordTestSnapshot(
        await writeSnapshotFile(
          snapshot,
          { id: `snap_${datasetId}`, purpose: 'ai-training', asOf },
          [],
        ),
      );
      const r = await buildDataset({
        policy: await writePolicy(dir),
        inputs: [input],
        outDir: path.join(dir, 'datasets'),
        objectors: { snapshot },
        registry: everyoneShown(veto.gate),
        workers: 0,
        datasetId,
        termsKey: veto.termsKey(),
      });
      if (r.status !== 'sealed') throw r.error;
      return r.manifest;
    };
    await seal('ds_before');
    objection = (
      await veto.registry.object({
        subject: { kind: 'email', email: 'camille@example.org' },
        channel: 'portal',
        language: 'fr',
        appearsAt: ['Camille Dupont', '@camille'],
      })
    ).objection;
    await new Promise((r) => setTimeout(r, 5));
    applied = await seal('ds_after');
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
      link: 'Voir quels jeux de données ont appliqué votre opposition, avec des preuves que vous pouvez vérifier',
      list: 'Jeux de données qui ont appliqué votre opposition',
      dataset: 'Jeu de données ds_after',
      ok: /Vérifié : votre opposition figure sur la liste/,
      not: /Votre opposition ne figure pas sur la liste de ce jeu de données/,
    },
    {
      lang: 'en',
      locale: 'en-GB',
      link: 'Check which datasets applied your objection, with proofs you can verify',
      list: 'Datasets that applied your objection',
      dataset: 'Dataset ds_after',
      ok: /Verified: your objection is on the list/,
      not: /Your objection is not on this dataset’s list/,
    },
  ];

  for (const f of flows) {
    it(`${f.lang}: receipt → datasets → proof, checked; a dataset that did not apply it`, async () => {
      const context = await browser.newContext({ locale: f.locale, bypassCSP: true });
      const page = await context.newPage();
      const token = veto.registry.statusToken(objection);
      await page.goto(`${base}/receipt/${objection.reference}?t=${token}`);
      assert.equal(await page.getAttribute('html', 'lang'), f.lang);
      await page.getByRole('link', { name: f.link }).click();
      await page.waitForURL(new RegExp(`/receipt/${objection.reference}/terms-proof\\?t=`));
      await page.getByRole('heading', { level: 1, name: f.list }).waitFor();
      assert.equal(await page.locator('script').count(), 0, 'the page needs no script');
      await assertNoAxeViolations(page, `${f.lang} terms list`);

      await page.getByRole('link', { name: f.dataset }).click();
      await page.waitForURL(/\/terms-proof\/ds_after\?t=/);
      assert.match((await page.locator('[role=status]').textContent()) ?? '', f.ok);
      assert.match(
        (await page.locator('pre').textContent()) ?? '',
        /veto dataset verify-terms terms-proof-ds_after\.json/,
      );
      assert.equal(await page.locator('script').count(), 0, 'the page needs no script');
      await assertNoAxeViolations(page, `${f.lang} terms proof`);
      const href = await page.locator('a[download]').getAttribute('href');
      const res = await context.request.get(new URL(href!, base).toString());
      assert.equal(res.status(), 200);
      const check = verifyTermsProof(await res.text(), {
        datasetId: 'ds_after',
        commitment: applied.terms!,
      });
      assert.equal(check.ok, true, check.lines.join('; '));

      await page.goto(`${base}/receipt/${objection.reference}/terms-proof/ds_before?t=${token}`);
      assert.match((await page.locator('[role=status]').textContent()) ?? '', f.not);
      await assertNoAxeViolations(page, `${f.lang} terms not applied`);
      await context.close();
    });
  }
});
