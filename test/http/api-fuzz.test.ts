import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { SqliteRegistryStore } from '../../src/store/sqlite/sqlite-registry-store.ts';
import { testApp } from '../support/test-app.ts';

/** Counts every row a request could write; a rejected request must leave all of them unchanged. */
function rowCounts(store: SqliteRegistryStore): string {
  const tables = ['objections', 'audit_events', 'idempotency_keys', 'contacts', 'outbox'];
  return tables
    .map((t) => (store.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n)
    .join(',');
}

const jsonish = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      subject: fc.oneof(
        fc.jsonValue(),
        fc.record({ accountId: fc.oneof(fc.string(), fc.jsonValue()) }),
        fc.record({ email: fc.oneof(fc.emailAddress(), fc.string()) }),
      ),
      purpose: fc.oneof(fc.constant('ai-training'), fc.string(), fc.jsonValue()),
      reason: fc.oneof(fc.string({ maxLength: 6000 }), fc.jsonValue()),
      appearsAt: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
      language: fc.oneof(fc.constantFrom('fr', 'en', 'fr-BE', 'xx'), fc.string()),
      channel: fc.oneof(fc.constantFrom('api', 'email', 'import', 'portal'), fc.string()),
      receiptEmail: fc.oneof(fc.emailAddress(), fc.string()),
      extra: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
);

test('random and malformed bodies never produce a 500 nor a partial write', async (t) => {
  const { app, apiKey, veto } = await testApp(t);
  const store = veto.store as SqliteRegistryStore;
  await fc.assert(
    fc.asyncProperty(jsonish, fc.boolean(), async (body, raw) => {
      const before = rowCounts(store);
      const payload = raw
        ? JSON.stringify(body).slice(0, Math.max(1, JSON.stringify(body).length - 1))
        : JSON.stringify(body);
      const r = await app.inject({
        method: 'POST',
        url: '/v1/objections',
        headers: { ...apiKey, 'content-type': 'application/json' },
        payload,
      });
      assert.ok(r.statusCode < 500, `${r.statusCode} for ${payload.slice(0, 200)}: ${r.body}`);
      if (r.statusCode >= 400) {
        assert.match(r.headers['content-type'] as string, /^application\/problem\+json/);
        assert.equal(rowCounts(store), before, 'a rejected request wrote nothing');
        const p = r.json();
        assert.ok(p.detail && p.status === r.statusCode);
      } else {
        assert.ok(r.statusCode === 200 || r.statusCode === 201);
      }
    }),
    { numRuns: 300 },
  );
  assert.equal((await veto.registry.verifyAudit()).ok, true);
});
