import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mediaDoNotTrain, parseTimestamp } from '../../src/gate/record-fields.ts';
import { record, TEST_POLICY } from './support/fixtures.ts';
import { judgeLines, testPolicy } from './support/judge.ts';

const one = (overrides: Record<string, unknown>, options: Parameters<typeof judgeLines>[1] = {}) =>
  judgeLines([JSON.stringify(record(overrides))], options);

describe('gate rules: one decision and one reason per record', () => {
  it('kept: a public adult post in scope is written byte for byte', () => {
    const line =
      '{"id": "p1",  "author_id":"u1","kind":"post","audience":"public","created_at":"2025-04-01","text":"Bonjour","author_minor":false,"region":"FR"}';
    const r = judgeLines([line]);
    assert.deepEqual(r.decisions, ['kept']);
    assert.equal(r.out, `${line}\n`, 'original bytes, spacing included');
    assert.deepEqual(r.inclusions, ['acct:u1\tp1\tauthor\t0\t1']);
  });

  it('a text given twice cannot smuggle identifiers past redaction (duplicate or escaped key)', () => {
    const base =
      '"id":"p1","author_id":"u1","kind":"post","audience":"public","created_at":"2025-04-01","author_minor":false,"region":"FR"';
    const lines = [
      `{${base},"text":"call 06 12 34 56 78","text":"hello"}`,
      `{${base},"te\\u0078t":"mail jean@example.fr","text":"hello"}`,
      `{${base},"text":"hello","text":"call 06 12 34 56 78"}`,
    ];
    const r = judgeLines(lines);
    assert.deepEqual(r.decisions, ['kept', 'kept', 'kept']);
    assert.doesNotMatch(r.out, /06 12|jean@example/);
    const texts = r.out
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { text: string }).text);
    assert.deepEqual(texts, ['hello', 'hello', 'call <PHONE>']);
    // Two authors: the record is judged as the last one's (as JSON.parse reads it) and written
    // so, without the other, whether redaction is on or off.
    const noRedaction = testPolicy(TEST_POLICY.replace('  enabled: true\n', '  enabled: false\n'));
    const twoAuthors = `{${base.replace('"author_id":"u1",', '"author_id":"u9","author_id":"u1",')},"text":"hi"}`;
    for (const policy of [testPolicy(), noRedaction]) {
      const t = judgeLines([twoAuthors], { policy, objectors: ['acct:u7'] });
      assert.deepEqual(t.decisions, ['kept']);
      assert.doesNotMatch(t.out, /u9/);
      assert.deepEqual(t.inclusions, ['acct:u1\tp1\tauthor\t0\t1']);
    }
  });

  it('objected: the author is in the objector set', () => {
    assert.deepEqual(one({ author_id: 'u9' }, { objectors: ['acct:u9'] }).decisions, ['objected']);
    assert.deepEqual(one({ author_id: 42 }, { objectors: ['acct:42'] }).decisions, ['objected']);
  });

  it('objected-mention: a person mentioned in the record objected (account id or subject key)', () => {
    const objectors = ['acct:m1', 'email:abc'];
    assert.deepEqual(one({ mentions: ['m1'] }, { objectors }).decisions, ['objected-mention']);
    assert.deepEqual(one({ mentions: ['email:abc'] }, { objectors }).decisions, [
      'objected-mention',
    ]);
    const ignoring = testPolicy(TEST_POLICY.replace('coverMentions: true', 'coverMentions: false'));
    assert.deepEqual(one({ mentions: ['m1'] }, { objectors, policy: ignoring }).decisions, [
      'kept',
    ]);
  });

  it('objected wins over every other reason', () => {
    const r = one(
      { author_id: 'u9', kind: 'private-message', author_minor: true },
      { objectors: ['acct:u9'] },
    );
    assert.deepEqual(r.decisions, ['objected']);
  });

  it('private-message: always excluded, before the kind rule', () => {
    assert.deepEqual(one({ kind: 'private-message', audience: 'conversation' }).decisions, [
      'private-message',
    ]);
  });

  it('kind: a kind the policy does not include, or an unknown one', () => {
    assert.deepEqual(one({ kind: 'audio-transcript' }).decisions, ['kind']);
    assert.deepEqual(one({ kind: 'story' }).decisions, ['kind']);
  });

  it('minor: a minor account (flag or age), or content depicting a minor', () => {
    assert.deepEqual(one({ author_minor: true }).decisions, ['minor']);
    assert.deepEqual(one({ author_minor: undefined, author_age: 17 }).decisions, ['minor']);
    assert.deepEqual(one({ author_minor: undefined, author_age: 18 }).decisions, ['kept']);
    assert.deepEqual(one({ depicts_minor: true }).decisions, ['minor']);
  });

  it('audience: not public (nor conversation with the assistant) is excluded', () => {
    assert.deepEqual(one({ audience: 'friends' }).decisions, ['audience']);
    assert.deepEqual(one({ kind: 'message-to-assistant', audience: 'conversation' }).decisions, [
      'kept',
    ]);
  });

  it('region: outside the policy regions', () => {
    assert.deepEqual(one({ region: 'US' }).decisions, ['region']);
    assert.deepEqual(one({ region: 'de' }).decisions, ['kept']);
  });

  it('before-cutoff: created before content.notBefore', () => {
    assert.deepEqual(one({ created_at: '2019-12-31T23:59:59Z' }).decisions, ['before-cutoff']);
    assert.deepEqual(one({ created_at: '2020-01-01 00:00:00' }).decisions, ['kept']);
    assert.deepEqual(one({ created_at: Date.parse('2019-06-01') }).decisions, ['before-cutoff']);
  });

  it('media-flag: CAWG notAllowed or constrained, IPTC prohibited, unknown values', () => {
    const cases: [unknown, string][] = [
      [
        { 'cawg.training-mining': { entries: { 'cawg.ai_training': { use: 'notAllowed' } } } },
        'media-flag',
      ],
      [
        { 'cawg.training-mining': { 'cawg.ai_generative_training': { use: 'constrained' } } },
        'media-flag',
      ],
      [{ training_mining: 'allowed' }, 'kept'],
      [
        { 'cawg.training-mining': { entries: { 'cawg.ai_inference': { use: 'notAllowed' } } } },
        'kept',
      ],
      [
        { 'plus:DataMining': 'http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING' },
        'media-flag',
      ],
      [{ data_mining: 'DMI-ALLOWED' }, 'kept'],
      [{ data_mining: 'maybe' }, 'media-flag'],
    ];
    for (const [item, expected] of cases) {
      assert.deepEqual(
        one({ media: [{ type: 'image' }, item] }).decisions,
        [expected],
        JSON.stringify(item),
      );
    }
    assert.equal(
      mediaDoNotTrain({ training_mining: 'constrained' }),
      'CAWG training-mining "constrained"',
    );
  });

  it('sensitive: special-category content flagged upstream', () => {
    assert.deepEqual(one({ sensitive: true }).decisions, ['sensitive']);
    assert.deepEqual(one({ sensitive: false }).decisions, ['kept']);
  });

  it('malformed: cannot be judged, rejected with line number and reason', () => {
    const lines = [
      'not json',
      '[1,2]',
      'null',
      JSON.stringify(record({ id: undefined })),
      JSON.stringify(record({ author_id: { id: 1 } })),
      JSON.stringify(record({ author_id: 'a b' })),
      JSON.stringify(record({ kind: 7 })),
      JSON.stringify(record({ text: undefined })),
      JSON.stringify(record({ created_at: true })),
      JSON.stringify(record({ author_minor: undefined })),
      JSON.stringify(record({ author_minor: 'no' })),
      JSON.stringify(record({ region: undefined })),
      JSON.stringify(record({ created_at: 'last tuesday' })),
      JSON.stringify(record({ media: {} })),
      JSON.stringify(record({ mentions: 'm1' })),
      JSON.stringify(record({ id: 'a\tb' })),
    ];
    const r = judgeLines(lines);
    assert.deepEqual(
      r.decisions,
      lines.map(() => 'malformed'),
    );
    assert.equal(r.out, '');
    assert.deepEqual(
      r.rejects.map((x) => x.line),
      lines.map((_, i) => i + 1),
    );
    const errors = r.rejects.map((x) => x.error);
    assert.match(errors[0]!, /not valid JSON/);
    assert.match(errors[1]!, /not a JSON object/);
    assert.match(errors[3]!, /^id: missing/);
    assert.match(errors[4]!, /^author_id: must be a string or an integer/);
    assert.match(errors[5]!, /^author_id: must not contain spaces/);
    assert.match(errors[9]!, /author_minor or author_age: missing/);
    assert.match(errors[11]!, /^region: missing/);
    assert.match(errors[12]!, /^created_at: not an ISO 8601/);
  });

  it('blank lines are not records and keep line numbers right', () => {
    const r = judgeLines(['', JSON.stringify(record()), '   ', 'oops']);
    assert.deepEqual(r.decisions, ['kept', 'malformed']);
    assert.equal(r.result.blank, 2);
    assert.equal(r.rejects[0]!.line, 4);
  });

  it('redaction: structured identifiers in kept text are replaced; the line is re-serialised', () => {
    const r = one({
      text: 'mail jean@example.fr or +33 6 12 34 56 78, IBAN FR7630006000011234567890189',
    });
    assert.deepEqual(r.decisions, ['kept']);
    const text = JSON.parse(r.out).text as string;
    assert.doesNotMatch(text, /jean@example\.fr|12 34 56 78|FR7630006000011234567890189/);
    assert.match(text, /<EMAIL>/);
    assert.equal(r.result.redacted, 1);
    const off = testPolicy(TEST_POLICY.replace('  enabled: true', '  enabled: false'));
    assert.match(
      JSON.parse(one({ text: 'jean@example.fr' }, { policy: off }).out).text,
      /jean@example/,
    );
  });

  it('field mapping: other field names (dotted paths) and other kind/audience values', () => {
    const line = JSON.stringify({
      post_id: 'x1',
      owner: { id: 'u5', minor: false },
      type: 'status',
      visibility: 'everyone',
      ts: '2025-01-01T00:00:00Z',
      body: 'write to a@b.fr',
      region: 'FR',
    });
    const mapping = {
      fields: {
        id: 'post_id',
        author_id: 'owner.id',
        author_minor: 'owner.minor',
        kind: 'type',
        audience: 'visibility',
        created_at: 'ts',
        text: 'body',
      },
      kinds: { status: 'post' },
      audiences: { everyone: 'public' },
    };
    const r = judgeLines([line], { mapping, objectors: [] });
    assert.deepEqual(r.decisions, ['kept']);
    assert.equal(JSON.parse(r.out).body, 'write to <EMAIL>');
    assert.deepEqual(judgeLines([line], { mapping, objectors: ['acct:u5'] }).decisions, [
      'objected',
    ]);
    const bad = judgeLines([JSON.stringify({ post_id: 'x' })], { mapping });
    assert.match(bad.rejects[0]!.error, /^owner\.id: missing/); // Only the table's own entries translate: a kind named "constructor" stays itself.
    const inherited = JSON.stringify({ ...JSON.parse(line), type: 'constructor' });
    assert.deepEqual(judgeLines([inherited], { mapping }).decisions, ['kind']);
  });

  it('the author mentioned in their own record is one subject, not two (every reader)', () => {
    const line = JSON.stringify(
      record({ id: 'p9', author_id: 'u1', mentions: ['u1', 'acct:u1', 'u2'] }),
    );
    for (const reader of ['scanner', 'scanner-js', 'json-parse'] as const) {
      const r = judgeLines([line], { reader });
      assert.deepEqual(r.decisions, ['kept'], reader);
      assert.deepEqual(
        r.inclusions,
        ['acct:u1\tp9\tauthor\t0\t1', 'acct:u2\tp9\tmention\t0\t1'],
        reader,
      );
    }
  });

  it('timestamps without a zone are UTC, never the machine zone', () => {
    assert.equal(parseTimestamp('2025-01-01 10:00:00'), Date.UTC(2025, 0, 1, 10));
    assert.equal(parseTimestamp('2025-01-01'), Date.UTC(2025, 0, 1));
    assert.equal(parseTimestamp('2025-01-01T10:00:00+02:00'), Date.UTC(2025, 0, 1, 8));
    assert.ok(Number.isNaN(parseTimestamp('01/02/2025')));
  });
});
