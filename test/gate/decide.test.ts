import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseTimestamp } from '../../src/gate/record-fields.ts';
import { compileRules, decide, type RecordFacts } from '../../src/gate/rules.ts';
import { record, TEST_POLICY } from './support/fixtures.ts';
import { judgeLines, testPolicy } from './support/judge.ts';

const RULES = compileRules(testPolicy());
const NONE = { authorObjected: false, mentionObjected: false };

/** Facts of a record every test policy keeps, with overrides. */
function facts(overrides: Partial<RecordFacts> = {}): RecordFacts {
  return {
    kind: 'post',
    audience: 'public',
    authorMinor: false,
    authorAge: undefined,
    depictsMinor: false,
    sensitive: false,
    region: 'FR',
    createdAt: Date.parse('2025-04-01T10:00:00Z'),
    mediaFlag: undefined,
    ...overrides,
  };
}

describe('decide: the rules as one pure function', () => {
  it('first match wins, in the order of the reasons', () => {
    // Each row matches its own rule and every rule after it: the first one decides.
    const everything = facts({
      kind: 'private-message',
      authorMinor: true,
      depictsMinor: true,
      audience: 'private',
      region: 'US',
      createdAt: Date.parse('2019-01-01'),
      mediaFlag: 'CAWG training-mining "notAllowed"',
      sensitive: true,
    });
    const cases: [Partial<RecordFacts>, string][] = [
      [{}, 'private-message'],
      [{ kind: 'story' }, 'kind'],
      [{ kind: 'post' }, 'minor'],
      [{ kind: 'post', authorMinor: false }, 'minor'], // depicts a minor
      [{ kind: 'post', authorMinor: false, depictsMinor: false }, 'audience'],
      [{ kind: 'post', authorMinor: false, depictsMinor: false, audience: 'public' }, 'region'],
      [
        { kind: 'post', authorMinor: false, depictsMinor: false, audience: 'public', region: 'DE' },
        'before-cutoff',
      ],
      [
        {
          kind: 'post',
          authorMinor: false,
          depictsMinor: false,
          audience: 'public',
          region: 'DE',
          createdAt: Date.parse('2024-01-01'),
        },
        'media-flag',
      ],
    ];
    for (const [overrides, reason] of cases) {
      assert.equal(decide({ ...everything, ...overrides }, RULES, NONE), reason, reason);
    }
    // The subjects' rules come first, whatever the record's facts.
    assert.equal(
      decide(everything, RULES, { authorObjected: true, mentionObjected: true }),
      'objected',
    );
    assert.equal(
      decide(everything, RULES, { authorObjected: false, mentionObjected: true }),
      'objected-mention',
    );
    assert.equal(decide(facts(), RULES, NONE), 'kept');
  });

  it('an age under the adult age is a minor; mentions count only when the policy covers them', () => {
    assert.equal(decide(facts({ authorMinor: undefined, authorAge: 17 }), RULES, NONE), 'minor');
    assert.equal(decide(facts({ authorMinor: undefined, authorAge: 18 }), RULES, NONE), 'kept');
    const noMentions = compileRules(
      testPolicy(TEST_POLICY.replace('coverMentions: true', 'coverMentions: false')),
    );
    assert.equal(
      decide(facts(), noMentions, { authorObjected: false, mentionObjected: true }),
      'kept',
    );
  });

  it('the judge decides every record as decide does, whichever reader reads it', () => {
    const objectors = ['acct:u2', 'acct:u4'];
    const policy = testPolicy();
    const arbRecord = fc.record({
      author: fc.constantFrom('u1', 'u2', 'u3', 'u4'),
      kind: fc.constantFrom('post', 'comment', 'story', 'private-message'),
      audience: fc.constantFrom('public', 'conversation', 'private', 'followers'),
      minor: fc.option(fc.boolean(), { nil: undefined }),
      age: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
      depicts: fc.option(fc.boolean(), { nil: undefined }),
      sensitive: fc.option(fc.boolean(), { nil: undefined }),
      region: fc.constantFrom('FR', 'DE', 'US', 'fr'),
      created: fc.constantFrom('2019-06-01', '2020-01-01T00:00:00Z', '2025-04-01T10:00:00Z'),
      media: fc.option(fc.constantFrom('allowed', 'notAllowed'), { nil: undefined }),
      mentions: fc.option(fc.subarray(['u1', 'u2', 'u3', 'u4']), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(arbRecord, { minLength: 1, maxLength: 20 }), (rows) => {
        // Every generated record has an age or a minor flag, so none is malformed.
        const records = rows.map((r, i) => {
          const age = r.minor === undefined && r.age === undefined ? 30 : r.age;
          return record({
            id: `p${i}`,
            author_id: r.author,
            kind: r.kind,
            audience: r.audience,
            author_minor: r.minor,
            author_age: age,
            depicts_minor: r.depicts,
            sensitive: r.sensitive,
            region: r.region,
            created_at: r.created,
            ...(r.media ? { media: [{ 'cawg.training-mining': r.media }] } : {}),
            ...(r.mentions ? { mentions: r.mentions } : {}),
          });
        });
        // The expected decision, from the record's own fields: no code of the judge's.
        const expected = records.map((rec) => {
          const mentions = ((rec.mentions as string[] | undefined) ?? []).filter(
            (m) => m !== rec.author_id,
          );
          const media = rec.media as { 'cawg.training-mining': string }[] | undefined;
          return decide(
            {
              kind: rec.kind as string,
              audience: rec.audience as string,
              authorMinor: rec.author_minor as boolean | undefined,
              authorAge: rec.author_age as number | undefined,
              depictsMinor: rec.depicts_minor === true,
              sensitive: rec.sensitive === true,
              region: (rec.region as string).toUpperCase(),
              createdAt: parseTimestamp(rec.created_at),
              mediaFlag:
                media?.[0]?.['cawg.training-mining'] === 'notAllowed' ? 'flagged' : undefined,
            },
            compileRules(policy),
            {
              authorObjected: objectors.includes(`acct:${rec.author_id}`),
              mentionObjected: mentions.some((m) => objectors.includes(`acct:${m}`)),
            },
          );
        });
        for (const reader of ['scanner', 'scanner-js', 'json-parse'] as const) {
          const lines = records.map((r) => JSON.stringify(r));
          const got = judgeLines(lines, { objectors, policy, reader }).decisions;
          assert.deepEqual(got, expected, reader);
        }
      }),
      { numRuns: 150 },
    );
  });
});
