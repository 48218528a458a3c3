import path from 'node:path';
import { SqliteNoticeStore } from '../../src/store/sqlite/sqlite-notice-store.ts';
import { openSqliteRegistryStore } from '../../src/store/sqlite/sqlite-registry-store.ts';
import { tempDir } from '../support/temp.ts';
import { noticeStoreSuite } from './notice-store.suite.ts';

noticeStoreSuite('sqlite', async (t) => {
  const registry = await openSqliteRegistryStore({
    filename: path.join(tempDir(t, 'veto-notice-'), 'veto.db'),
  });
  t.after(() => registry.close());
  return {
    store: new SqliteNoticeStore(registry),
    rawSql: async (text) => registry.db.prepare(text).run(),
  };
});
