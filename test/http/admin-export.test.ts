import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testApp } from '../support/test-app.ts';

/**
 * People without an account give the handles and URLs where they appear; the admin API (the
 * listing and the streamed export) gives them back to the platform, never their email address.
 */
test('admin listing and export return the handles and URLs non-users gave, never their address', {
  timeout: 120_000,
}, async (t) => {
  const { app, apiKey, admin, veto } = await testApp(t);
  const post = (payload: object) =>
    app.inject({ method: 'POST', url: '/v1/objections', headers: apiKey, payload });
  const camille = await post({
    subject: { email: 'camille@example.org' },
    appearsAt: ['@camille.m', 'https://social.example/p/1?a=1,b="2"'],
  });
  assert.equal(camille.statusCode, 201, camille.body);
  // Enough objections for the export to take more than one page.
  await Promise.all(
    Array.from({ length: 1050 }, (_, i) =>
      veto.registry.object({
        subject: { kind: 'account', accountId: `u-${i}` },
        channel: 'api',
        language: 'en',
      }),
    ),
  );

  const asAdmin = (url: string) => app.inject({ method: 'GET', url, headers: admin });
  const list = await asAdmin('/v1/admin/objections?subjectKind=non-user');
  assert.equal(list.statusCode, 200, list.body);
  const [item] = list.json().items;
  assert.deepEqual(item.appearsAt, ['@camille.m', 'https://social.example/p/1?a=1,b="2"']);
  assert.match(item.subjectKey, /^email:[0-9a-f]{40}$/);
  assert.doesNotMatch(list.body, /camille@example\.org/);

  const jsonl = await asAdmin('/v1/admin/objections/export?format=jsonl');
  assert.equal(jsonl.statusCode, 200);
  assert.match(jsonl.headers['content-type'] as string, /^application\/x-ndjson/);
  const rows = jsonl.body
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(rows.length, 1051);
  assert.equal(new Set(rows.map((r) => r.id)).size, 1051);
  assert.deepEqual(rows[0], item);
  assert.doesNotMatch(jsonl.body, /camille@example\.org/);

  const csv = await asAdmin('/v1/admin/objections/export?format=csv&subjectKind=non-user');
  assert.equal(csv.statusCode, 200);
  assert.match(csv.headers['content-type'] as string, /^text\/csv/);
  assert.match(csv.headers['content-disposition'] as string, /objections\.csv/);
  const [header, row, end] = csv.body.split('\r\n');
  assert.equal(
    header,
    'id,reference,subject_key,subject_kind,purpose,channel,status,review,received_at,due_at,ended_at,appears_at',
  );
  assert.ok(
    row!.endsWith(',"[""@camille.m"",""https://social.example/p/1?a=1,b=\\""2\\""""]"'),
    row,
  );
  assert.equal(end, '');
  assert.doesNotMatch(csv.body, /camille@example\.org/);

  // Admin only; and documented, with the handles, in the OpenAPI document.
  const anonymous = await app.inject({ method: 'GET', url: '/v1/admin/objections/export' });
  assert.equal(anonymous.statusCode, 401);
  assert.equal(
    (await app.inject({ method: 'GET', url: '/v1/admin/objections/export', headers: apiKey }))
      .statusCode,
    403,
  );
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const route = doc.paths['/v1/admin/objections/export'].get;
  assert.ok(route.responses['200'].content['application/x-ndjson'].schema.properties.appearsAt);
  assert.ok(route.responses['200'].content['text/csv']);
  const listed = JSON.stringify(doc.paths['/v1/admin/objections'].get.responses['200']);
  assert.match(listed, /appearsAt/);
});
