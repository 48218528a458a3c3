import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifyChain } from '../../src/domain/audit-chain.ts';
import { type IntakeCommand, ObjectionIntake } from '../../src/domain/objection-intake.ts';
import { monotonicClock } from '../../src/lib/clock.ts';
import { newReference, uuidv7 } from '../../src/lib/ids.ts';
import {
  openPostgresRegistryStore,
  type PostgresRegistryStore,
} from '../../src/store/postgres/postgres-registry-store.ts';
import { requireService } from '../support/services.ts';
import {
  dropSchema,
  freshSchemaName,
  PG_URL,
  postgresAvailable,
  printableUrl,
} from './postgres-test-db.ts';
import { collect, note } from './registry-store.suite.ts';

const reason = `no PostgreSQL answering at ${printableUrl(PG_URL)} (set VETO_TEST_PG_URL)`;
const run = requireService('PostgreSQL', await postgresAvailable(PG_URL), reason);

/** Two stores on one schema, each with its own pool: two Veto processes sharing a database. */
async function twoProcesses(t: {
  after: (fn: () => Promise<void>) => void;
}): Promise<[PostgresRegistryStore, PostgresRegistryStore]> {
  const schema = freshSchemaName();
  // Opened together: the second start-up races the first one's migration.
  const stores = await Promise.all([
    openPostgresRegistryStore({ connectionString: PG_URL, schema, maxConnections: 4 }),
    openPostgresRegistryStore({ connectionString: PG_URL, schema, maxConnections: 4 }),
  ]);
  t.after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await dropSchema(PG_URL, schema);
  });
  return stores;
}

test('the audit chain stays whole under concurrent writers in two processes', {
  skip: run ? false : reason,
  timeout: 120_000,
}, async (t) => {
  const [a, b] = await twoProcesses(t);
  let expected = 0;
  const writer = (store: PostgresRegistryStore, name: string) => async () => {
    for (let i = 0; i < 40; i++) {
      const n = 1 + (i % 3);
      expected += n;
      await store.transaction(async (tx) => {
        // Yield between taking the lock and writing, so the other process really waits on it.
        await new Promise((r) => setImmediate(r));
        await tx.appendEvents(Array.from({ length: n }, (_, k) => note(`${name}.${i}.${k}`)));
      });
    }
  };
  // Three concurrent loops per process: contention inside and across processes.
  await Promise.all([a, b].flatMap((s, p) => [0, 1, 2].map((w) => writer(s, `p${p}w${w}`)())));
  for (const store of [a, b]) {
    const check = await verifyChain(store.readEvents(), await store.chainHead());
    assert.equal(check.ok, true, JSON.stringify(check.problem));
    assert.equal(check.events, expected);
  }
  // Each transaction's events stayed contiguous.
  const notes = (await collect(a.readEvents())).map((e) => String(e.data.note));
  for (let i = 0; i < notes.length; ) {
    const [tx, , first] = notes[i]!.split('.');
    assert.equal(first, '0', `event ${i + 1} starts a transaction`);
    let k = 0;
    while (i < notes.length && notes[i]!.startsWith(`${tx}.`) && notes[i]!.endsWith(`.${k}`)) {
      i++;
      k++;
    }
    assert.ok(k >= 1);
  }
});

test('two processes recording the same subjects create one objection each, without errors', {
  skip: run ? false : reason,
  timeout: 120_000,
}, async (t) => {
  const [a, b] = await twoProcesses(t);
  const intake = (store: PostgresRegistryStore) =>
    new ObjectionIntake({
      store,
      clock: monotonicClock(),
      reviewMode: false,
      maxBatch: 16,
      notifications: { publicUrl: 'http://veto.test', secret: 'test-secret-0123456789-0123456789' },
    });
  const intakes = [intake(a), intake(b)];
  const command = (subject: number): IntakeCommand => ({
    subjectKey: `acct:shared-${subject}`,
    subjectKind: 'account',
    purpose: 'ai-training',
    channel: 'api',
    reasonText: null,
    appearsAt: [],
    language: 'en',
    email: null,
    idempotencyKey: null,
    requestHash: null,
    timeZone: null,
    id: uuidv7(),
    reference: newReference(),
  });
  const subjects = 60;
  // Every subject objects four times, twice through each process, interleaved.
  const outcomes = await Promise.all(
    Array.from({ length: subjects * 4 }, (_, i) =>
      intakes[i % 2]!.record(command(Math.floor(i / 4))),
    ),
  );
  await Promise.all(intakes.map((i) => i.drain()));
  const bySubject = new Map<string, Set<string>>();
  for (const o of outcomes) {
    const ids = bySubject.get(o.objection.subjectKey) ?? new Set();
    ids.add(o.objection.id);
    bySubject.set(o.objection.subjectKey, ids);
  }
  assert.equal(bySubject.size, subjects);
  for (const [key, ids] of bySubject) assert.equal(ids.size, 1, `${key}: one objection`);
  assert.equal(outcomes.filter((o) => o.created).length, subjects);
  const stored = await collect(a.readObjections());
  assert.equal(stored.length, subjects);
  const check = await verifyChain(b.readEvents(), await b.chainHead());
  assert.equal(check.ok, true, JSON.stringify(check.problem));
  assert.equal(check.events, subjects);
});
