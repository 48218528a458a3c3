import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Veto } from '../../src/app/wire.ts';
import type { VetoConfig } from '../../src/config.ts';
import { readNoticeDirectory } from '../../src/domain/notices/notice-files.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { recordAssessmentFor } from '../support/assessment-text.ts';
import { runVeto } from '../support/veto-cli.ts';
import { ADAPTERS, adapterAvailable, testVetoOn } from '../support/veto-on.ts';
import { jsonl, record, TEST_POLICY } from './support/fixtures.ts';

/**
 * Every check the policy requires, through the spawned `veto gate build` on a real registry:
 * the notice period and the third parties' terms together (no wrapper drops one), a check that
 * cannot be performed refuses the build and is named, and the manifest lists each check.
 */

const NOTICE_DIR = fileURLToPath(new URL('../../notices/2026-01', import.meta.url));
const DAY = 86_400_000;
const POLICY = TEST_POLICY.replace('version: "2025-04"', 'version: "2026-01"');

/** The registry as it was 60 days ago: notice published and shown, objections received. */
async function seed(veto: Veto, setClock: (ms: number) => void) {
  setClock(Date.now() - 60 * DAY);
  await veto.notices.publish(readNoticeDirectory(NOTICE_DIR), 'test');
  setClock(Date.now() - 59 * DAY);
  await veto.notices.recordExposures(
    ['u-shown', 'u-obj'].map((accountId) => ({
      accountId,
      version: '2026-01',
      language: 'en',
      channel: 'in-app' as const,
      shownAt: new Date(Date.now() - 59 * DAY).toISOString(),
    })),
    'test',
  );
  await veto.registry.object({
    subject: { kind: 'account', accountId: 'u-obj' },
    channel: 'api',
    language: 'en',
  });
  await veto.registry.object({
    subject: { kind: 'email', email: 'nina@example.org' },
    channel: 'api',
    language: 'en',
    appearsAt: ['Nina Roux', '@nina_r'],
  });
}

function vetoEnv(config: VetoConfig): Record<string, string> {
  return {
    VETO_DATA_DIR: config.dataDir,
    VETO_DATABASE_URL: config.databaseUrl,
    VETO_SECRET: config.secret,
  };
}

function sealedManifest(out: string): DatasetManifest {
  const [dir] = readdirSync(out).filter((d) => !d.startsWith('.'));
  return JSON.parse(readFileSync(path.join(out, dir!, 'manifest.json'), 'utf8'));
}

for (const adapter of ADAPTERS) {
  describe(`veto gate build performs every check the policy requires (${adapter})`, () => {
    it('applies the notice period and the third parties’ terms in one CLI run, and lists each check', async (t) => {
      if (!(await adapterAvailable(adapter))) return t.skip();
      let now = Date.now();
      const { veto, config, dir } = await testVetoOn(
        adapter,
        t,
        {},
        { clock: () => new Date(now).toISOString() },
      );
      await seed(veto, (ms) => {
        now = ms;
      });
      const input = path.join(dir, 'content.jsonl');
      writeFileSync(
        input,
        jsonl([
          record({ id: 'a', author_id: 'u-shown', text: 'Dinner with Nina Roux and @nina_r' }),
          record({ id: 'b', author_id: 'u-unshown', text: 'Never shown the notice' }),
          record({ id: 'c', author_id: 'u-obj', text: 'I objected' }),
        ]),
      );
      const policy = path.join(dir, 'policy.yaml');
      writeFileSync(policy, POLICY);
      await recordAssessmentFor(veto, policy);
      // On the main thread, and on two worker threads (there the kept authors for the notice
      // period come from each batch's summary, batch-summary.ts): the same checks, the same
      // removals.
      for (const workers of ['0', '2']) {
        const out = path.join(dir, `out-w${workers}`);
        const r = runVeto(
          vetoEnv(config),
          'gate',
          'build',
          '--policy',
          policy,
          '--input',
          input,
          '--out',
          out,
          '--workers',
          workers,
        );
        assert.equal(r.code, 0, r.err);
        const m = sealedManifest(out);
        const data = readFileSync(path.join(out, m.datasetId, 'data.jsonl'), 'utf8');
        assert.equal(data.trimEnd().split('\n').length, 1);
        assert.doesNotMatch(data, /Nina Roux|@nina_r/, 'the third party’s terms are redacted');
        assert.equal(m.counts['notice-period'], 1);
        assert.equal(m.counts.objected, 1);
        assert.deepEqual(m.checks, {
          objectors: {
            status: 'performed',
            counts: { objectors: 2, objected: 1, 'objected-mention': 0 },
          },
          'late-objections': {
            status: 'performed',
            counts: { lateObjectors: 0, removedRecords: 0 },
          },
          'notice-period': { status: 'performed', counts: { removedRecords: 1 } },
          'third-party-terms': { status: 'performed', counts: { terms: 2 } },
        });
        assert.match(r.out, /notice-period\s+performed \(removedRecords 1\)/);
        assert.match(r.out, /third-party-terms\s+performed \(terms 2\)/);
      }
    });

    it('refuses to start when the notice-period check cannot be performed, and names it', async (t) => {
      if (!(await adapterAvailable(adapter))) return t.skip();
      const { config, dir } = await testVetoOn(adapter, t);
      const input = path.join(dir, 'content.jsonl');
      writeFileSync(input, jsonl([record({ id: 'a' })]));
      const policy = path.join(dir, 'policy.yaml');
      writeFileSync(policy, POLICY);
      const out = path.join(dir, 'out');
      const r = runVeto(
        vetoEnv(config),
        'gate',
        'build',
        '--policy',
        policy,
        '--input',
        input,
        '--out',
        out,
        '--workers',
        '0',
      );
      assert.equal(r.code, 2, r.out);
      assert.match(r.err, /requires the notice-period check, which cannot be performed/);
      assert.match(r.err, /notice version "2026-01" was never published/);
      assert.ok(
        !existsSync(out) || readdirSync(out).length === 0,
        'nothing staged, nothing sealed',
      );
    });
  });
}

describe('an offline build', () => {
  it('lists the checks it could not perform as deferred, with why', async (t) => {
    const { config, dir } = await testVetoOn('sqlite', t);
    const input = path.join(dir, 'content.jsonl');
    writeFileSync(input, jsonl([record({ id: 'a' })]));
    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(policy, POLICY);
    const snap = path.join(dir, 'now.snap');
    assert.equal(runVeto(vetoEnv(config), 'registry', 'snapshot', '--out', snap).code, 0);
    const out = path.join(dir, 'out');
    const r = runVeto(
      {},
      'gate',
      'build',
      '--offline',
      '--snapshot',
      snap,
      '--policy',
      policy,
      '--input',
      input,
      '--out',
      out,
      '--workers',
      '0',
    );
    assert.equal(r.code, 0, r.err);
    const m = sealedManifest(out);
    assert.equal(m.checks.objectors.status, 'performed');
    for (const c of ['late-objections', 'notice-period', 'third-party-terms'] as const) {
      const outcome = m.checks[c];
      assert.equal(outcome.status, 'deferred', c);
      assert.match(outcome.status === 'deferred' ? outcome.note : '', /offline/);
    }
    assert.match(r.out, /late-objections\s+NOT performed \(offline/);
  });
});
