import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RegistryStore } from '../../src/store/registry-store.ts';
import {
  openSqliteRegistryStore,
  type SqliteRegistryStore,
} from '../../src/store/sqlite/sqlite-registry-store.ts';
import { registryStoreSuite } from './registry-store.suite.ts';

const dirs = new Map<RegistryStore, string>();

registryStoreSuite(
  'sqlite',
  async () => {
    // A real file, not :memory:: streams read from their own connection only on a file.
    const dir = mkdtempSync(path.join(tmpdir(), 'veto-store-'));
    const store = await openSqliteRegistryStore({ filename: path.join(dir, 'registry.db') });
    dirs.set(store, dir);
    return store;
  },
  async (store) => {
    await store.close();
    const dir = dirs.get(store);
    dirs.delete(store);
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
  {
    async outboxPayload(store, id) {
      const row = (store as SqliteRegistryStore).db
        .prepare('SELECT payload FROM outbox WHERE id = ?')
        .get(id) as { payload: string } | undefined;
      return row ? JSON.parse(row.payload) : undefined;
    },
  },
);
