import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import {
  dropSchema,
  freshSchemaName,
  PG_URL,
  postgresAvailable,
  printableUrl,
  queryOnce,
} from '../store/postgres-test-db.ts';
import { requireService } from '../support/services.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { TEST_API_KEY, testVeto } from '../support/test-veto.ts';

const auth = { authorization: `Bearer ${TEST_API_KEY}` };

async function pgReady(): Promise<boolean> {
  return requireService(
    'PostgreSQL',
    await postgresAvailable(PG_URL),
    `no PostgreSQL answering at ${printableUrl(PG_URL)} (set VETO_TEST_PG_URL)`,
  );
}

/** A Veto app on its own schema, connecting through `proxy` when given; every connection named. */
async function appOnPostgres(t: TestContext, proxy?: TcpProxy) {
  const schema = freshSchemaName();
  const appName = `veto_prod_${randomBytes(4).toString('hex')}`;
  await queryOnce(PG_URL, `CREATE SCHEMA "${schema}"`);
  const url = new URL(PG_URL);
  if (proxy) {
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
  }
  url.searchParams.set('options', `-c search_path=${schema}`);
  url.searchParams.set('application_name', appName);
  const { veto } = await testVeto(t, { databaseUrl: url.toString() });
  t.after(() => dropSchema(PG_URL, schema));
  const app: FastifyInstance = await buildApp(veto);
  t.after(() => app.close());
  return { app, schema, appName };
}

interface Tally {
  acknowledged: string[];
  unavailable: number;
  other: string[];
}

/** `workers` clients posting objections for fresh accounts until `until()` says stop. */
async function load(app: FastifyInstance, workers: number, until: () => boolean): Promise<Tally> {
  const tally: Tally = { acknowledged: [], unavailable: 0, other: [] };
  let n = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (!until()) {
        const accountId = `loss-${n++}`;
        const r = await app.inject({
          method: 'POST',
          url: '/v1/objections',
          headers: auth,
          payload: { subject: { accountId } },
        });
        if (r.statusCode === 201 || r.statusCode === 200) tally.acknowledged.push(accountId);
        else if (
          r.statusCode === 503 &&
          String(r.headers['content-type']).startsWith('application/problem+json') &&
          r.json().type === 'urn:veto:problem:storage-unavailable' &&
          Number(r.headers['retry-after']) > 0
        )
          tally.unavailable += 1;
        else tally.other.push(`${r.statusCode} ${r.body.slice(0, 200)}`);
      }
    }),
  );
  return tally;
}

/** The pool reconnects by itself: a request succeeds again within a few seconds. */
async function recovers(app: FastifyInstance): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (let i = 0; ; i++) {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/objections',
      headers: auth,
      payload: { subject: { accountId: `after-${i}` } },
    });
    if (r.statusCode === 201) return;
    assert.ok(Date.now() < deadline, `no recovery: still ${r.statusCode} ${r.body}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function assertAllPresent(schema: string, acknowledged: string[]): Promise<void> {
  const rows = await queryOnce<{ subject_key: string }>(
    PG_URL,
    `SELECT subject_key FROM "${schema}".objections`,
  );
  const stored = new Set(rows.map((r) => r.subject_key));
  const missing = acknowledged.filter((id) => !stored.has(`acct:${id}`));
  assert.deepEqual(missing, [], `${missing.length} acknowledged objections are not stored`);
}

test('PostgreSQL backends terminated under load: 503 problem documents, no crash, every acknowledged objection stored, the pool recovers', async (t) => {
  if (!(await pgReady())) return t.skip();
  const { app, schema, appName } = await appOnPostgres(t);
  let stop = false;
  let terminated = 0;
  const killer = (async () => {
    for (let round = 0; round < 4; round++) {
      await new Promise((r) => setTimeout(r, 250));
      const rows = await queryOnce<{ ok: boolean }>(
        PG_URL,
        'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
        [appName],
      );
      terminated += rows.filter((r) => r.ok).length;
    }
    stop = true;
  })();
  const tally = await load(app, 40, () => stop);
  await killer;
  assert.ok(terminated > 0, 'no backend was terminated: the test did not test anything');
  assert.deepEqual(tally.other, [], 'every answer is an acknowledgement or a 503 problem');
  assert.ok(tally.unavailable > 0, 'terminations under load should fail some requests');
  assert.ok(tally.acknowledged.length > 0);
  await recovers(app);
  await assertAllPresent(schema, tally.acknowledged);
});

test('connections cut by a TCP proxy, then refused for a while: 503s, then recovery, nothing acknowledged lost', async (t) => {
  if (!(await pgReady())) return t.skip();
  const target = new URL(PG_URL);
  const proxy = await startTcpProxy({
    host: target.hostname,
    port: Number(target.port || 5432),
  });
  t.after(() => proxy.close());
  const { app, schema } = await appOnPostgres(t, proxy);
  let stop = false;
  let cut = 0;
  const chaos = (async () => {
    await new Promise((r) => setTimeout(r, 200));
    cut += proxy.cut();
    await new Promise((r) => setTimeout(r, 200));
    proxy.refuse(true);
    cut += proxy.cut();
    await new Promise((r) => setTimeout(r, 400));
    proxy.refuse(false);
    await new Promise((r) => setTimeout(r, 200));
    cut += proxy.cut();
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
  })();
  const tally = await load(app, 40, () => stop);
  await chaos;
  assert.ok(cut > 0, 'no connection was cut');
  assert.deepEqual(tally.other, [], 'every answer is an acknowledgement or a 503 problem');
  assert.ok(tally.unavailable > 0, 'cut connections under load should fail some requests');
  await recovers(app);
  await assertAllPresent(schema, tally.acknowledged);
});
