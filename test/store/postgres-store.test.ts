import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  openPostgresRegistryStore,
  type PostgresRegistryStore,
} from '../../src/store/postgres/postgres-registry-store.ts';
import type { RegistryStore } from '../../src/store/registry-store.ts';
import { requireService } from '../support/services.ts';
import {
  dropSchema,
  freshSchemaName,
  PG_URL,
  postgresAvailable,
  printableUrl,
  queryOnce,
} from './postgres-test-db.ts';
import { collect, note, objection, registryStoreSuite } from './registry-store.suite.ts';

const reason = `no PostgreSQL answering at ${printableUrl(PG_URL)} (set VETO_TEST_PG_URL)`;
const run = requireService('PostgreSQL', await postgresAvailable(PG_URL), reason);

const schemas = new Map<RegistryStore, string>();

async function open(): Promise<PostgresRegistryStore> {
  const schema = freshSchemaName();
  const store = await openPostgresRegistryStore({ connectionString: PG_URL, schema });
  schemas.set(store, schema);
  return store;
}

async function cleanup(store: RegistryStore): Promise<void> {
  await store.close();
  const schema = schemas.get(store);
  schemas.delete(store);
  if (schema) await dropSchema(PG_URL, schema);
}

if (!run) {
  test('PostgreSQL registry store', { skip: reason }, () => {});
} else {
  registryStoreSuite('postgres', open, cleanup, {
    async outboxPayload(store, id) {
      const row = await (store as PostgresRegistryStore).kysely
        .selectFrom('outbox')
        .select('payload')
        .where('id', '=', id)
        .executeTakeFirst();
      return row?.payload;
    },
  });

  describe('PostgreSQL adapter', () => {
    test('keeps every table, migrations included, in its schema', async (t) => {
      const store = await open();
      t.after(() => cleanup(store));
      const schema = schemas.get(store)!;
      const tables = await queryOnce<{ table_name: string }>(
        PG_URL,
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
        [schema],
      );
      // Other features add their own tables (datasets, notices): the registry's must all be here.
      const names = tables.map((r) => r.table_name);
      for (const name of [
        'audit_events',
        'chain_head',
        'contacts',
        'idempotency_keys',
        'kysely_migration',
        'kysely_migration_lock',
        'objections',
        'outbox',
        'snapshots',
        'verification_codes',
      ])
        assert.ok(names.includes(name), `table ${name} is in the schema`);
      const indexes = await queryOnce<{ indexname: string }>(
        PG_URL,
        'SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY 1',
        [schema],
      );
      for (const name of [
        'objections_one_effective',
        'objections_subject',
        'objections_received',
        'objections_purpose_received',
        'outbox_pending',
        'verification_codes_email',
      ])
        assert.ok(
          indexes.some((r) => r.indexname === name),
          name,
        );
      // Reopening the same schema is a no-op migration and sees the same data.
      await store.transaction((tx) => tx.appendEvents([note('kept')]));
      const again = await openPostgresRegistryStore({ connectionString: PG_URL, schema });
      try {
        assert.equal((await again.chainHead()).seq, 1);
      } finally {
        await again.close();
      }
    });

    test('streams hand their connection back, also when stopped early', async (t) => {
      const store = await open();
      t.after(() => cleanup(store));
      await store.transaction((tx) =>
        tx.insertObjections(
          Array.from({ length: 2500 }, (_, i) => objection({ subjectKey: `acct:p${i}` })),
        ),
      );
      const idle = () => store.pool.totalCount === store.pool.idleCount;
      for (let i = 0; i < 15; i++) {
        for await (const _ of store.readObjections()) break;
        assert.ok(idle(), 'a stopped stream must release its connection');
      }
      const it = store
        .objectorsAsOf('ai-training', '2030-01-01T00:00:00.000Z')
        [Symbol.asyncIterator]();
      await it.next();
      assert.ok(!idle(), 'an open stream holds a connection');
      await it.return?.();
      assert.ok(idle());
      assert.equal(
        (await collect(store.objectorsAsOf('ai-training', '2030-01-01T00:00:00.000Z'))).length,
        2500,
      );
      assert.ok(idle());
    });

    test('rejects a schema name it cannot use safely', async () => {
      await assert.rejects(
        openPostgresRegistryStore({ connectionString: PG_URL, schema: 'x; DROP TABLE y' }),
        /schema/,
      );
    });
  });
}
