import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { up as upPostgres } from '../../src/store/postgres/migrations/009-transparency-log.ts';
import { openPostgresRegistryStore } from '../../src/store/postgres/postgres-registry-store.ts';
import type { RegistryStore } from '../../src/store/registry-store.ts';
import { up as upSqlite } from '../../src/store/sqlite/migrations/009-transparency-log.ts';
import { openSqliteRegistryStore } from '../../src/store/sqlite/sqlite-registry-store.ts';
import { CompactRange } from '../../src/transparency/compact-range.ts';
import { eventLeafHash } from '../../src/transparency/event-leaves.ts';
import { TransparencyLog } from '../../src/transparency/transparency-log.ts';
import { dropSchema, PG_URL, postgresAvailable, printableUrl } from '../store/postgres-test-db.ts';
import { collect } from '../store/registry-store.suite.ts';
import { requireService } from '../support/services.ts';
import { tempDir } from '../support/temp.ts';

/** A registry written before the transparency log existed: events, no tiles. */
async function appendAndForgetTiles(
  store: RegistryStore,
  drop: () => Promise<void>,
): Promise<void> {
  for (let b = 0; b < 3; b += 1) {
    await store.transaction(async (tx) => {
      await tx.appendEvents(
        Array.from({ length: 200 }, (_, i) => ({
          at: new Date(Date.UTC(2026, 0, 1, 0, 0, b * 200 + i)).toISOString(),
          type: 'objection.recorded',
          objectionId: `o${b}-${i}`,
          subjectKey: `acct:${b * 200 + i}`,
          data: { purpose: 'ai-training' },
        })),
      );
    });
  }
  await drop();
}

async function expectBackfilled(store: RegistryStore): Promise<void> {
  const range = new CompactRange();
  for (const e of await collect(store.readEvents())) range.push(eventLeafHash(e));
  const head = await new TransparencyLog(store).treeHead();
  assert.equal(head.size, 600);
  assert.deepEqual(Buffer.from(head.root), Buffer.from(range.root()));
  // And the log keeps growing from there.
  await store.transaction((tx) =>
    tx.appendEvents([
      { at: '2026-02-01T00:00:00.000Z', type: 'x', objectionId: null, subjectKey: null, data: {} },
    ]),
  );
  assert.equal((await new TransparencyLog(store).treeHead()).size, 601);
}

test('SQLite: the migration puts the events already logged into the transparency log', async (t) => {
  const dir = tempDir(t);
  const filename = `${dir}/registry.db`;
  const first = await openSqliteRegistryStore({ filename });
  await appendAndForgetTiles(first, async () => {
    await sql`DROP TABLE transparency_tiles`.execute(first.kysely);
    await sql`DROP TABLE transparency_cosignatures`.execute(first.kysely);
    // Later migrations have run since, so the migrator would refuse to run this one again out
    // of order: run its `up` itself, as the migrator did when the registry was upgraded.
    await upSqlite(first.kysely);
  });
  await first.close();
  const again = await openSqliteRegistryStore({ filename });
  t.after(() => again.close());
  await expectBackfilled(again);
});

const reason = `no PostgreSQL answering at ${printableUrl(PG_URL)} (set VETO_TEST_PG_URL)`;
test('PostgreSQL: the migration puts the events already logged into the transparency log', async (t) => {
  if (!requireService('PostgreSQL', await postgresAvailable(PG_URL), reason)) return t.skip(reason);
  const schema = `veto_transparency_backfill_${process.pid}`;
  t.after(() => dropSchema(PG_URL, schema));
  const first = await openPostgresRegistryStore({ connectionString: PG_URL, schema });
  await appendAndForgetTiles(first, async () => {
    await sql`DROP TABLE transparency_tiles`.execute(first.kysely);
    await sql`DROP TABLE transparency_cosignatures`.execute(first.kysely);
    await upPostgres(first.kysely);
  });
  await first.close();
  const again = await openPostgresRegistryStore({ connectionString: PG_URL, schema });
  t.after(() => again.close());
  await expectBackfilled(again);
});
