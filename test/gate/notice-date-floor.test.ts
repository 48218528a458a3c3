import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runGateBuildCommand } from '../../src/gate/cli-gate-build.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { tempDir as testTempDir } from '../support/temp.ts';
import { NOTICE_ITEMS_ENV, runVeto, sqliteEnv } from '../support/veto-cli.ts';
import {
  jsonl,
  record,
  TEST_POLICY,
  tempDir,
  writePolicy,
  writeSnapshot,
} from './support/fixtures.ts';
import { MemoryRegistry } from './support/memory-registry.ts';

/**
 * What the notice announced and the floor under the notice period: the gate refuses to build
 * before the date the tied notice version announces, and refuses a policy whose notice period is
 * below the floor (28 days unless a deployment lowers it with VETO_NOTICE_FLOOR_DAYS, which is
 * said and recorded). The README walkthrough runs through the real CLI with worker threads and
 * the person-name model.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'test-secret-0123456789-0123456789-0123456789';

function capture() {
  let text = '';
  return {
    write: (s: string) => (text += s),
    isTTY: false,
    get text() {
      return text;
    },
  };
}

function sealedManifest(out: string): DatasetManifest {
  const dir = readdirSync(out).find((d) => !d.startsWith('.'))!;
  return JSON.parse(readFileSync(join(out, dir, 'manifest.json'), 'utf8')) as DatasetManifest;
}

async function shortPolicyFixture(days: number) {
  const dir = await tempDir();
  const input = join(dir, 'in.jsonl');
  await writeFile(input, jsonl([record({ id: 'a' })]));
  return {
    dir,
    input,
    policy: await writePolicy(
      dir,
      TEST_POLICY.replace('minimumDays: 42', `minimumDays: ${days}`),
      'short.yaml',
    ),
    snapshot: await writeSnapshot(dir, []),
  };
}

describe('the notice-period floor', () => {
  it('refuses a policy below 28 days unless VETO_NOTICE_FLOOR_DAYS lowers it (said, and recorded)', async () => {
    const f = await shortPolicyFixture(7);
    const args = (out: string) => [
      '--policy',
      f.policy,
      '--input',
      f.input,
      '--out',
      join(f.dir, out),
      '--snapshot',
      f.snapshot,
      '--offline',
      '--workers',
      '0',
    ];
    const refused = capture();
    assert.equal(
      await runGateBuildCommand(args('a'), { stdout: capture(), stderr: refused, env: {} }),
      2,
    );
    assert.match(
      refused.text,
      /notice\.minimumDays is 7, below the notice-period floor of 28 days \(the default; a deployment lowers it only with VETO_NOTICE_FLOOR_DAYS/,
    );

    const stderr = capture();
    const stdout = capture();
    const code = await runGateBuildCommand(args('b'), {
      stdout,
      stderr,
      env: { VETO_NOTICE_FLOOR_DAYS: '7' },
    });
    assert.equal(code, 0, stderr.text);
    assert.match(
      stderr.text,
      /notice-period floor 7 days, set by VETO_NOTICE_FLOOR_DAYS \(default 28\)/,
    );
    assert.match(stdout.text, /floor 7 days, VETO_NOTICE_FLOOR_DAYS/);
    const m = sealedManifest(join(f.dir, 'b'));
    assert.equal(m.noticePeriod.floorDays, 7);
    assert.equal(m.noticePeriod.floorSource, 'VETO_NOTICE_FLOOR_DAYS');
    assert.equal(m.noticePeriod.minimumDays, 7);

    // A floor raised above the policy refuses it too, naming the setting.
    const raised = capture();
    assert.equal(
      await runGateBuildCommand(args('c'), {
        stdout: capture(),
        stderr: raised,
        env: { VETO_NOTICE_FLOOR_DAYS: '60' },
      }),
      2,
    );
    assert.match(raised.text, /floor of 60 days \(set by VETO_NOTICE_FLOOR_DAYS/);

    for (const bad of ['-1', 'four', '400', '7.5']) {
      const e = capture();
      assert.equal(
        await runGateBuildCommand(args('d'), {
          stdout: capture(),
          stderr: e,
          env: { VETO_NOTICE_FLOOR_DAYS: bad },
        }),
        2,
        bad,
      );
      assert.match(e.text, /VETO_NOTICE_FLOOR_DAYS must be a whole number of days from 0 to 365/);
    }
  });

  it('a default build records the default floor in the manifest', async () => {
    const f = await shortPolicyFixture(42);
    const registry = new MemoryRegistry();
    registry.announcedAt = '2025-04-01T00:00:00.000Z';
    const code = await runGateBuildCommand(
      [
        '--policy',
        f.policy,
        '--input',
        f.input,
        '--out',
        join(f.dir, 'out'),
        '--snapshot',
        f.snapshot,
        '--workers',
        '0',
      ],
      {
        stdout: capture(),
        stderr: capture(),
        env: {},
        loadConfig: () => ({}),
        wireVeto: async () => ({ gate: registry, close: async () => {} }),
      },
    );
    assert.equal(code, 0);
    const m = registry.datasets[0]!.manifest;
    assert.equal(m.noticePeriod.floorDays, 28);
    assert.equal(m.noticePeriod.floorSource, 'default');
    assert.equal(m.noticePeriod.announcedAt, '2025-04-01T00:00:00.000Z');
  });
});

describe('the date the notice announces', () => {
  it('refuses a build whose cut-off is before the announced date (wired registry port)', async () => {
    const f = await shortPolicyFixture(42);
    const registry = new MemoryRegistry();
    // The snapshot's cut-off is 2025-05-27; the notice announced 1 June 2025.
    registry.announcedAt = '2025-06-01T00:00:00.000Z';
    const stderr = capture();
    const code = await runGateBuildCommand(
      [
        '--policy',
        f.policy,
        '--input',
        f.input,
        '--out',
        join(f.dir, 'out'),
        '--snapshot',
        f.snapshot,
        '--workers',
        '0',
      ],
      {
        stdout: capture(),
        stderr,
        env: {},
        loadConfig: () => ({}),
        wireVeto: async () => ({ gate: registry, close: async () => {} }),
      },
    );
    assert.equal(code, 2);
    assert.match(
      stderr.text,
      /notice version "2025-04" announces the processing from 2025-06-01T00:00:00.000Z; a build with a cut-off \(2025-05-27T00:00:00.000Z\) before that date is refused/,
    );
    assert.equal(registry.datasets.length, 0);
  });

  it('on a real registry: a notice announcing 30 days ahead stops `veto gate build` until then', async (t) => {
    const dir = testTempDir(t, 'veto-announced-');
    const env = { ...sqliteEnv(dir, SECRET), ...NOTICE_ITEMS_ENV, VETO_NOTICE_FLOOR_DAYS: '0' };
    // notices/2026-01 announces the processing 30 days after publication.
    const published = runVeto(env, 'notices', 'publish', join(ROOT, 'notices/2026-01'));
    assert.equal(published.code, 0, published.err);
    const out = join(dir, 'datasets');
    const r = runVeto(
      env,
      'gate',
      'build',
      '--policy',
      join(ROOT, 'policies/demo.yaml'),
      '--input',
      join(ROOT, 'examples/demo-export.jsonl'),
      '--out',
      out,
      '--workers',
      '0',
    );
    assert.equal(r.code, 2, r.out);
    assert.match(r.err, /notice version "2026-01" announces the processing from \d{4}-\d\d-\d\dT/);
    assert.match(r.err, /before that date is refused/);
  });
});
