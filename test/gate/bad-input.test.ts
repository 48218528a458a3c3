import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runGateBuildCommand } from '../../src/gate/cli-gate-build.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { jsonl, record, tempDir, writePolicy, writeSnapshot } from './support/fixtures.ts';

/**
 * Bad input is loud, through `veto gate build`: a record that is not UTF-8 is rejected with its
 * line and byte offset and never copied; an export with no valid record seals nothing and exits
 * non-zero, unless `--allow-empty`; a repeated record id keeps its first copy only, and no copy
 * when the copies name different authors.
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

async function build(input: Buffer | string, ...more: string[]) {
  const dir = await tempDir('veto-bad-input-');
  const file = join(dir, 'in.jsonl');
  await writeFile(file, input);
  const out = join(dir, 'out');
  const stdout = capture();
  const stderr = capture();
  const code = await runGateBuildCommand(
    [
      '--policy',
      await writePolicy(dir),
      '--input',
      file,
      '--out',
      out,
      '--snapshot',
      await writeSnapshot(dir, ['acct:obj']),
      '--offline',
      '--workers',
      '1',
      ...more,
    ],
    { stdout, stderr },
  );
  const sealed = existsSync(out) ? readdirSync(out) : [];
  return { code, out, sealed, stdout: stdout.text, stderr: stderr.text };
}

function manifestOf(out: string, sealed: string[]): DatasetManifest {
  const [ds] = sealed.filter((d) => !d.startsWith('.'));
  return JSON.parse(readFileSync(join(out, ds!, 'manifest.json'), 'utf8'));
}

describe('veto gate build: loud bad input', () => {
  it('rejects a record that is not UTF-8 with its line and byte offset, and never copies it', async () => {
    const good = jsonl([record({ id: 'a' })]);
    const bad = Buffer.concat([
      Buffer.from(`${JSON.stringify(record({ id: 'b' })).slice(0, -2)} caf`),
      Buffer.from([0xe9, 0x21]),
      Buffer.from('"}\n'),
    ]);
    const r = await build(Buffer.concat([Buffer.from(good), bad]));
    assert.equal(r.code, 0, r.stderr);
    const m = manifestOf(r.out, r.sealed);
    assert.equal(m.counts.kept, 1);
    assert.equal(m.counts.malformed, 1);
    const dir = join(r.out, m.datasetId);
    const data = readFileSync(join(dir, 'data.jsonl'));
    assert.ok(isUtf8(data), 'the sealed data is UTF-8');
    assert.doesNotMatch(data.toString('utf8'), /"id":"b"/);
    const rejects = readFileSync(join(dir, 'rejects.jsonl'), 'utf8').trim().split('\n');
    assert.equal(rejects.length, 1);
    const reject = JSON.parse(rejects[0]!);
    assert.equal(reject.line, 2);
    assert.equal(reject.reason, 'malformed');
    const offset = bad.indexOf(0xe9);
    assert.match(reject.error, new RegExp(`not valid UTF-8: byte offset ${offset} of the line`));
  });

  for (const [what, input] of [
    ['an empty file', ''],
    ['a file of blank lines', '\n\n  \n'],
    ['a whole-file JSON array', `${JSON.stringify([record({ id: 'a' }), record({ id: 'b' })])}\n`],
    ['a pretty-printed JSON array', `${JSON.stringify([record({ id: 'a' })], null, 2)}\n`],
  ] as const) {
    it(`seals nothing from ${what} and exits non-zero`, async () => {
      const r = await build(input);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /no valid record .*nothing sealed.*--allow-empty/);
      assert.deepEqual(r.sealed, [], 'no dataset directory, no .partial left');
    });
  }

  it('seals an empty dataset when --allow-empty says so', async () => {
    const r = await build('\n', '--allow-empty');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(manifestOf(r.out, r.sealed).output.records, 0);
  });

  it('still seals an export whose valid records are all excluded by the policy', async () => {
    const r = await build(jsonl([record({ id: 'a', author_id: 'obj' })]));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(manifestOf(r.out, r.sealed).counts.objected, 1);
  });
  it('keeps the first copy of a repeated id and rejects the later ones (duplicate-id)', async () => {
    const r = await build(
      jsonl([
        record({ id: 'a', text: 'first' }),
        record({ id: 'b' }),
        record({ id: 'a', text: 'second' }),
        record({ id: 'a', text: 'third' }),
      ]),
    );
    assert.equal(r.code, 0, r.stderr);
    const m = manifestOf(r.out, r.sealed);
    assert.equal(m.counts.kept, 2);
    assert.equal(m.counts['duplicate-id'], 2);
    assert.deepEqual(m.duplicateIds, { ids: 1, authorsDiffer: 0, copiesExcluded: 2 });
    const dir = join(r.out, m.datasetId);
    const data = readFileSync(join(dir, 'data.jsonl'), 'utf8');
    assert.match(data, /first/);
    assert.doesNotMatch(data, /second|third/);
    const rejects = readFileSync(join(dir, 'rejects.jsonl'), 'utf8').trim().split('\n');
    assert.deepEqual(
      rejects.map((l) => [JSON.parse(l).line, JSON.parse(l).reason]),
      [
        [3, 'duplicate-id'],
        [4, 'duplicate-id'],
      ],
    );
    assert.match(JSON.parse(rejects[0]!).error, /id "a" repeated \(first on .*in\.jsonl line 1\)/);
    const decisions = readFileSync(join(dir, 'decisions.tsv'), 'utf8');
    assert.match(decisions, /^0\t1\tkept\ta$/m);
    assert.match(decisions, /^0\t3\tduplicate-id\ta$/m);
    assert.match(r.stdout + r.stderr, /duplicate-id/);
  });

  it('keeps no copy of an id whose copies name different authors', async () => {
    const r = await build(
      jsonl([
        record({ id: 'a', author_id: 'u1', text: 'one' }),
        record({ id: 'b' }),
        record({ id: 'a', author_id: 'u2', text: 'two' }),
      ]),
    );
    assert.equal(r.code, 0, r.stderr);
    const m = manifestOf(r.out, r.sealed);
    assert.equal(m.counts.kept, 1);
    assert.equal(m.counts['duplicate-id'], 2);
    assert.deepEqual(m.duplicateIds, { ids: 1, authorsDiffer: 1, copiesExcluded: 2 });
    const data = readFileSync(join(r.out, m.datasetId, 'data.jsonl'), 'utf8');
    assert.doesNotMatch(data, /"id":"a"/);
  });

  it("never keeps another author's copy of an objector's record", async () => {
    // The objector's copy is dropped as objected; the copy under another name must not survive.
    const r = await build(
      jsonl([
        record({ id: 'a', author_id: 'obj', text: 'mine' }),
        record({ id: 'b' }),
        record({ id: 'a', author_id: 'u2', text: 'mine' }),
      ]),
    );
    assert.equal(r.code, 0, r.stderr);
    const m = manifestOf(r.out, r.sealed);
    assert.equal(m.counts.objected, 1);
    assert.equal(m.counts['duplicate-id'], 1);
    assert.equal(m.counts.kept, 1);
    const data = readFileSync(join(r.out, m.datasetId, 'data.jsonl'), 'utf8');
    assert.doesNotMatch(data, /mine/);
  });

  it("never keeps another author's copy of a record excluded for any reason (minor, media flag, kind)", async () => {
    // Reasons whose names share a first letter with "malformed" (minor, media-flag) too: a
    // malformed record's id is the only one the search for repeats leaves out.
    const notAllowed = {
      'cawg.training-mining': { entries: { 'cawg.ai_training': { use: 'notAllowed' } } },
    };
    for (const [reason, excluded] of [
      ['minor', { author_minor: true }],
      ['media-flag', { media: [{ type: 'image', ...notAllowed }] }],
      ['kind', { kind: 'story' }],
    ] as const) {
      const r = await build(
        jsonl([
          record({ id: 'a', author_id: 'u1', text: 'theirs', ...excluded }),
          record({ id: 'b' }),
          record({ id: 'a', author_id: 'u2', text: 'theirs' }),
        ]),
      );
      assert.equal(r.code, 0, r.stderr);
      const m = manifestOf(r.out, r.sealed);
      assert.equal(m.counts[reason], 1, reason);
      assert.equal(m.counts['duplicate-id'], 1, reason);
      assert.equal(m.counts.kept, 1, reason);
      assert.doesNotMatch(readFileSync(join(r.out, m.datasetId, 'data.jsonl'), 'utf8'), /theirs/);
    }
  });

  it('finds repeats across batches and workers, and the sealed dataset verifies', async () => {
    const records = Array.from({ length: 6000 }, (_, i) =>
      record({
        id: `r${i % 5000}`,
        author_id: `u${i % 5000}`,
        text: `post ${i} ${'x'.repeat(600)}`,
      }),
    );
    const r = await build(jsonl(records), '--workers', '2');
    assert.equal(r.code, 0, r.stderr);
    const m = manifestOf(r.out, r.sealed);
    assert.equal(m.counts.kept, 5000);
    assert.equal(m.counts['duplicate-id'], 1000);
    const ids = readFileSync(join(r.out, m.datasetId, 'data.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).id);
    assert.equal(new Set(ids).size, 5000);
  });
});
