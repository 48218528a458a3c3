import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { displayNameProblem } from '../../src/gate/named-subjects.ts';
import { runVeto } from '../support/veto-cli.ts';
import {
  jsonl,
  record,
  TEST_POLICY,
  tempDir,
  writePolicy,
  writeSnapshot,
} from './support/fixtures.ts';

/**
 * Named objectors, through `veto gate build --names` and `veto dataset verify`: a record naming
 * an account objector by handle, display name or profile link is dropped like one mentioning
 * them; a lone first name or a display name of ordinary words drops nothing.
 */

const POLICY = TEST_POLICY.replace(
  'objections:\n  coverMentions: true\n',
  'objections:\n  coverMentions: true\n  profileUrls: ["https://forum.example/users/{id}"]\n',
);

const NAMES = [
  { account_id: 'u-obj', handles: ['@nina_r'], display_names: ['Nina Roux', 'Nina'] },
  { account_id: 'u-best', handles: [], display_names: ['The Best'] },
  { account_id: 'u2', handles: ['paulm'], display_names: ['Paul Martin'] },
];

describe('named objectors (veto gate build --names)', () => {
  it('drops records naming an objector by handle, display name or profile link, and nothing else', async () => {
    const dir = await tempDir('veto-named-');
    assert.ok(POLICY.includes('profileUrls'));
    const input = path.join(dir, 'in.jsonl');
    const texts: Record<string, string> = {
      byName: 'Lunch with Nina Roux today',
      byHandle: 'cc @NINA_R please',
      byLink: 'see https://forum.example/users/u-obj.',
      loneFirstName: 'Nina said hi',
      ordinaryWords: 'The Best day of the year',
      lowerCase: 'nina roux is a colour',
      otherHandle: 'hello @nina_rx',
      otherLink: 'see https://forum.example/users/u-obj2',
      notAnObjector: 'Dinner with Paul Martin and @paulm',
    };
    writeFileSync(
      input,
      jsonl(Object.entries(texts).map(([id, text]) => record({ id, author_id: 'u1', text }))),
    );
    const names = path.join(dir, 'names.jsonl');
    writeFileSync(names, jsonl(NAMES));
    const snapshot = await writeSnapshot(dir, ['acct:u-obj', 'acct:u-best', 'acct:u-obj2x']);
    const out = path.join(dir, 'out');
    const policy = await writePolicy(dir, POLICY);
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
      '--names',
      names,
      '--out',
      out,
      '--workers',
      '0',
    );
    assert.equal(r.code, 0, r.err);
    const [ds] = readdirSync(out).filter((d) => !d.startsWith('.'));
    const sealed = path.join(out, ds!);
    const m: DatasetManifest = JSON.parse(readFileSync(path.join(sealed, 'manifest.json'), 'utf8'));
    const decisions = Object.fromEntries(
      readFileSync(path.join(sealed, 'decisions.tsv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((row) => row.split('\t'))
        .map(([, , reason, id]) => [id, reason]),
    );
    assert.deepEqual(decisions, {
      byName: 'objected-mention',
      byHandle: 'objected-mention',
      byLink: 'objected-mention',
      loneFirstName: 'kept',
      ordinaryWords: 'kept',
      lowerCase: 'kept',
      otherHandle: 'kept',
      otherLink: 'kept',
      notAnObjector: 'kept',
    });
    assert.equal(m.names?.accounts, 3);
    assert.equal(m.names?.displayNamesSkipped, 2, '"Nina" and "The Best"');
    // The named non-objector is in the inclusion index, as a person mentioned.
    assert.match(
      readFileSync(path.join(sealed, 'inclusions.tsv'), 'utf8'),
      /acct:u2\tnotAnObjector\tmention/,
    );

    const ok = runVeto({}, 'dataset', 'verify', sealed, '--offline', '--snapshot', snapshot);
    assert.equal(ok.code, 0, ok.out + ok.err);
    appendFileSync(
      path.join(sealed, 'data.jsonl'),
      `${JSON.stringify(record({ id: 'late', author_id: 'u1', text: 'ping @nina_r' }))}\n`,
    );
    const bad = runVeto({}, 'dataset', 'verify', sealed, '--offline', '--snapshot', snapshot);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /objectors: line \d+, item late, acct:u-obj: kept record mentioning/);
    // The names file is checked against the manifest too: a changed one is a failed check.
    appendFileSync(path.join(sealed, 'names.jsonl'), '\n');
    const renamed = runVeto({}, 'dataset', 'verify', sealed, '--offline', '--snapshot', snapshot);
    assert.equal(renamed.code, 1);
    assert.match(renamed.out, /manifest: names\.jsonl: sha256 [0-9a-f]{64}, the manifest says/);
  });

  it('redacts named objectors exactly when the policy does not cover mentions', async () => {
    const dir = await tempDir('veto-named-');
    const input = path.join(dir, 'in.jsonl');
    writeFileSync(
      input,
      jsonl([
        record({ id: 'a', author_id: 'u1', text: 'Lunch with Nina Roux and @nina_r' }),
        record({ id: 'b', author_id: 'u1', text: 'see https://forum.example/users/u-obj now' }),
        record({ id: 'c', author_id: 'u1', text: 'Dinner with Paul Martin' }),
      ]),
    );
    const names = path.join(dir, 'names.jsonl');
    writeFileSync(names, jsonl(NAMES));
    const snapshot = await writeSnapshot(dir, ['acct:u-obj']);
    const out = path.join(dir, 'out');
    const policy = await writePolicy(
      dir,
      POLICY.replace('coverMentions: true', 'coverMentions: false'),
      'redact.yaml',
    );
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
      '--names',
      names,
      '--out',
      out,
      '--workers',
      '0',
    );
    assert.equal(r.code, 0, r.err);
    const [ds] = readdirSync(out).filter((d) => !d.startsWith('.'));
    const sealed = path.join(out, ds!);
    const data = readFileSync(path.join(sealed, 'data.jsonl'), 'utf8');
    assert.equal(data.trim().split('\n').length, 3, 'every record kept');
    assert.doesNotMatch(data, /Nina Roux|@nina_r|users\/u-obj/);
    assert.match(data, /Paul Martin/, 'a named non-objector stays');
    const ok = runVeto({}, 'dataset', 'verify', sealed, '--offline', '--snapshot', snapshot);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /third-party-terms\s+ok: \d+ named objectors' terms/);
    appendFileSync(
      path.join(sealed, 'data.jsonl'),
      `${JSON.stringify(record({ id: 'z', author_id: 'u1', text: 'hi @nina_r' }))}\n`,
    );
    const bad = runVeto({}, 'dataset', 'verify', sealed, '--offline', '--snapshot', snapshot);
    assert.equal(bad.code, 1);
    assert.match(
      bad.out,
      /third-party-terms: line 4, item z: kept text names a person who objected/,
    );
    appendFileSync(path.join(sealed, 'names.jsonl'), '\n');
    const renamed = runVeto({}, 'dataset', 'verify', sealed, '--offline', '--snapshot', snapshot);
    assert.equal(renamed.code, 1);
    assert.match(renamed.out, /manifest: names\.jsonl: sha256 [0-9a-f]{64}, the manifest says/);
  });

  it('refuses a names file it cannot read, naming the line and the field (exit 2)', async () => {
    const dir = await tempDir('veto-named-');
    const input = path.join(dir, 'in.jsonl');
    writeFileSync(input, jsonl([record()]));
    const names = path.join(dir, 'names.jsonl');
    writeFileSync(names, `${JSON.stringify(NAMES[0])}\n{"account_id": "u 2"}\n`);
    const r = runVeto(
      {},
      'gate',
      'build',
      '--offline',
      '--snapshot',
      await writeSnapshot(dir, []),
      '--policy',
      await writePolicy(dir, POLICY),
      '--input',
      input,
      '--names',
      names,
      '--out',
      path.join(dir, 'out'),
    );
    assert.equal(r.code, 2);
    assert.match(r.err, /names\.jsonl:2: account_id/);
  });

  it('uses a display name only when it is a full name as written', () => {
    for (const ok of ['Nina Roux', 'Jan Kowalski', 'Marie-Claire Dubois', 'Paul Martin'])
      assert.equal(displayNameProblem(ok), undefined, ok);
    for (const no of ['Nina', 'nina roux', 'The Best', 'Red Wine', 'cool_guy 99', 'Bob'])
      assert.ok(displayNameProblem(no), no);
  });
});
