import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  publishDemoNoticeIfNone,
  recordDemoAssessmentIfNone,
} from '../../src/cli/notice-commands.ts';
import { consoleApp } from '../support/console-session.ts';
import { runVeto } from '../support/veto-cli.ts';

/**
 * Every `veto dataset verify` against the registry, and the verification `gate build` runs
 * before sealing, is kept in the registry: the console's datasets page shows each dataset's last
 * one (when, passed or failed, by whom, the failed checks). Builds and verifications run as the
 * `veto` command, on the console's own registry file.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The verification row of `datasetId` on the datasets page. */
function verificationRow(body: string, datasetId: string): string {
  const table = /<caption>Last verification of each dataset<\/caption>[\s\S]*?<\/table>/.exec(
    body,
  )?.[0];
  assert.ok(table, 'the verification table is on the page');
  const row = new RegExp(`<tr><td>${datasetId}</td>[\\s\\S]*?</tr>`).exec(table)?.[0];
  assert.ok(row, `${datasetId} has a row`);
  return row;
}

describe('console: the last verification of each dataset', () => {
  it('shows the gate’s verification, then a passing and a failing veto dataset verify', {
    timeout: 180_000,
  }, async (t) => {
    const c = await consoleApp(t);
    // The demo notice (in effect at once) and the demo policy's assessment, as `serve --demo`.
    await publishDemoNoticeIfNone(c.veto);
    await recordDemoAssessmentIfNone(c.veto);
    assert.ok(await c.veto.notices.latest(), 'the demo notice is published');
    await c.veto.notices.recordExposures(
      ['demo-amelie', 'demo-oliver'].map((accountId) => ({
        accountId,
        version: '2026-01',
        language: 'en',
        channel: 'in-app' as const,
        shownAt: new Date().toISOString(),
      })),
      'test',
    );
    const env = {
      VETO_DATA_DIR: c.config.dataDir,
      VETO_DATABASE_URL: c.config.databaseUrl,
      VETO_SECRET: c.config.secret,
      VETO_NOTICE_FLOOR_DAYS: '0',
    };
    const out = path.join(c.dir, 'datasets');
    for (const id of ['ds_good', 'ds_tampered']) {
      const built = runVeto(
        env,
        'gate',
        'build',
        '--policy',
        path.join(ROOT, 'policies/demo.yaml'),
        '--input',
        path.join(ROOT, 'examples/demo-export.jsonl'),
        '--out',
        out,
        '--workers',
        '0',
        '--dataset-id',
        id,
      );
      assert.equal(built.code, 0, built.err);
    }

    const vera = await c.staff('vera');
    const afterBuild = await vera.get('/console/datasets');
    assert.equal(afterBuild.statusCode, 200);
    assert.doesNotMatch(afterBuild.body, /does not keep the result/);
    assert.match(afterBuild.body, /Run “veto dataset verify” on a dataset’s folder/);
    for (const id of ['ds_good', 'ds_tampered']) {
      const row = verificationRow(afterBuild.body, id);
      assert.match(row, /<td>Passed<\/td>/);
      assert.match(row, /<td>Gate build, before sealing<\/td>/);
    }

    const good = runVeto(env, 'dataset', 'verify', path.join(out, 'ds_good'));
    assert.equal(good.code, 0, good.out + good.err);
    // A record added after sealing: the data no longer matches the manifest.
    appendFileSync(
      path.join(out, 'ds_tampered', 'data.jsonl'),
      '{"id":"post-99","author_id":"demo-lea","kind":"post","audience":"public","created_at":"2026-03-04T10:00:00Z","text":"added later","author_minor":true,"region":"FR","mentions":[]}\n',
    );
    const tampered = runVeto(env, 'dataset', 'verify', 'ds_tampered', '--in', out);
    assert.equal(tampered.code, 1, tampered.out + tampered.err);

    const page = await vera.get('/console/datasets');
    assert.equal(page.statusCode, 200);
    const passed = verificationRow(page.body, 'ds_good');
    assert.match(passed, /<td>Passed<\/td>/);
    assert.match(passed, /<td>Command line<\/td>/);
    const at = /<td>(\d{4}-\d\d-\d\dT[^<]+)<\/td>/.exec(passed)?.[1];
    assert.ok(at && Date.now() - Date.parse(at) < 120_000, `verified just now (${at})`);
    const failed = verificationRow(page.body, 'ds_tampered');
    assert.match(failed, /<td>Failed<\/td>/);
    assert.match(failed, /<td>Command line<\/td>/);
    assert.match(failed, /<strong>manifest<\/strong> \(\d+\): data\.jsonl: sha256/);
    assert.match(failed, /<strong>counts<\/strong>/);
    assert.doesNotMatch(passed, /<strong>/, 'no failed check on the passing dataset');
  });
});
