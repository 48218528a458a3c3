import { PostgresNoticeStore } from '../../src/store/postgres/postgres-notice-store.ts';
import { openPostgresRegistryStore } from '../../src/store/postgres/postgres-registry-store.ts';
import {
  dropSchema,
  freshSchemaName,
  PG_URL,
  postgresAvailable,
  printableUrl,
} from '../store/postgres-test-db.ts';
import { requireService } from '../support/services.ts';
import { noticeStoreSuite } from './notice-store.suite.ts';

const available = requireService(
  'postgres',
  await postgresAvailable(PG_URL),
  `no PostgreSQL at ${printableUrl(PG_URL)} (set VETO_TEST_PG_URL)`,
);

if (available) {
  noticeStoreSuite('postgres', async (t) => {
    const schema = freshSchemaName();
    const registry = await openPostgresRegistryStore({
      connectionString: PG_URL,
      schema,
      maxConnections: 4,
    });
    t.after(async () => {
      await registry.close();
      await dropSchema(PG_URL, schema);
    });
    return {
      store: new PostgresNoticeStore(registry),
      rawSql: async (text) => registry.pool.query(text),
    };
  });
}
