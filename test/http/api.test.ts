import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signDemoToken } from '../../src/http/auth/platform-token.ts';
import { testApp } from '../support/test-app.ts';

test('POST /v1/objections with an API key: 201, then 200 for the same subject', async (t) => {
  const { app, apiKey } = await testApp(t);
  const body = { subject: { accountId: 'u-1' } };
  const first = await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: apiKey,
    payload: body,
  });
  assert.equal(first.statusCode, 201, first.body);
  const o = first.json();
  assert.equal(o.status, 'effective');
  assert.equal(o.subjectKind, 'account');
  assert.equal(first.headers.location, `/v1/objections/${o.id}`);
  const second = await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: apiKey,
    payload: body,
  });
  assert.equal(second.statusCode, 200);
  assert.equal(second.json().id, o.id);
});

test('Idempotency-Key: a retry replays, a different body with the same key is 422', async (t) => {
  const { app, apiKey } = await testApp(t);
  const headers = { ...apiKey, 'idempotency-key': 'abc-123' };
  const a = await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers,
    payload: { subject: { accountId: 'u-2' } },
  });
  const b = await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers,
    payload: { subject: { accountId: 'u-2' } },
  });
  assert.equal(a.json().id, b.json().id);
  assert.equal(b.headers['idempotent-replayed'], 'true');
  const c = await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers,
    payload: { subject: { accountId: 'u-3' } },
  });
  assert.equal(c.statusCode, 422);
  assert.equal(c.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(c.json().errors[0].field, 'Idempotency-Key');
});

test('a user token objects for its own account only, and reads its status', async (t) => {
  const { app, user } = await testApp(t);
  const alice = await user('alice', { lang: 'fr' });
  const r = await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: alice,
    payload: {},
  });
  assert.equal(r.statusCode, 201, r.body);
  const other = await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: alice,
    payload: { subject: { accountId: 'bob' } },
  });
  assert.equal(other.statusCode, 403);
  assert.equal(other.json().errors[0].field, 'subject');
  const me = await app.inject({ method: 'GET', url: '/v1/me', headers: alice });
  assert.equal(me.json().objecting, true);
  const bob = await user('bob');
  const peek = await app.inject({
    method: 'GET',
    url: `/v1/objections/${r.json().id}`,
    headers: bob,
  });
  assert.equal(peek.statusCode, 404, "someone else's objection looks like a missing one");
  const bobWithdraw = await app.inject({
    method: 'POST',
    url: `/v1/objections/${r.json().id}/withdraw`,
    headers: bob,
  });
  assert.equal(bobWithdraw.statusCode, 404);
  const w = await app.inject({
    method: 'POST',
    url: `/v1/objections/${r.json().id}/withdraw`,
    headers: alice,
  });
  assert.equal(w.json().status, 'withdrawn');
  assert.equal(
    (await app.inject({ method: 'GET', url: '/v1/me', headers: alice })).json().objecting,
    false,
  );
});

test('expired or forged tokens are 401 problems', async (t) => {
  const { app } = await testApp(t);
  const forged = await signDemoToken('another-secret-0123456789-0123456789-xx', { sub: 'alice' });
  const r = await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: { authorization: `Bearer ${forged}` },
    payload: {},
  });
  assert.equal(r.statusCode, 401);
  assert.equal(r.json().type, 'urn:veto:problem:unauthorized');
  const none = await app.inject({ method: 'POST', url: '/v1/objections', payload: {} });
  assert.equal(none.statusCode, 401);
});

test('validation errors are RFC 9457 problems naming the field and the reason', async (t) => {
  const { app, apiKey } = await testApp(t);
  const r = await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: apiKey,
    payload: { subject: { email: 'nope' }, reason: 5 },
  });
  assert.equal(r.statusCode, 400);
  assert.match(r.headers['content-type'] as string, /^application\/problem\+json/);
  const p = r.json();
  const fields = p.errors.map((e: { field: string }) => e.field);
  assert.ok(fields.includes('reason'), JSON.stringify(p));
  assert.ok(p.errors.every((e: { reason: string }) => e.reason.length > 0));
  const missing = await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: apiKey,
    payload: {},
  });
  assert.equal(missing.statusCode, 400);
  assert.equal(missing.json().errors[0].field, 'subject');
  const badJson = await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: { ...apiKey, 'content-type': 'application/json' },
    payload: '{"subject":',
  });
  assert.equal(badJson.statusCode, 400);
  assert.match(badJson.headers['content-type'] as string, /problem\+json/);
});

test('admin endpoints need the admin credential; listing filters and paginates', async (t) => {
  const { app, apiKey, admin } = await testApp(t);
  for (let i = 0; i < 5; i++) {
    await app.inject({
      method: 'POST',
      url: '/v1/objections',
      headers: apiKey,
      payload: { subject: { accountId: `p${i}` }, channel: i % 2 ? 'email' : 'api' },
    });
  }
  assert.equal(
    (await app.inject({ method: 'GET', url: '/v1/admin/objections', headers: apiKey })).statusCode,
    403,
  );
  const page1 = (
    await app.inject({ method: 'GET', url: '/v1/admin/objections?limit=2', headers: admin })
  ).json();
  assert.equal(page1.items.length, 2);
  const page2 = (
    await app.inject({
      method: 'GET',
      url: `/v1/admin/objections?limit=2&cursor=${page1.nextCursor}`,
      headers: admin,
    })
  ).json();
  const page3 = (
    await app.inject({
      method: 'GET',
      url: `/v1/admin/objections?limit=2&cursor=${page2.nextCursor}`,
      headers: admin,
    })
  ).json();
  const ids = [...page1.items, ...page2.items, ...page3.items].map((o: { id: string }) => o.id);
  assert.equal(new Set(ids).size, 5);
  const emails = (
    await app.inject({ method: 'GET', url: '/v1/admin/objections?channel=email', headers: admin })
  ).json();
  assert.equal(emails.items.length, 2);
  const audit = (
    await app.inject({ method: 'GET', url: '/v1/admin/audit', headers: admin })
  ).json();
  assert.equal(audit.ok, true);
  assert.equal(audit.events, 5);
});

test('a snapshot can be taken and downloaded through the admin API', async (t) => {
  const { app, apiKey, admin, veto } = await testApp(t);
  await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: apiKey,
    payload: { subject: { accountId: 'z' } },
  });
  await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: apiKey,
    payload: { subject: { accountId: 'a' } },
  });
  const s = await app.inject({
    method: 'POST',
    url: '/v1/admin/snapshots',
    headers: admin,
    payload: {},
  });
  assert.equal(s.statusCode, 201, s.body);
  assert.equal(s.json().count, 2);
  const file = await app.inject({ method: 'GET', url: s.json().download, headers: admin });
  assert.equal(file.statusCode, 200);
  const lines = file.body.trimEnd().split('\n');
  assert.match(lines[0]!, /^#veto-snapshot v3 /);
  // The file carries the log's checkpoint at the snapshot's own event (its anchor).
  const event = await veto.store.snapshotEvent(s.json().id);
  assert.match(lines[0]!, new RegExp(`"anchor":\\{"size":${event!.seq},"root":`));
  assert.deepEqual(lines.slice(1), ['acct:a', 'acct:z']);
});

test('the OpenAPI 3.1 document is generated from the route schemas', async (t) => {
  const { app } = await testApp(t);
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  assert.equal(doc.openapi, '3.1.0');
  const post = doc.paths['/v1/objections'].post;
  assert.ok(post.requestBody.content['application/json'].schema.properties.reason);
  assert.ok(doc.paths['/v1/objections/{id}/withdraw']);
  assert.ok(doc.paths['/v1/admin/objections']);
});

test('security headers are set on pages and on API answers', async (t) => {
  const { app, apiKey } = await testApp(t);
  const page = await app.inject({ method: 'GET', url: '/' });
  assert.match(page.headers['content-security-policy'] as string, /default-src 'self'/);
  assert.match(page.headers['content-security-policy'] as string, /frame-ancestors 'none'/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  const api = await app.inject({ method: 'GET', url: '/v1/status?accountId=x', headers: apiKey });
  assert.equal(api.headers['x-content-type-options'], 'nosniff');
  assert.equal(api.headers['cache-control'], 'no-store');
  assert.equal(
    api.headers['content-security-policy'],
    "default-src 'none'; frame-ancestors 'none'",
  );
});

test('the API reference page lists every operation, in the page language', async (t) => {
  const { app } = await testApp(t);
  const en = await app.inject({
    method: 'GET',
    url: '/docs/api',
    headers: { 'accept-language': 'en' },
  });
  assert.equal(en.statusCode, 200);
  assert.match(en.body, /POST \/v1\/objections/);
  assert.match(en.body, /href="\/openapi.json"/);
  const fr = await app.inject({
    method: 'GET',
    url: '/docs/api',
    headers: { 'accept-language': 'fr-BE' },
  });
  assert.match(fr.body, /<html lang="fr"/);
  assert.match(fr.body, /Référence de l’API Veto/);
});

test('unknown paths: a page for browsers, a problem document for API clients', async (t) => {
  const { app } = await testApp(t);
  const page = await app.inject({
    method: 'GET',
    url: '/nowhere',
    headers: { accept: 'text/html' },
  });
  assert.equal(page.statusCode, 404);
  assert.match(page.headers['content-type'] as string, /text\/html/);
  const api = await app.inject({
    method: 'GET',
    url: '/v1/nowhere',
    headers: { accept: 'text/html' },
  });
  assert.equal(api.statusCode, 404);
  assert.match(api.headers['content-type'] as string, /application\/problem\+json/);
});
