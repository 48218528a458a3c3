import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { testApp } from '../support/test-app.ts';

type Ctx = { after: (fn: () => void | Promise<void>) => void };
// The API's mechanics with two languages; every language is published in
// test/portal/every-language.test.ts (a deployment offers every catalogue file by default).
const TWO_LANGUAGES = { languages: ['en', 'fr'] };
const SAMPLE = new URL('../../notices/2026-01/', import.meta.url);
const sample = (lang: string) => readFileSync(new URL(`${lang}.md`, SAMPLE), 'utf8');
const DEMO_POLICY = readFileSync(new URL('../../policies/demo.yaml', import.meta.url), 'utf8');

function publishBody(version: string, overrides: Record<string, unknown> = {}) {
  return {
    version,
    policy: DEMO_POLICY.replace('version: "2026-01"', `version: "${version}"`),
    texts: {
      en: { markdown: sample('en'), changes: 'First version.' },
      fr: { markdown: sample('fr'), changes: 'Première version.' },
    },
    ...overrides,
  };
}

async function publish(t: Ctx) {
  const ctx = await testApp(t, TWO_LANGUAGES);
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/admin/notices',
    headers: ctx.admin,
    payload: publishBody('2026-01'),
  });
  assert.equal(res.statusCode, 201, res.body);
  return ctx;
}

describe('notice API', () => {
  it('publishes a version once: same content is a no-op, different content is refused', async (t) => {
    const { app, admin, apiKey } = await publish(t);
    const again = await app.inject({
      method: 'POST',
      url: '/v1/admin/notices',
      headers: admin,
      payload: publishBody('2026-01'),
    });
    assert.equal(again.statusCode, 200);
    const edited = publishBody('2026-01');
    edited.texts.en.markdown = sample('en').replace('one click', 'two clicks');
    const conflict = await app.inject({
      method: 'POST',
      url: '/v1/admin/notices',
      headers: admin,
      payload: edited,
    });
    assert.equal(conflict.statusCode, 409);
    assert.match(conflict.json().detail, /new version/);
    const v2 = await app.inject({
      method: 'POST',
      url: '/v1/admin/notices',
      headers: admin,
      payload: { ...edited, version: '2026-02', policy: publishBody('2026-02').policy },
    });
    assert.equal(v2.statusCode, 201);
    assert.equal(v2.json().previousVersion, '2026-01');
    assert.equal(v2.json().seq, 2);
    const list = await app.inject({ url: '/v1/notices/versions', headers: apiKey });
    assert.deepEqual(
      list.json().items.map((v: { version: string }) => v.version),
      ['2026-02', '2026-01'],
    );
    // Only the admin publishes.
    const notAdmin = await app.inject({
      method: 'POST',
      url: '/v1/admin/notices',
      headers: apiKey,
      payload: publishBody('x'),
    });
    assert.equal(notAdmin.statusCode, 403);
  });

  it('refuses a text without the separate right-to-object block, its link, or a configured language', async (t) => {
    const { app, admin } = await testApp(t, TWO_LANGUAGES);
    const noBlock = publishBody('v1');
    noBlock.texts.fr.markdown = '# Titre\n\nPas de bloc.\n';
    let res = await app.inject({
      method: 'POST',
      url: '/v1/admin/notices',
      headers: admin,
      payload: noBlock,
    });
    assert.equal(res.statusCode, 400);
    assert.ok(
      res
        .json()
        .errors.some(
          (e: { field: string; reason: string }) =>
            e.field === 'texts.fr.markdown' && /right to object/.test(e.reason),
        ),
    );
    const noLink = publishBody('v1');
    noLink.texts.en.markdown = sample('en').replace('({objectUrl})', '(https://example.org)');
    res = await app.inject({
      method: 'POST',
      url: '/v1/admin/notices',
      headers: admin,
      payload: noLink,
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().detail, /objectUrl/);
    const typo = publishBody('v1');
    typo.texts.en.markdown = `${sample('en')}\n{objetUrl}\n`;
    res = await app.inject({
      method: 'POST',
      url: '/v1/admin/notices',
      headers: admin,
      payload: typo,
    });
    assert.match(res.json().detail, /unknown placeholder \{objetUrl\}/);
    res = await app.inject({
      method: 'POST',
      url: '/v1/admin/notices',
      headers: admin,
      payload: { version: 'v1', texts: { en: { markdown: sample('en'), changes: 'x' } } },
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().detail, /texts\.fr: missing/);
  });

  it('refuses promises the tied policy does not keep, and promises with no policy', async (t) => {
    const { app, admin } = await testApp(t, TWO_LANGUAGES);
    const weak = publishBody('v1');
    weak.policy = weak.policy.replace('HANDLE, PROFILE_URL, PERSON', 'HANDLE');
    let res = await app.inject({
      method: 'POST',
      url: '/v1/admin/notices',
      headers: admin,
      payload: weak,
    });
    assert.equal(res.statusCode, 400);
    const reasons = res
      .json()
      .errors.map((e: { field: string; reason: string }) => `${e.field}: ${e.reason}`);
    assert.ok(
      reasons.includes(
        'texts.en.markdown: line 35: the promise "redacted PERSON" is not kept by policy demo (redaction.categories lacks PERSON)',
      ),
      reasons.join('\n'),
    );
    const untied = publishBody('v1');
    delete (untied as { policy?: string }).policy;
    res = await app.inject({
      method: 'POST',
      url: '/v1/admin/notices',
      headers: admin,
      payload: untied,
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().detail, /no policy is tied to this version/);
  });

  it('serves the current notice in the user’s language (fr-BE → fr) with hash and separate block', async (t) => {
    const { app, apiKey } = await publish(t);
    const fr = await app.inject({
      url: '/v1/notices/current?accountId=42&lang=fr-BE',
      headers: apiKey,
    });
    assert.equal(fr.statusCode, 200, fr.body);
    const body = fr.json();
    assert.equal(body.language, 'fr');
    assert.equal(body.version, '2026-01');
    assert.match(body.title, /Comment Demo Social utilise/);
    assert.match(body.sha256, /^[0-9a-f]{64}$/);
    assert.equal(
      body.sha256,
      (await import('node:crypto')).createHash('sha256').update(sample('fr')).digest('hex'),
    );
    assert.match(body.html, /<section class="right-to-object"/);
    assert.match(body.rightToObject.html, /href="http:\/\/127\.0\.0\.1:8080\/\?lang=fr"/);
    assert.doesNotMatch(body.markdown, /\{objectUrl\}/);
    assert.equal(body.exposure, null);
    const byHeader = await app.inject({
      url: '/v1/notices/current',
      headers: { ...apiKey, 'accept-language': 'de-DE, fr;q=0.8' },
    });
    assert.equal(byHeader.json().language, 'fr');
    const fallback = await app.inject({ url: '/v1/notices/current?lang=pt', headers: apiKey });
    assert.equal(fallback.json().language, 'en');
  });

  it('records exposures in bulk, idempotently, all or nothing', async (t) => {
    const { app, apiKey, veto } = await publish(t);
    const shownAt = new Date().toISOString();
    const exposures = Array.from({ length: 1000 }, (_, i) => ({
      accountId: `u${i}`,
      version: '2026-01',
      language: i % 2 ? 'fr' : 'en',
      channel: 'in-app',
      shownAt,
    }));
    let res = await app.inject({
      method: 'POST',
      url: '/v1/notices/exposures',
      headers: apiKey,
      payload: { exposures },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { received: 1000, recorded: 1000, alreadyRecorded: 0 });
    res = await app.inject({
      method: 'POST',
      url: '/v1/notices/exposures',
      headers: apiKey,
      payload: { exposures },
    });
    assert.deepEqual(res.json(), { received: 1000, recorded: 0, alreadyRecorded: 1000 });
    // The same instant spelled differently is the same exposure; an acknowledgement is added.
    const ack = new Date(Date.parse(shownAt) + 1).toISOString();
    res = await app.inject({
      method: 'POST',
      url: '/v1/notices/exposures',
      headers: apiKey,
      payload: {
        exposures: [
          { ...exposures[0], shownAt: shownAt.replace('Z', '+00:00'), acknowledgedAt: ack },
        ],
      },
    });
    assert.equal(res.json().recorded, 0);
    const current = await app.inject({ url: '/v1/notices/current?accountId=u0', headers: apiKey });
    assert.deepEqual(current.json().exposure, { firstShownAt: shownAt, acknowledgedAt: ack });
    assert.equal(await veto.notices.exposures.shownAt('acct:u1', '2026-01'), shownAt);
    res = await app.inject({
      method: 'POST',
      url: '/v1/notices/exposures',
      headers: apiKey,
      payload: {
        exposures: [
          { accountId: 'ok', version: '2026-01', language: 'en', channel: 'in-app', shownAt },
          { accountId: 'x', version: 'nope', language: 'en', channel: 'in-app', shownAt },
          {
            accountId: 'y',
            version: '2026-01',
            language: 'de',
            channel: 'in-app',
            shownAt: '2020-01-01T00:00:00Z',
          },
        ],
      },
    });
    assert.equal(res.statusCode, 400);
    const fields = res.json().errors.map((e: { field: string }) => e.field);
    assert.deepEqual(fields, [
      'exposures.1.version',
      'exposures.2.language',
      'exposures.2.shownAt',
    ]);
    assert.equal(
      await veto.notices.exposures.shownAt('acct:ok', '2026-01'),
      null,
      'nothing recorded',
    );
    const tooMany = await app.inject({
      method: 'POST',
      url: '/v1/notices/exposures',
      headers: apiKey,
      payload: { exposures: [...exposures, exposures[0]] },
    });
    assert.equal(tooMany.statusCode, 400);
  });

  it('documents every notice route in /openapi.json', async (t) => {
    const { app } = await testApp(t, TWO_LANGUAGES);
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    for (const p of [
      '/v1/notices/current',
      '/v1/notices/exposures',
      '/v1/notices/versions',
      '/v1/notices/versions/{version}',
      '/v1/admin/notices',
      '/v1/admin/notices/bounces',
      '/v1/admin/notices/campaigns/{id}',
    ])
      assert.ok(doc.paths[p], `${p} in the OpenAPI document`);
  });

  it('writes notice.published to the audit chain, which still verifies', async (t) => {
    const { veto } = await publish(t);
    const types: string[] = [];
    for await (const e of veto.store.readEvents()) types.push(e.type);
    assert.deepEqual(types, ['notice.published']);
    assert.equal((await veto.registry.verifyAudit()).ok, true);
  });
});
