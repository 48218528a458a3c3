import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, launchChromium } from '../support/browser.ts';
import { type ServerProcess, startServer } from '../support/server-process.ts';
import { tempDir } from '../support/temp.ts';
import { runVeto } from '../support/veto-cli.ts';

/**
 * The README's walkthrough, as a newcomer runs it: `veto serve --demo` as a real process, the
 * demo platform in Chromium (Amélie is shown the notice, Oliver objects with the one button),
 * then `veto gate build` as its own process with the demo policy (worker threads, names
 * redacted) on the shipped example export. The decisions are the ones the README describes.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = chromiumAvailable();

describe('the README walkthrough: a demo objection to a sealed dataset', { skip: !run }, () => {
  let server: ServerProcess;
  let browser: Browser;
  let dir: string;
  let env: Record<string, string>;
  const cleanups: (() => void)[] = [];

  before(async () => {
    dir = tempDir({ after: (fn) => cleanups.push(fn) }, 'veto-walkthrough-');
    env = {
      VETO_DATA_DIR: dir,
      VETO_DATABASE_URL: `sqlite:${path.join(dir, 'veto.db')}`,
      // The README's documented override for the demo's notice period floor.
      VETO_NOTICE_FLOOR_DAYS: '0',
    };
    server = await startServer(env, ['--demo']);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.kill();
    for (const fn of cleanups.reverse()) fn();
  });

  async function signIn(account: string) {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${server.url}/demo`);
    await page.selectOption('#account', account);
    await page.getByRole('button', { name: 'Switch account' }).click();
    await page.waitForURL(`${server.url}/demo/`);
    await page.locator('.demo-banner a').click();
    await page.waitForURL((u) => !u.pathname.startsWith('/demo'));
    return page;
  }

  it('Amélie is shown the notice, Oliver objects, the build keeps and drops what the README says', async () => {
    await signIn('demo-amelie');
    const oliver = await signIn('demo-oliver');
    await oliver.getByRole('button', { name: 'Object to the use of my content' }).click();
    await oliver.getByText('Your objection is recorded').first().waitFor();

    const out = path.join(dir, 'datasets');
    const args = [
      'gate',
      'build',
      '--policy',
      path.join(ROOT, 'policies/demo.yaml'),
      '--input',
      path.join(ROOT, 'examples/demo-export.jsonl'),
      '--out',
      out,
      '--workers',
      '2',
    ];
    // Without the documented override the demo policy's notice period (0 days) is refused.
    const { VETO_NOTICE_FLOOR_DAYS: _override, ...strict } = env;
    const refused = runVeto(strict, ...args);
    assert.equal(refused.code, 2, refused.out);
    assert.match(refused.err, /below the notice-period floor of 28 days/);

    const r = runVeto(env, ...args);
    assert.equal(r.code, 0, `veto gate build failed:\n${r.out}\n${r.err}`);
    assert.match(r.err, /notice-period floor 0 days, set by VETO_NOTICE_FLOOR_DAYS/);
    const [name] = readdirSync(out).filter((d) => !d.endsWith('.partial'));
    assert.ok(name, `no sealed dataset in ${out}: ${readdirSync(out).join(', ')}`);
    const data = readFileSync(path.join(out, name, 'data.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; text: string });
    const kept = new Map(data.map((d) => [d.id, d.text]));
    assert.ok(kept.has('post-1'), 'Amélie’s public post is kept');
    assert.doesNotMatch(kept.get('post-1') ?? '', /Camille Martin/, 'the third party is redacted');
    assert.ok(!kept.has('post-2'), 'Oliver’s post is dropped');
    assert.ok(!kept.has('post-3'), 'Léa’s post (a minor) is dropped');
    const manifest = JSON.parse(readFileSync(path.join(out, name, 'manifest.json'), 'utf8'));
    // Oliver wrote three records of the sample export (post-2, post-5, post-7): all dropped.
    assert.equal(manifest.counts.objected, 3);
    assert.equal(manifest.counts.minor, 1);
    assert.equal(manifest.noticePeriod.floorDays, 0);
    assert.ok(manifest.noticePeriod.announcedAt, 'the announced date is in the manifest');
    // `serve --demo` recorded the demo policy's legitimate-interest assessment: no override needed.
    assert.equal(manifest.assessment.status, 'recorded');
    assert.match(manifest.assessment.id, /^lia-0001-[0-9a-f]{12}$/);
  });
});
