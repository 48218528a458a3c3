import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadPolicy, PolicyError, parsePolicy } from '../../src/gate/policy.ts';
import { TEST_POLICY, tempDir, writePolicy } from './support/fixtures.ts';

const shipped = (name: string) => fileURLToPath(new URL(`../../policies/${name}`, import.meta.url));

function issuesOf(text: string, file = 'p.yaml') {
  try {
    parsePolicy(text, file);
  } catch (err) {
    assert.ok(err instanceof PolicyError);
    return err;
  }
  assert.fail('expected a PolicyError');
}

describe('policy as code', () => {
  it('ships the 2024 and 2025 scenarios, valid, the 2025 one stricter', async () => {
    const p2024 = await loadPolicy(shipped('meta-2024.yaml'));
    const p2025 = await loadPolicy(shipped('meta-2025.yaml'));
    assert.equal(p2025.policy.minors.excludeAccounts, true);
    assert.equal(p2024.policy.minors.excludeAccounts, false);
    assert.ok(p2025.policy.notice.minimumDays > p2024.policy.notice.minimumDays);
    for (const kind of p2025.policy.content.kinds)
      assert.ok(p2024.policy.content.kinds.includes(kind));
    assert.deepEqual(p2025.policy.content.kinds, [
      'post',
      'comment',
      'message-to-assistant',
      'message-from-assistant',
    ]);
    assert.ok(!p2024.policy.content.kinds.includes('private-message'));
  });

  it('is stored with the sha256 of its bytes', async () => {
    const dir = await tempDir();
    const path = await writePolicy(dir);
    const loaded = await loadPolicy(path);
    assert.equal(
      loaded.sha256,
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    );
    assert.equal(loaded.source, TEST_POLICY);
  });

  it('applies defaults: public only, minors excluded, redaction on', () => {
    const minimal = `format: veto-policy/v1
id: minimal
title: Minimal
purpose: ai-training
legalBasis: { article: "GDPR Art. 6(1)(f)", interest: x }
notice: { version: v1, minimumDays: 30 }
content: { kinds: [post] }
`;
    const p = parsePolicy(minimal, 'minimal.yaml');
    assert.deepEqual(p.content.audiences, ['public']);
    assert.equal(p.minors.excludeAccounts, true);
    assert.equal(p.minors.excludeContentDepictingMinors, true);
    assert.equal(p.objections.coverMentions, true);
    assert.equal(p.redaction.enabled, true);
    assert.deepEqual(p.redaction.categories, ['EMAIL', 'PHONE', 'IBAN', 'CARD', 'IP']);
  });

  it('never lets private messages in', () => {
    const err = issuesOf(
      TEST_POLICY.replace('kinds: [post, comment', 'kinds: [private-message, comment'),
    );
    assert.match(
      err.message,
      /p\.yaml:\d+: content\.kinds: private messages between people are always excluded/,
    );
  });

  it('names file, line, field and why for each problem', () => {
    const err = issuesOf(
      TEST_POLICY.replace('minimumDays: 42', 'minimumDays: -3')
        .replace('[FR, DE]', '[FR, france]')
        .replace('kinds: [post,', 'kinds: [psot,'),
    );
    const byField = Object.fromEntries(err.issues.map((i) => [i.field, i]));
    assert.ok(byField['notice.minimumDays'], err.message);
    assert.equal(byField['notice.minimumDays']!.line, 10);
    assert.match(
      byField['content.kinds[0]']!.reason,
      /unknown content kind "psot"; known kinds: post, comment/,
    );
    assert.match(byField['content.regions[1]']!.reason, /ISO 3166-1 alpha-2/);
    assert.match(err.message, /^p\.yaml:10: notice\.minimumDays: /m);
  });

  it('rejects unknown fields, bad YAML and minors included without a reason', () => {
    assert.match(issuesOf(`${TEST_POLICY}colour: blue\n`).message, /unknown field\(s\) "colour"/);
    assert.match(issuesOf('format: [unclosed').message, /not valid YAML/);
    assert.match(
      issuesOf(TEST_POLICY.replace('excludeAccounts: true', 'excludeAccounts: false')).message,
      /minors\.includeReason: excludeAccounts: false needs includeReason/,
    );
    assert.match(
      issuesOf('{"format": 1}', 'p.json').message,
      /^p\.json: format: must be "veto-policy\/v1"/m,
    );
  });

  it('reads JSON policies too', async () => {
    const dir = await tempDir();
    const { parse } = await import('yaml');
    const path = await writePolicy(dir, JSON.stringify(parse(TEST_POLICY)), 'policy.json');
    assert.equal((await loadPolicy(path)).policy.id, 'test');
  });
});
