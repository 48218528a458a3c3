import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { VetoConfig } from '../../src/config.ts';
import { readNoticeDirectory } from '../../src/domain/notices/notice-files.ts';
import { runGateBuildCommand } from '../../src/gate/cli-gate-build.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { writeFilterFile } from '../../src/registry-files/filter-file.ts';
import { writeSnapshotFile } from '../../src/registry-files/snapshot-file.ts';
import { signCheckpoint } from '../../src/transparency/checkpoint.ts';
import { generateSigner } from '../../src/transparency/signed-note.ts';
import { recordAssessmentFor } from '../support/assessment-text.ts';
import { runVeto } from '../support/veto-cli.ts';
import { ADAPTERS, adapterAvailable, testVetoOn } from '../support/veto-on.ts';
import { AS_OF, jsonl, record, TEST_POLICY, tempDir, writePolicy } from './support/fixtures.ts';

const DAY = 86_400_000;
const NOTICE_DIR = fileURLToPath(new URL('../../notices/2026-01', import.meta.url));

/**
 * Snapshot and filter files cannot lie: every byte that changes what a file says (its id,
 * purpose, cut-off, count, hash or keys) is covered by its hash, and the header has one spelling,
 * so a changed byte anywhere is refused by `veto gate build`; a cut-off in the future is refused;
 * with the registry reachable, the build uses the registry's own record of the snapshot.
 */

function capture() {
  let text = '';
  return {
    write: (s: string) => {
      text += s;
    },
    get text() {
      return text;
    },
  };
}

/** Every one-byte change of `good` this test tries: three bit patterns per position. */
function* flips(good: Buffer): Generator<{ at: number; bytes: Buffer }> {
  for (let at = 0; at < good.length; at++) {
    for (const mask of [0x01, 0x20, 0x80]) {
      const bytes = Buffer.from(good);
      bytes[at] = bytes[at]! ^ mask;
      yield { at, bytes };
    }
  }
}

interface Outcome {
  code: number;
  /** What the sealed dataset says the snapshot was, and what it kept (when sealed). */
  meaning?: string;
  err: string;
}

async function gateBuild(dir: string, objectors: string[], n: number): Promise<Outcome> {
  const stdout = capture();
  const stderr = capture();
  const out = join(dir, `out-${n}`);
  const code = await runGateBuildCommand(
    [
      '--policy',
      join(dir, 'policy.yaml'),
      '--input',
      join(dir, 'in.jsonl'),
      '--out',
      out,
      '--offline',
      '--workers',
      '0',
      ...objectors,
    ],
    { stdout, stderr },
  );
  if (code !== 0) return { code, err: stderr.text };
  const [ds] = readdirSync(out).filter((d) => !d.startsWith('.'));
  const m = JSON.parse(readFileSync(join(out, ds!, 'manifest.json'), 'utf8')) as DatasetManifest;
  const data = readFileSync(join(out, ds!, 'data.jsonl'), 'utf8');
  const { id, purpose, asOf, count, sha256 } = m.snapshot;
  return { code, err: '', meaning: JSON.stringify({ id, purpose, asOf, count, sha256, data }) };
}

async function flipAll(
  dir: string,
  file: string,
  option: '--snapshot' | '--filter',
): Promise<{ tried: number; accepted: number; changedMeaning: number; refusals: Set<string> }> {
  const good = await readFile(file);
  const baseline = await gateBuild(dir, [option, file], 0);
  assert.equal(baseline.code, 0, baseline.err);
  let tried = 0;
  let accepted = 0;
  let changedMeaning = 0;
  const refusals = new Set<string>();
  for (const { bytes } of flips(good)) {
    tried++;
    const flipped = join(dir, `flipped-${tried}`);
    await writeFile(flipped, bytes);
    const r = await gateBuild(dir, [option, flipped], tried);
    if (r.code === 0) {
      accepted++;
      if (r.meaning !== baseline.meaning) changedMeaning++;
    } else {
      assert.equal(r.code, 2, `exit 2 (refused before any record is read): ${r.err}`);
      refusals.add(r.err.replace(/\/\S+/g, 'PATH').replace(/[0-9a-f]{64}/g, 'HASH'));
    }
  }
  return { tried, accepted, changedMeaning, refusals };
}

/** An anchor as the registry writes one (a checkpoint signed by a log key), so its bytes are flipped too. */
function testAnchor() {
  const signer = generateSigner('veto.test/veto-log');
  const root = createHash('sha256').update('log').digest();
  return { size: 3, root: root.toString('base64'), checkpoint: signCheckpoint(signer, 3, root) };
}

async function smallFixture() {
  const dir = await tempDir('veto-integrity-');
  await writePolicy(dir);
  await writeFile(
    join(dir, 'in.jsonl'),
    jsonl([record({ id: 'a' }), record({ id: 'b', author_id: 'obj' }), record({ id: 'c' })]),
  );
  return dir;
}

describe('snapshot and filter files cannot lie (veto gate build)', () => {
  it('refuses every one-byte change of a snapshot file', async (t) => {
    const dir = await smallFixture();
    const file = join(dir, 'objectors.snap');
    await writeSnapshotFile(
      file,
      { id: 'snap_small', purpose: 'ai-training', asOf: AS_OF },
      ['acct:obj', 'acct:zed'],
      { anchor: async () => testAnchor() },
    );
    const r = await flipAll(dir, file, '--snapshot');
    t.diagnostic(
      `snapshot file: ${r.tried} one-byte changes, ${r.accepted} accepted, ${r.changedMeaning} accepted that change meaning`,
    );
    assert.equal(r.changedMeaning, 0);
    assert.equal(r.accepted, 0, 'the header has one spelling: no change is accepted at all');
  });

  it('refuses every one-byte change of a filter file', async (t) => {
    const dir = await smallFixture();
    const file = join(dir, 'objectors.vfilter');
    await writeFilterFile(
      file,
      { id: 'snap_small', purpose: 'ai-training', asOf: AS_OF },
      ['acct:obj', 'acct:zed'],
      { anchor: async () => testAnchor() },
    );
    const r = await flipAll(dir, file, '--filter');
    t.diagnostic(
      `filter file: ${r.tried} one-byte changes, ${r.accepted} accepted, ${r.changedMeaning} accepted that change meaning`,
    );
    assert.equal(r.changedMeaning, 0);
    assert.equal(r.accepted, 0);
  });

  it('refuses a snapshot of format v1 (header outside its hash) and says what to do', async () => {
    const dir = await smallFixture();
    const body = 'acct:obj\n';
    const sha256 = createHash('sha256').update(body).digest('hex');
    const file = join(dir, 'old.snap');
    await writeFile(
      file,
      `#veto-snapshot v1 ${JSON.stringify({ id: 'snap_old', purpose: 'ai-training', asOf: AS_OF, count: 1, sha256 })}\n${body}`,
    );
    const r = await gateBuild(dir, ['--snapshot', file], 1);
    assert.equal(r.code, 2);
    assert.match(r.err, /format v1 is no longer read.*veto registry snapshot/);
  });

  it('refuses a cut-off in the future', async () => {
    const dir = await smallFixture();
    const file = join(dir, 'future.snap');
    const asOf = new Date(Date.now() + 365 * 86_400_000).toISOString();
    await writeSnapshotFile(file, { id: 'snap_future', purpose: 'ai-training', asOf }, [
      'acct:obj',
    ]);
    const r = await gateBuild(dir, ['--snapshot', file], 1);
    assert.equal(r.code, 2);
    assert.match(r.err, /cut-off .* is in the future/);
    assert.equal(existsSync(join(dir, 'out-1')), false, 'nothing written');
  });
});

function vetoEnv(config: VetoConfig): Record<string, string> {
  return {
    VETO_DATA_DIR: config.dataDir,
    VETO_DATABASE_URL: config.databaseUrl,
    VETO_SECRET: config.secret,
  };
}

for (const adapter of ADAPTERS) {
  describe(`veto gate build uses the registry's record of its snapshot (${adapter})`, () => {
    it('refuses a file whose cut-off or id the registry does not know, and re-checks from its own cut-off', async (t) => {
      if (!(await adapterAvailable(adapter))) return t.skip();
      let now = Date.now();
      const { veto, config, dir } = await testVetoOn(
        adapter,
        t,
        {},
        { clock: () => new Date(now).toISOString() },
      );
      const env = vetoEnv(config);
      // The notice published 60 days ago and shown 59 days ago: every author passes the notice
      // check, this test is about the snapshot.
      const policy = await writePolicy(
        dir,
        TEST_POLICY.replace('version: "2025-04"', 'version: "2026-01"'),
        'policy-2026.yaml',
      );
      await recordAssessmentFor(veto, policy);
      now = Date.now() - 60 * DAY;
      await veto.notices.publish(readNoticeDirectory(NOTICE_DIR), 'test');
      now = Date.now() - 59 * DAY;
      await veto.notices.recordExposures(
        ['u1', 'late'].map((accountId) => ({
          accountId,
          version: '2026-01',
          language: 'en',
          channel: 'in-app' as const,
          shownAt: new Date(now).toISOString(),
        })),
        'test',
      );
      const input = join(dir, 'in.jsonl');
      writeFileSync(
        input,
        jsonl([record({ id: 'a' }), record({ id: 'b', author_id: 'late', text: 'mine' })]),
      );
      const snap = join(dir, 'objectors.snap');
      const taken = runVeto(env, 'registry', 'snapshot', '--out', snap);
      assert.equal(taken.code, 0, taken.err);
      const record0 = JSON.parse(taken.out) as { id: string; asOf: string };
      // Acknowledged after the snapshot, before the build: the re-check must find it.
      await new Promise((r) => setTimeout(r, 20));
      now = Date.now();
      await veto.registry.object({
        subject: { kind: 'account', accountId: 'late' },
        channel: 'api',
        language: 'en',
      });
      const build = (file: string, out: string) =>
        runVeto(
          env,
          'gate',
          'build',
          '--policy',
          policy,
          '--input',
          input,
          '--out',
          join(dir, out),
          '--snapshot',
          file,
          '--workers',
          '0',
        );

      // The cut-off moved past the objection and the file hashed again (a rewrite, not a flip):
      // the registry's record says otherwise.
      const moved = join(dir, 'moved.snap');
      await writeSnapshotFile(
        moved,
        { id: record0.id, purpose: 'ai-training', asOf: new Date(Date.now()).toISOString() },
        [],
      );
      const refused = build(moved, 'out-moved');
      assert.equal(refused.code, 2, refused.out);
      assert.match(refused.err, /not the registry's snapshot snap_.*asOf/);
      assert.equal(existsSync(join(dir, 'out-moved')), false);

      // A snapshot this registry never took.
      const foreign = join(dir, 'foreign.snap');
      await writeSnapshotFile(
        foreign,
        { id: 'snap_elsewhere', purpose: 'ai-training', asOf: record0.asOf },
        [],
      );
      const unknown = build(foreign, 'out-foreign');
      assert.equal(unknown.code, 2);
      assert.match(unknown.err, /snap_elsewhere is not recorded in this registry/);

      // The file as the registry wrote it: the late objector's record is removed before sealing.
      const ok = build(snap, 'out-ok');
      assert.equal(ok.code, 0, ok.err);
      const [ds] = readdirSync(join(dir, 'out-ok')).filter((d) => !d.startsWith('.'));
      const m = JSON.parse(
        readFileSync(join(dir, 'out-ok', ds!, 'manifest.json'), 'utf8'),
      ) as DatasetManifest;
      assert.equal(m.snapshot.asOf, record0.asOf);
      assert.equal(m.recheck.lateObjectors, 1);
      assert.equal(m.counts.kept, 1);
      const data = readFileSync(join(dir, 'out-ok', ds!, 'data.jsonl'), 'utf8');
      assert.doesNotMatch(data, /"late"/);
    });
  });
}
