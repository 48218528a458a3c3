import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PolicyError, parsePolicy } from '../../src/gate/policy.ts';

/* The policy fields of names and links: public figures and profile-link patterns. */

const base = `format: veto-policy/v1
id: names
title: Names
purpose: ai-training
legalBasis: { article: "GDPR Art. 6(1)(f)", interest: x }
notice: { version: v1, minimumDays: 30 }
content: { kinds: [post] }
`;

it('redacts every name and knows no extra profile links unless the policy says so', () => {
  const p = parsePolicy(base, 'p.yaml');
  assert.deepEqual(p.redaction.publicFigures, { keep: false, names: [] });
  assert.deepEqual(p.redaction.profileUrlPatterns, []);
  const q = parsePolicy(
    `${base}redaction:\n  categories: [PERSON, PROFILE_URL]\n  publicFigures: { keep: true, names: [Ada Lovelace] }\n  profileUrlPatterns: ['^https://forum\\.example/members/']\n`,
    'q.yaml',
  );
  assert.deepEqual(q.redaction.publicFigures, { keep: true, names: ['Ada Lovelace'] });
  assert.deepEqual(q.redaction.profileUrlPatterns, ['^https://forum\\.example/members/']);
});

it('rejects a profile-link pattern that is no regular expression, naming the field', () => {
  assert.throws(
    () => parsePolicy(`${base}redaction:\n  profileUrlPatterns: ['(unclosed']\n`, 'bad.yaml'),
    (err: unknown) =>
      err instanceof PolicyError &&
      /profileUrlPatterns/.test(String(err.message)) &&
      /not a valid regular expression/.test(String(err.message)),
  );
});
