import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openRemovalStore, type Veto } from '../../src/app/wire.ts';
import type { VetoConfig } from '../../src/config.ts';
import { readNoticeDirectory } from '../../src/domain/notices/notice-files.ts';
import type { AuditEvent } from '../../src/domain/types.ts';
import { buildDataset } from '../../src/gate/build.ts';
import { type VerifyReport, verifyDataset } from '../../src/gate/dataset-verify.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { recordAssessmentFor } from '../support/assessment-text.ts';
import { runVeto } from '../support/veto-cli.ts';
import { adapterAvailable, testVetoOn } from '../support/veto-on.ts';
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
 * `veto dataset verify`: the independent check of a sealed dataset, run by the user (the
 * spawned command) against files only (a recipient, a regulator) and against a real registry;
 * and inside every `gate build`, where a dataset that fails it is not sealed.
 */

function sealedDir(out: string): string {
  const [dir] = readdirSync(out).filter((d) => !d.startsWith('.'));
  assert.ok(dir, `a dataset sealed in ${out}`);
  return path.join(out, dir);
}

function readManifest(dir: string): DatasetManifest {
  return JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
}

/** Appends lines to data.jsonl; `consistent` also rewrites the manifest's hash, size and counts. */
function appendToData(dir: string, lines: (string | Buffer)[], consistent: boolean): void {
  const file = path.join(dir, 'data.jsonl');
  const data = Buffer.concat([
    readFileSync(file),
    ...lines.map((l) => Buffer.concat([Buffer.from(l), Buffer.from('\n')])),
  ]);
  writeFileSync(file, data);
  if (!consistent) return;
  const m = readManifest(dir);
  m.output.sha256 = createHash('sha256').update(data).digest('hex');
  m.output.bytes = data.length;
  m.output.records += lines.length;
  m.counts.kept += lines.length;
  m.records += lines.length;
  writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
}

async function offlineBuild() {
  const dir = await tempDir('veto-verify-');
  const input = path.join(dir, 'in.jsonl');
  writeFileSync(
    input,
    jsonl([
      record({ id: 'a', author_id: 'u1' }),
      record({ id: 'b', author_id: 'obj', text: 'mine' }),
      record({ id: 'c', author_id: 'u2', mentions: ['obj'] }),
      record({ id: 'd', author_id: 'u3', mentions: ['u1'] }),
      '',
      'garbage',
    ]),
  );
  const policy = await writePolicy(dir);
  const snapshot = await writeSnapshot(dir, ['acct:obj']);
  const out = path.join(dir, 'out');
  const r = runVeto(
    {},
    'gate',
    'build',
    '--offline',
    '--snapshot',
    snapshot,
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
  assert.match(r.out, /verified 2 kept records before sealing/);
  return { dir, out, snapshot, sealed: sealedDir(out) };
}

function verify(...args: string[]) {
  const r = runVeto({}, 'dataset', 'verify', ...args);
  return {
    ...r,
    report: args.includes('--json') ? (JSON.parse(r.out) as VerifyReport) : undefined,
  };
}

describe('veto dataset verify (files only: a recipient, a regulator)', () => {
  it('passes on what the build sealed, and fails when an objector’s record is appended', async () => {
    const f = await offlineBuild();
    assert.ok(existsSync(path.join(f.sealed, 'verify.json')), 'the build kept its verification');

    const ok = verify(f.sealed, '--offline', '--snapshot', f.snapshot, '--json');
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.equal(ok.report!.ok, true);
    assert.equal(ok.report!.records, 2);
    assert.equal(ok.report!.checks.objectors.status, 'pass');
    assert.equal(ok.report!.checks['notice-period'].status, 'not checked');
    const text = verify(f.sealed, '--offline', '--snapshot', f.snapshot);
    assert.equal(text.code, 0);
    assert.match(text.out, /VERIFIED/);
    assert.match(text.out, /late-objections\s+not checked: no registry/);

    // A tamperer who keeps the manifest consistent: the objector set still catches it.
    appendToData(f.sealed, [JSON.stringify(record({ id: 'z', author_id: 'obj' }))], true);
    const bad = verify(f.sealed, '--offline', '--snapshot', f.snapshot, '--json');
    assert.equal(bad.code, 1);
    assert.equal(bad.report!.ok, false);
    assert.equal(bad.report!.checks.objectors.status, 'fail');
    const p = bad.report!.problems.find((x) => x.check === 'objectors')!;
    assert.equal(p.line, 3);
    assert.equal(p.itemId, 'z');
    assert.equal(p.subjectKey, 'acct:obj');
    assert.equal(bad.report!.checks.counts.status, 'fail', 'the decision log disagrees');
    const badText = verify(f.sealed, '--offline', '--snapshot', f.snapshot);
    assert.equal(badText.code, 1);
    assert.match(badText.out, /FAILED/);
    assert.match(badText.out, /objectors: line 3, item z, acct:obj: kept record authored by/);
  });

  it('fails a mention of an objector, a changed data file, bad UTF-8, bad JSON and repeated ids', async () => {
    const f = await offlineBuild();
    appendToData(
      f.sealed,
      [
        JSON.stringify(record({ id: 'm', author_id: 'u9', mentions: ['obj'] })),
        Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
        '{"id": "x",',
        JSON.stringify(record({ id: 'a', author_id: 'u1' })),
        JSON.stringify(record({ id: 1, author_id: 'u1' })),
        JSON.stringify(record({ id: '1', author_id: 'u1' })),
      ],
      false,
    );
    const r = verify(f.sealed, '--offline', '--snapshot', f.snapshot, '--json');
    assert.equal(r.code, 1);
    const c = r.report!.checks;
    assert.equal(c.manifest.status, 'fail', 'the data no longer has the manifest’s hash');
    assert.equal(c.objectors.status, 'fail');
    assert.equal(c['utf8-json'].status, 'fail');
    assert.equal(c['unique-ids'].status, 'fail');
    const lines = (check: string) =>
      r.report!.problems.filter((p) => p.check === check).map((p) => p.line);
    assert.deepEqual(lines('utf8-json'), [4, 5]);
    assert.deepEqual(lines('unique-ids'), [6, 8]);
    assert.deepEqual(lines('objectors'), [3]);
  });

  it('finds the same on worker threads as on one thread, across chunk ends (the function and --threads)', async () => {
    const f = await offlineBuild();
    const lines: (string | Buffer)[] = [];
    for (let i = 0; i < 300; i++) {
      lines.push(
        JSON.stringify(record({ id: `k${i}`, author_id: `u${i % 7}`, text: 'x'.repeat(i % 50) })),
      );
    }
    const special: [number, string | Buffer][] = [
      [40, JSON.stringify(record({ id: 'z1', author_id: 'obj' }))],
      [90, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])],
      [150, '{"id": "x",'],
      [200, JSON.stringify(record({ id: 'k3', author_id: 'u1' }))],
      [250, JSON.stringify({ text: 'no id, no author' })],
      [260, JSON.stringify(record({ id: 'm2', author_id: 'u5', mentions: ['obj'] }))],
      [280, ''],
    ];
    for (const [at, line] of special) lines.splice(at, 0, line);
    appendToData(f.sealed, lines, true);
    // Two records sealed before the appended lines; lines are 1-based.
    const lineOf = (l: string | Buffer) => lines.indexOf(l) + 3;
    const options = { dir: f.sealed, objectors: { snapshot: f.snapshot } };
    const one = await verifyDataset({ ...options, threads: 0, chunkBytes: 512 });
    const pooled = await verifyDataset({ ...options, threads: 2, chunkBytes: 512 });
    const whole = await verifyDataset({ ...options, threads: 0 });
    const same = (r: VerifyReport) => ({ ...r, ms: 0 });
    assert.deepEqual(same(pooled), same(one));
    assert.deepEqual(same(whole), same(one));
    const found = (check: string) =>
      one.problems
        .filter((p) => p.check === check)
        .map((p) => [p.line, p.itemId])
        .sort((a, b) => Number(a[0]) - Number(b[0]));
    assert.deepEqual(found('objectors'), [
      [lineOf(special[0]![1]), 'z1'],
      [lineOf(special[4]![1]), `line ${lineOf(special[4]![1])}`],
      [lineOf(special[5]![1]), 'm2'],
    ]);
    assert.deepEqual(
      found('utf8-json').map(([l]) => l),
      [lineOf(special[1]![1]), lineOf(special[2]![1]), lineOf(special[6]![1])],
    );
    assert.deepEqual(
      found('unique-ids').map(([l]) => l),
      [lineOf(special[3]![1]), lineOf(special[4]![1])],
    );
    // The command a user runs, with worker threads.
    const cli = verify(f.sealed, '--offline', '--snapshot', f.snapshot, '--threads', '2', '--json');
    assert.equal(cli.code, 1);
    assert.deepEqual(cli.report!.problems, whole.problems);
    assert.equal(verify(f.sealed, '--offline', '--threads', 'many').code, 2);
  });

  it('checks the objector file against the dataset’s snapshot, and refuses to guess without one', async () => {
    const f = await offlineBuild();
    const other = await writeSnapshot(f.dir, ['acct:obj', 'acct:someone']);
    const r = verify(f.sealed, '--offline', '--snapshot', other, '--json');
    assert.equal(r.code, 1);
    assert.match(
      r.report!.problems.map((p) => p.message).join('\n'),
      /count 2, the dataset was built from 1/,
    );
    // Without --snapshot: the snapshot file the manifest names, checked against its hash.
    assert.equal(verify(f.sealed, '--offline').code, 0);
    const m = readManifest(f.sealed);
    m.snapshot.path = path.join(f.dir, 'nowhere.snap');
    writeFileSync(path.join(f.sealed, 'manifest.json'), JSON.stringify(m));
    const none = verify(f.sealed, '--offline');
    assert.equal(none.code, 1);
    assert.match(none.out, /no objector set to check against/);
  });

  it('counts the decision log row by row, whatever is wrong with its rows', async () => {
    const f = await offlineBuild();
    const log = path.join(f.sealed, 'decisions.tsv');
    const rows = readFileSync(log, 'utf8');
    writeFileSync(
      log,
      rows +
        // A reason no build writes; a row of two fields; an item id with tabs in it (its
        // reason still counts); an item id longer than a read (8 MiB); a last row with no end.
        '0\t90\tbogus\tx\n0\t91\tkept\n0\t92\tkept\tid\twith\ttabs\n' +
        `0\t93\tobjected\t${'x'.repeat(9 << 20)}\n` +
        '0\t94\tkept\ty',
    );
    const r = verify(f.sealed, '--offline', '--snapshot', f.snapshot, '--json');
    assert.equal(r.code, 1);
    const counts = r
      .report!.problems.filter((p) => p.check === 'counts')
      .map((p) => p.message)
      .sort();
    assert.deepEqual(counts, [
      'decisions.tsv has 1 "(malformed row)" rows, the manifest 0',
      'decisions.tsv has 1 "(row without a line end)" rows, the manifest 0',
      'decisions.tsv has 1 "bogus" rows, the manifest 0',
      'decisions.tsv has 2 "objected" rows, the manifest 1',
      'decisions.tsv has 3 "kept" rows, the manifest 2',
    ]);
  });

  it('fails counts that do not add up', async () => {
    const f = await offlineBuild();
    const m = readManifest(f.sealed);
    m.counts.objected -= 1;
    m.counts.kind += 1;
    writeFileSync(path.join(f.sealed, 'manifest.json'), JSON.stringify(m));
    const r = verify(f.sealed, '--offline', '--snapshot', f.snapshot);
    assert.equal(r.code, 1);
    assert.match(r.out, /counts: decisions.tsv has 1 "objected" rows, the manifest 0/);
  });

  it('says what is wrong with its arguments (exit 2)', async () => {
    const r = verify('/nowhere/at/all', '--offline');
    assert.equal(r.code, 2);
    assert.match(r.err, /no dataset directory \(with manifest.json\) at \/nowhere\/at\/all/);
  });
});

describe('verification inside gate build', () => {
  // With workers, verify reads the chunks on them and the kept authors come back as keys.
  for (const workers of [0, 2]) {
    it(`does not seal a dataset whose verification fails (a registry that answers differently; ${workers} workers)`, async () => {
      const dir = await tempDir('veto-verify-');
      const input = path.join(dir, 'in.jsonl');
      writeFileSync(input, jsonl([record({ id: 'a', author_id: 'u1' })]));
      const registry = new MemoryRegistry();
      let asked = 0;
      registry.subjectsWithoutNotice = async (q) => (asked++ === 0 ? [] : q.subjectKeys);
      const out = path.join(dir, 'out');
      const result = await buildDataset({
        policy: await writePolicy(dir),
        inputs: [input],
        outDir: out,
        objectors: { snapshot: await writeSnapshot(dir, []) },
        registry,
        workers,
      });
      assert.equal(result.status, 'failed');
      assert.match(
        result.status === 'failed' ? result.error.message : '',
        /failed verification, nothing sealed[\s\S]*notice-period\s+FAILED \(1\)/,
      );
      assert.deepEqual(readdirSync(out), [], 'nothing sealed, nothing staged');
      assert.equal(registry.datasets.length, 0, 'nothing recorded');
      // The refusal itself is kept, for the console: the dataset id, by the gate, the failed check.
      assert.equal(registry.verifications.length, 1);
      const [kept] = registry.verifications;
      assert.equal(kept!.datasetId, result.datasetId);
      assert.equal(kept!.passed, false);
      assert.equal(kept!.by, 'gate');
      assert.deepEqual(
        kept!.failures.map((f) => [f.check, f.problems]),
        [['notice-period', 1]],
      );
      assert.match(kept!.failures[0]!.messages[0]!, /notice/);
    });
  }

  it('asks the registry about every kept author, whatever the id, on the workers or not', async () => {
    const dir = await tempDir('veto-verify-');
    const input = path.join(dir, 'in.jsonl');
    // Authors repeated within and across chunks, an id outside ASCII, one with an escape, a number.
    const authors = ['u1', 'u2', 'ü-名前', 'a"b', 12345, 'u1', 'u3'];
    const records = [...Array(700).keys()].map((i) =>
      record({
        id: `r${i}`,
        author_id: authors[i % authors.length],
        text: `post ${i} `.repeat(20),
      }),
    );
    writeFileSync(input, jsonl(records));
    const built = await buildDataset({
      policy: await writePolicy(dir),
      inputs: [input],
      outDir: path.join(dir, 'out'),
      objectors: { snapshot: await writeSnapshot(dir, []) },
      registry: new MemoryRegistry(),
      workers: 0,
    });
    assert.equal(built.status, 'sealed');
    const expected = new Set(authors.map((a) => `acct:${a}`));
    for (const threads of [0, 2]) {
      const registry = new MemoryRegistry();
      const asked: string[] = [];
      registry.subjectsWithoutNotice = async (q) => {
        asked.push(...q.subjectKeys);
        return q.subjectKeys.filter((k) => k === 'acct:ü-名前');
      };
      // Chunks of ~16 KB: some fifteen of them, each with most authors again.
      const report = await verifyDataset({
        dir: built.status === 'sealed' ? built.dir : '',
        registry,
        threads,
        chunkBytes: 16 << 10,
      });
      assert.deepEqual(new Set(asked), expected, `${threads} threads`);
      assert.ok(asked.length < records.length, 'repeats within a chunk are asked once');
      assert.equal(report.checks['notice-period'].status, 'fail');
      assert.deepEqual(
        report.problems.filter((p) => p.check === 'notice-period').map((p) => p.subjectKey),
        ['acct:ü-名前'],
      );
    }
  });

  it('lists objections received after the build as removals due, and fails a late one it missed', async () => {
    const dir = await tempDir('veto-verify-');
    const input = path.join(dir, 'in.jsonl');
    writeFileSync(
      input,
      jsonl([record({ id: 'a', author_id: 'u1' }), record({ id: 'b', author_id: 'u2' })]),
    );
    const registry = new MemoryRegistry();
    const out = path.join(dir, 'out');
    const result = await buildDataset({
      policy: await writePolicy(dir),
      inputs: [input],
      outDir: out,
      objectors: { snapshot: await writeSnapshot(dir, []) },
      registry,
      workers: 0,
    });
    assert.equal(result.status, 'sealed');
    const sealed = sealedDir(out);
    const recheckAt = readManifest(sealed).recheck.at!;
    // u1 objected after the build's re-check; u2 before it, and the build did not remove them.
    const later = new MemoryRegistry();
    later.objectorsAddedSince = async (_p, since) =>
      since === recheckAt ? ['acct:u1'] : ['acct:u1', 'acct:u2'];
    const report = await verifyDataset({ dir: sealed, registry: later });
    assert.equal(report.ok, false);
    assert.deepEqual(report.removalsDue, [{ subjectKey: 'acct:u1', items: ['a'] }]);
    assert.equal(report.checks['late-objections'].status, 'fail');
    assert.deepEqual(
      report.problems.map((p) => [p.check, p.itemId]),
      [['late-objections', 'b']],
    );
  });

  it('finds a third party’s term left in a kept text', async () => {
    const dir = await tempDir('veto-verify-');
    const input = path.join(dir, 'in.jsonl');
    writeFileSync(input, jsonl([record({ id: 'a', author_id: 'u1', text: 'Met Nina Roux' })]));
    const out = path.join(dir, 'out');
    const result = await buildDataset({
      policy: await writePolicy(dir, TEST_POLICY),
      inputs: [input],
      outDir: out,
      objectors: { snapshot: await writeSnapshot(dir, []) },
      registry: new MemoryRegistry(),
      workers: 0,
    });
    assert.equal(result.status, 'sealed');
    const registry = new MemoryRegistry();
    registry.terms = ['Nina Roux'];
    const report = await verifyDataset({ dir: sealedDir(out), registry });
    assert.equal(report.checks['third-party-terms'].status, 'fail');
    assert.equal(report.ok, false);
  });
});

const NOTICE_DIR = fileURLToPath(new URL('../../notices/2026-01', import.meta.url));
const DAY = 86_400_000;

function vetoEnv(config: VetoConfig): Record<string, string> {
  return {
    VETO_DATA_DIR: config.dataDir,
    VETO_DATABASE_URL: config.databaseUrl,
    VETO_SECRET: config.secret,
  };
}

async function seed(veto: Veto, setClock: (ms: number) => void) {
  setClock(Date.now() - 60 * DAY);
  await veto.notices.publish(readNoticeDirectory(NOTICE_DIR), 'test');
  setClock(Date.now() - 59 * DAY);
  await veto.notices.recordExposures(
    ['u-shown', 'u-later'].map((accountId) => ({
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
}

describe('veto dataset verify against the registry (SQLite)', () => {
  it('passes a dataset the registry recorded, lists a later objection as a removal due, and catches a manifest that no longer matches the record', async (t) => {
    if (!(await adapterAvailable('sqlite'))) return t.skip();
    let now = Date.now();
    const { veto, config, dir } = await testVetoOn(
      'sqlite',
      t,
      {},
      { clock: () => new Date(now).toISOString() },
    );
    await seed(veto, (ms) => {
      now = ms;
    });
    now = Date.now();
    const input = path.join(dir, 'content.jsonl');
    writeFileSync(
      input,
      jsonl([
        record({ id: 'a', author_id: 'u-shown' }),
        record({ id: 'b', author_id: 'u-later' }),
        record({ id: 'c', author_id: 'u-obj' }),
      ]),
    );
    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(policy, TEST_POLICY.replace('version: "2025-04"', 'version: "2026-01"'));
    await recordAssessmentFor(veto, policy);
    const out = path.join(dir, 'out');
    const env = vetoEnv(config);
    const b = runVeto(
      env,
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
    assert.equal(b.code, 0, b.err);
    const sealed = sealedDir(out);

    const r1 = runVeto(env, 'dataset', 'verify', sealed, '--json');
    assert.equal(r1.code, 0, r1.out + r1.err);
    const report1 = JSON.parse(r1.out) as VerifyReport;
    assert.match(report1.checks.manifest.detail, /matches the registry’s record/);
    assert.match(report1.objectorSource, /the registry's objections effective at/);
    assert.equal(report1.checks['notice-period'].status, 'pass');

    // An objection after the build: a removal due, not a failure.
    now = Date.now() + 1000;
    await veto.registry.object({
      subject: { kind: 'account', accountId: 'u-later' },
      channel: 'api',
      language: 'en',
    });
    await veto.registry.drain();
    const r2 = runVeto(env, 'dataset', 'verify', path.basename(sealed), '--in', out);
    assert.equal(r2.code, 0, r2.out + r2.err);
    assert.match(r2.out, /removals due: 1 subjects objected after the build, 1 items/);
    assert.match(r2.out, /acct:u-later: 1 item/);

    // The manifest on disk no longer says what the registry recorded.
    const m = readManifest(sealed);
    m.counts.kind += 1;
    m.counts.objected -= 1;
    writeFileSync(path.join(sealed, 'manifest.json'), JSON.stringify(m));
    const r3 = runVeto(env, 'dataset', 'verify', sealed);
    assert.equal(r3.code, 1);
    assert.match(r3.out, /manifest: counts: the registry recorded/);
  });
});

describe('veto dataset register (an offline build into the registry, SQLite)', () => {
  it('refuses what verify rejects, then records a passing dataset so removals and "Am I in the dataset?" cover it', async (t) => {
    if (!(await adapterAvailable('sqlite'))) return t.skip();
    let now = Date.now();
    const { veto, config, dir } = await testVetoOn(
      'sqlite',
      t,
      {},
      { clock: () => new Date(now).toISOString() },
    );
    await seed(veto, (ms) => {
      now = ms;
    });
    now = Date.now();
    const env = vetoEnv(config);
    const snap = path.join(dir, 'now.snap');
    assert.equal(runVeto(env, 'registry', 'snapshot', '--out', snap).code, 0);
    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(policy, TEST_POLICY.replace('version: "2025-04"', 'version: "2026-01"'));
    const build = (
      name: string,
      records: Record<string, unknown>[],
      buildEnv: Record<string, string> = {},
    ) => {
      const input = path.join(dir, `${name}.jsonl`);
      writeFileSync(input, jsonl(records));
      const out = path.join(dir, name);
      const r = runVeto(
        buildEnv,
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
      return sealedDir(out);
    };

    // Offline, nobody could check the notice: u-unshown's record is in, so it is refused.
    const refused = build('unshown', [
      record({ id: 'a', author_id: 'u-shown' }),
      record({ id: 'b', author_id: 'u-unshown' }),
    ]);
    const r1 = runVeto(env, 'dataset', 'register', refused);
    assert.equal(r1.code, 1, r1.out + r1.err);
    assert.match(r1.err, /not registered: it fails veto dataset verify/);
    assert.match(r1.out, /notice-period\s+FAILED \(1\)/);

    // This machine has the deployment's VRF key (in the data directory it is given): the
    // offline build commits its subjects, so registering it gives proofs of exclusion.
    const key = veto.exclusionKeys().current;
    const sealed = build(
      'ok',
      [
        record({ id: 'a', author_id: 'u-shown', mentions: ['u-later'] }),
        record({ id: 'b', author_id: 'u-later' }),
        record({ id: 'c', author_id: 'u-obj' }),
      ],
      { VETO_DATA_DIR: config.dataDir },
    );
    const offlineManifest = JSON.parse(readFileSync(path.join(sealed, 'manifest.json'), 'utf8'));
    assert.equal(offlineManifest.exclusion?.keyId, key.public.keyId);
    assert.equal(offlineManifest.exclusion?.count, 2, 'u-shown and u-later');
    // An objection after the cut-off: a removal due once the dataset is registered.
    now = Date.now() + 1000;
    await veto.registry.object({
      subject: { kind: 'account', accountId: 'u-later' },
      channel: 'api',
      language: 'en',
    });
    await veto.registry.drain();
    const r2 = runVeto(env, 'dataset', 'register', sealed);
    assert.equal(r2.code, 0, r2.out + r2.err);
    assert.match(r2.out, /registered: 3 inclusion rows from 2 records; 1 subjects objected since/);
    const datasetId = path.basename(sealed);
    const mine = await veto.afterwards!.datasetsOf('acct:u-shown');
    assert.deepEqual(
      mine.map((d) => d.datasetId),
      [datasetId],
      '"Am I in the dataset?" finds it',
    );
    const absent = JSON.parse(await veto.afterwards!.exclusionProof(datasetId, 'acct:u-obj'));
    assert.equal(absent.result, 'not-included', 'the objector is proved absent');
    const present = JSON.parse(await veto.afterwards!.exclusionProof(datasetId, 'acct:u-shown'));
    assert.equal(present.result, 'included');
    const removals = await veto.afterwards!.removalsOf(datasetId);
    assert.deepEqual(
      removals.flatMap((x) => x.itemIds).sort(),
      ['a', 'b'],
      'the late objector’s own record and the one mentioning them',
    );
    // Where it lies is recorded: serve's erasure job reaches it in no configured folder.
    assert.deepEqual(await (await openRemovalStore(veto.store))!.sealedLocationsWithRemovals(), [
      { datasetId, location: sealed },
    ]);
    // Twice: nothing more, and verify now checks it against the registry's record.
    const r3 = runVeto(env, 'dataset', 'register', sealed);
    assert.equal(r3.code, 0);
    assert.match(r3.out, /already registered/);
    const v = runVeto(env, 'dataset', 'verify', sealed, '--json');
    const report = JSON.parse(v.out) as VerifyReport;
    assert.match(report.checks.manifest.detail, /matches the registry/);
    // Registering logged the dataset as sealed, once, naming this manifest.json; the offline
    // build's anchor came from its snapshot file and is checked against the log.
    const sealedEvents: AuditEvent[] = [];
    for await (const e of veto.store.readEvents()) {
      if (e.type === 'dataset.sealed' && e.data.datasetId === datasetId) sealedEvents.push(e);
    }
    assert.equal(sealedEvents.length, 1);
    const bytes = readFileSync(path.join(sealed, 'manifest.json'));
    assert.equal(
      sealedEvents[0]!.data.manifestSha256,
      createHash('sha256').update(bytes).digest('hex'),
    );
    assert.match(report.checks.manifest.detail, /dataset\.sealed #\d+ names this manifest\.json/);
    assert.equal(report.checks.anchor.status, 'pass');
    assert.match(report.checks.anchor.detail, /copied from the snapshot-file by an offline build/);
  });
});
