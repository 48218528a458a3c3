import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { DEMO_ACCOUNTS } from '../../src/demo/accounts.ts';
import { signDemoToken } from '../../src/http/auth/platform-token.ts';
import { filterHas, readFilterFile } from '../../src/registry-files/filter-file.ts';
import {
  ACCOUNT_ID_MAX_LENGTH,
  ACCOUNT_ID_PATTERN,
  accountIdProblem,
  subjectKeyProblem,
} from '../../src/registry-files/subject-key-rule.ts';
import { testApp } from '../support/test-app.ts';
import { TEST_JWT_SECRET } from '../support/test-veto.ts';
import { runVeto, sqliteEnv } from '../support/veto-cli.ts';

/**
 * One account id rule everywhere: what the API, the portal (the platform's token) and the import
 * accept can always be written to a snapshot and a filter file, and what they refuse is a
 * problem document naming the field.
 */

const SECRET = 'test-secret-0123456789-0123456789-0123456789';
const veto = (dir: string, ...args: string[]) => runVeto(sqliteEnv(dir, SECRET), ...args);

/** Characters that broke, or could break, a registry file, a terminal or a reader's eye. */
const NASTY = [
  '\u0000',
  '\u0001',
  '\t',
  '\n',
  '\r',
  ' ',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u200d',
  '\u202e',
  '\u2066',
  '\u3000',
  '\ufeff',
  '\ufffd',
  '\uffff',
  '\ufdd0',
  '\ud800',
  '\udfff',
  '\u{1f600}',
  '\u{10ffff}',
  'é',
  'e\u0301',
  'ß',
  'Ω',
  '用户',
  ':',
  '/',
  '"',
  '\\',
];

/** Account ids as they come: mostly plain, often Unicode, sometimes hostile, sometimes long. */
const accountIds = fc.oneof(
  fc.string({ minLength: 0, maxLength: 12 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(...NASTY),
        fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp)),
        fc.string({ minLength: 1, maxLength: 3 }),
      ),
      { minLength: 0, maxLength: 8 },
    )
    .map((parts) => parts.join('')),
  fc
    .tuple(
      fc.integer({ min: ACCOUNT_ID_MAX_LENGTH - 2, max: ACCOUNT_ID_MAX_LENGTH + 2 }),
      fc.boolean(),
    )
    .map(([n, astral]) => (astral ? '\u{1f600}' : 'x').repeat(n)),
);

test('the API accepts exactly the ids of the one rule; each accepted id round-trips through the spawned snapshot and filter writers', {
  timeout: 180_000,
}, async (t) => {
  const { app, apiKey, dir, veto: wired } = await testApp(t);
  const accepted = new Set<string>();
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(accountIds, async (accountId) => {
      const r = await app.inject({
        method: 'POST',
        url: '/v1/objections',
        headers: apiKey,
        payload: { subject: { accountId } },
      });
      const problem = accountIdProblem(accountId);
      if (problem === undefined) {
        assert.ok([200, 201].includes(r.statusCode), `${JSON.stringify(accountId)}: ${r.body}`);
        // The rule's promise: the key fits the files.
        assert.equal(subjectKeyProblem(`acct:${accountId}`), undefined);
        assert.ok(new RegExp(ACCOUNT_ID_PATTERN, 'u').test(accountId));
        accepted.add(accountId);
      } else {
        assert.equal(r.statusCode, 400, `${JSON.stringify(accountId)} accepted: ${problem}`);
        assert.match(r.headers['content-type'] as string, /^application\/problem\+json/);
        const body = r.json();
        assert.equal(body.errors[0].field, 'subject.accountId', r.body);
        assert.equal(body.errors[0].reason, problem);
        assert.ok(!new RegExp(ACCOUNT_ID_PATTERN, 'u').test(accountId));
        refused++;
      }
    }),
    { numRuns: 200 },
  );
  assert.ok(accepted.size > 20 && refused > 20, `accepted ${accepted.size}, refused ${refused}`);
  // The registry as `veto registry snapshot` and `veto registry filter` find it, in the same files.
  await wired.registry.drain();
  const snapPath = path.join(dir, 'all.snap');
  const snap = veto(dir, 'registry', 'snapshot', '--out', snapPath);
  assert.equal(snap.code, 0, snap.err);
  const lines = readFileSync(snapPath, 'utf8').split('\n').slice(1, -1);
  assert.deepEqual(new Set(lines), new Set([...accepted].map((id) => `acct:${id}`)));
  const filterPath = path.join(dir, 'all.vfilter');
  const filter = veto(dir, 'registry', 'filter', '--out', filterPath);
  assert.equal(filter.code, 0, filter.err);
  assert.equal(JSON.parse(filter.out).count, accepted.size);
  const { filter: loaded } = await readFilterFile(filterPath);
  for (const id of accepted) assert.ok(filterHas(loaded, `acct:${id}`), JSON.stringify(id));
});

test('the ids that used to block every snapshot are refused at the API with a problem naming the field', async (t) => {
  const { app, apiKey } = await testApp(t);
  for (const [accountId, reason] of [
    ['a\u0001b', /U\+0001 at character 2 is a control character/],
    ['a\u007fb', /U\+007F at character 2 is a control character/],
    ['\ud800x', /lone UTF-16 surrogate/],
    [' padded', /U\+0020 at character 1 is whitespace/],
    ['abc\u00a0', /U\+00A0 at character 4 is whitespace/],
    ['admin\u202egnp.exe', /bidirectional control/],
    ['caf\ufffd', /replacement character/],
    ['x'.repeat(201), /at most 200 characters \(this one has 201\)/],
  ] as const) {
    // A lone surrogate cannot be put in a URL (it has no UTF-8): the body only.
    const query = accountId.includes('\ud800')
      ? []
      : [`/v1/status?accountId=${encodeURIComponent(accountId)}`];
    for (const url of ['/v1/objections', ...query]) {
      const r =
        url === '/v1/objections'
          ? await app.inject({
              method: 'POST',
              url,
              headers: apiKey,
              payload: { subject: { accountId } },
            })
          : await app.inject({ method: 'GET', url, headers: apiKey });
      assert.equal(r.statusCode, 400, `${url} ${JSON.stringify(accountId)}: ${r.body}`);
      const body = r.json();
      assert.equal(
        body.errors[0].field,
        url === '/v1/objections' ? 'subject.accountId' : 'querystring.accountId',
      );
      assert.match(body.errors[0].reason, reason);
    }
  }
  // Unicode ids are ids: taken exactly as given, never normalised.
  for (const accountId of ['Zoë', 'Zoe\u0301', '用户_42', '\u{1f600}']) {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/objections',
      headers: apiKey,
      payload: { subject: { accountId } },
    });
    assert.equal(r.statusCode, 201, r.body);
  }
  // The rule is in the OpenAPI document, for clients to check before they send.
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const schema = JSON.stringify(doc.paths['/v1/objections'].post.requestBody);
  assert.ok(schema.includes(JSON.stringify(ACCOUNT_ID_PATTERN).slice(1, -1)), 'pattern');
});

test('a platform token whose subject breaks the rule opens no session and records nothing', async (t) => {
  const { app, veto: wired } = await testApp(t);
  const token = await signDemoToken(TEST_JWT_SECRET, { sub: 'bad\u0001id' });
  const api = await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: { authorization: `Bearer ${token}` },
    payload: {},
  });
  assert.equal(api.statusCode, 401, api.body);
  assert.equal(api.json().errors[0].field, 'token.sub');
  const portal = await app.inject({ method: 'GET', url: `/session?token=${token}&next=/` });
  assert.equal(portal.statusCode, 401);
  assert.equal(portal.cookies.find((c) => c.name === 'veto_session' && c.value)?.value, undefined);
  let count = 0;
  for await (const _ of wired.store.readObjections()) count++;
  assert.equal(count, 0);
});

test('the demo platform names only accounts the rule accepts', () => {
  for (const a of DEMO_ACCOUNTS) assert.equal(accountIdProblem(a.id), undefined, a.id);
  const root = fileURLToPath(new URL('../../', import.meta.url));
  for (const line of readFileSync(path.join(root, 'examples/demo-export.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)) {
    const r = JSON.parse(line) as { author_id: string; mentions?: string[] };
    for (const id of [r.author_id, ...(r.mentions ?? [])]) {
      assert.equal(accountIdProblem(id), undefined, id);
    }
  }
});
