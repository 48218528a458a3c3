import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isObjector, lexicographicKeys, recordLine } from '../../bench/gate/corpus.ts';
import { runVeto } from '../support/veto-cli.ts';
import { tempDir, writeSnapshot } from './support/fixtures.ts';

/**
 * The gate's output, byte for byte, on the demo export and on a slice of the benchmark corpus,
 * against the hashes it had when they were recorded: a change to how the gate reads, decides or
 * writes (a refactoring, a faster path) must leave these bytes as they were, whatever the number
 * of worker threads. When a change is *meant* to change the output (a new rule, a better
 * recognizer: the demo policy redacts names), update the hashes in the same commit and say why.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FILES = ['data.jsonl', 'inclusions.tsv', 'decisions.tsv', 'rejects.jsonl'] as const;

/** sha256 of each staged file, recorded from the gate before its rules, validator and readers were split apart. */
const GOLDEN = {
  demo: {
    'data.jsonl': '44bd44c11a43467a660c33f35985ebe0867ae3bb39512d0748d908a9b8f16be4',
    'inclusions.tsv': 'ace1d5791600770fef1c1b392699518844e8a3b409db92fbd2edac89e893d802',
    'decisions.tsv': '280493496f6f036ebe46bc25af5ecc4993759bf7a8220530f3f40a874ec4d319',
    'rejects.jsonl': '014ce4b306b29304b2146a28a928cade4a8f25182684b2266da353e784c3f05b',
  },
  bench: {
    'data.jsonl': 'e3eb98704b1e605cf1cc7b579d616defa60d6ca6147ffa7a83966e4a1f1a5a36',
    'inclusions.tsv': 'd54679f10646be02b5fb673e6ac6e0c37a94d518613442d45905c2eec0fc0af2',
    'decisions.tsv': 'f43a46fa01ccdbf5b8a56375b42aef94a86304d336d50c4eb9be17f66530b5b8',
    'rejects.jsonl': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  },
} satisfies Record<string, Record<(typeof FILES)[number], string>>;

/** The files' sha256s; the rejects name the input by its path, which is made relative first. */
function hashes(dir: string, input: string): Record<(typeof FILES)[number], string> {
  return Object.fromEntries(
    FILES.map((f) => {
      let bytes = readFileSync(path.join(dir, f));
      if (f === 'rejects.jsonl') {
        const named = JSON.stringify(input).slice(1, -1);
        bytes = Buffer.from(bytes.toString('utf8').replaceAll(named, path.basename(input)));
      }
      return [f, createHash('sha256').update(bytes).digest('hex')];
    }),
  ) as Record<(typeof FILES)[number], string>;
}

function build(input: string, policy: string, snapshot: string, out: string, workers: string) {
  const r = runVeto(
    { VETO_NOTICE_FLOOR_DAYS: '0' },
    'gate',
    'build',
    '--policy',
    policy,
    '--input',
    input,
    '--snapshot',
    snapshot,
    '--offline',
    '--out',
    out,
    '--dataset-id',
    'ds_golden',
    '--workers',
    workers,
  );
  assert.equal(r.code, 0, r.err);
  return hashes(path.join(out, 'ds_golden'), input);
}

describe('gate output against recorded hashes', { timeout: 120_000 }, () => {
  it('the demo export under the demo policy, 0 and 2 worker threads', async () => {
    const dir = await tempDir('veto-golden-');
    const snapshot = await writeSnapshot(dir, ['acct:demo-amelie']);
    const input = path.join(ROOT, 'examples', 'demo-export.jsonl');
    const policy = path.join(ROOT, 'policies', 'demo.yaml');
    for (const workers of ['0', '2']) {
      const got = build(input, policy, snapshot, path.join(dir, `w${workers}`), workers);
      assert.deepEqual(got, GOLDEN.demo, `${workers} workers`);
    }
  });

  it('20,000 records of the benchmark corpus under the benchmark policy, 0 and 2 worker threads', async () => {
    const dir = await tempDir('veto-golden-');
    const spec = { records: 20_000, accounts: 5_000 };
    const input = path.join(dir, 'corpus.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < spec.records; i++) lines.push(recordLine(i, spec));
    writeFileSync(input, `${lines.join('\n')}\n`);
    const snapshot = await writeSnapshot(dir, [...lexicographicKeys(spec.accounts, isObjector)]);
    const policy = path.join(ROOT, 'bench', 'gate', 'bench-policy.yaml');
    for (const workers of ['0', '2']) {
      const got = build(input, policy, snapshot, path.join(dir, `w${workers}`), workers);
      assert.deepEqual(got, GOLDEN.bench, `${workers} workers`);
    }
  });

  it('excludes every objector of a snapshot that fills many regions of the table, 0 and 2 worker threads', async () => {
    // ~100k objectors: a table of 8 regions, filled region by region (keys whose region is full
    // or whose probe runs past its end are added last). A record by every objector, and others:
    // each objector's is excluded as `objected`, with the same output from 0 and 2 worker threads.
    // (The workers' share of a fill, on bigger snapshots, is in objector-set.test.ts.)
    const dir = await tempDir('veto-golden-');
    const spec = { records: 20_000, accounts: 500_000 };
    const keys = [...lexicographicKeys(spec.accounts, isObjector)];
    const lines: string[] = [];
    const withAuthor = (i: number, author: number) =>
      JSON.stringify({
        ...JSON.parse(recordLine(i, spec)),
        id: `r${i}`,
        author_id: String(author),
      });
    for (const [i, key] of keys.entries()) lines.push(withAuthor(i, Number(key.slice(5))));
    let objected = keys.length;
    for (let i = keys.length; i < keys.length + spec.records; i++) {
      const author = (i * 7919) % spec.accounts;
      if (isObjector(author)) objected++;
      lines.push(withAuthor(i, author));
    }
    const input = path.join(dir, 'corpus.jsonl');
    writeFileSync(input, `${lines.join('\n')}\n`);
    const snapshot = await writeSnapshot(dir, keys);
    const policy = path.join(ROOT, 'bench', 'gate', 'bench-policy.yaml');
    const got = ['0', '2'].map((workers) => {
      const out = path.join(dir, `w${workers}`);
      const files = build(input, policy, snapshot, out, workers);
      const decisions = readFileSync(path.join(out, 'ds_golden', 'decisions.tsv'), 'utf8');
      const reasons = decisions.split('\n').map((row) => row.split('\t')[2]);
      assert.equal(reasons.filter((r) => r === 'objected').length, objected, `${workers} workers`);
      return files;
    });
    assert.ok(keys.length > 80_000, `${keys.length} objectors`);
    assert.deepEqual(got[0], got[1]);
  });
});
