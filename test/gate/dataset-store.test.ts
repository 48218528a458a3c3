import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, test } from 'node:test';
import { buildDataset } from '../../src/gate/build.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { composeGateRegistry, type InclusionRow } from '../../src/gate/registry-port.ts';
import { PostgresDatasetStore } from '../../src/store/postgres/postgres-dataset-store.ts';
import { openPostgresRegistryStore } from '../../src/store/postgres/postgres-registry-store.ts';
import { SqliteDatasetStore } from '../../src/store/sqlite/sqlite-dataset-store.ts';
import { openSqliteRegistryStore } from '../../src/store/sqlite/sqlite-registry-store.ts';
import {
  dropSchema,
  freshSchemaName,
  PG_URL,
  postgresAvailable,
  printableUrl,
} from '../store/postgres-test-db.ts';
import { requireService } from '../support/services.ts';
import { jsonl, record, tempDir, writePolicy, writeSnapshot } from './support/fixtures.ts';
import { MemoryRegistry, recordedSnapshots, TEST_ASSESSMENT } from './support/memory-registry.ts';

type Store = SqliteDatasetStore | PostgresDatasetStore;

function manifest(id: string): DatasetManifest {
  return {
    datasetId: id,
    purpose: 'ai-training',
    policy: { id: 'p', sha256: 'a'.repeat(64) },
    snapshot: { id: 'snap', sha256: 'b'.repeat(64) },
    output: { sha256: 'c'.repeat(64), records: 1 },
  } as DatasetManifest;
}

function* rows(datasetId: string, n: number): Generator<InclusionRow> {
  for (let i = 0; i < n; i++)
    yield { datasetId, subjectKey: `acct:${i % 50_000}`, itemId: `item${i}`, role: 'author' };
}

/** The same checks for both adapters. */
function datasetStoreSuite(
  name: string,
  open: () => Promise<{ store: Store; close: () => Promise<void> }>,
) {
  describe(`${name} dataset store`, () => {
    it('records a gate run and answers "which datasets hold my items"', async () => {
      const { store, close } = await open();
      try {
        const dir = await tempDir();
        const input = join(dir, 'in.jsonl');
        await writeFile(
          input,
          jsonl([record({ id: 'a' }), record({ id: 'b', author_id: 'u2', mentions: ['u1'] })]),
        );
        const result = await buildDataset({
          policy: await writePolicy(dir),
          inputs: [input],
          outDir: join(dir, 'out'),
          objectors: { snapshot: await writeSnapshot(dir, []) },
          // The notice half answered by notice records in which everyone was shown the notice.
          registry: composeGateRegistry(
            store,
            {
              exposures: { subjectsNotShown: async () => [] },
              getVersion: async () => ({ effectiveAt: '2000-01-01T00:00:00.000Z' }),
            },
            // The fixture's snapshot, as the registry records one it takes.
            { getSnapshot: async (id) => recordedSnapshots.get(id) },
            { forPolicy: async () => TEST_ASSESSMENT },
            // Anchored as the memory registry anchors the fixture's snapshots.
            new MemoryRegistry(),
          ),
          workers: 0,
        });
        assert.equal(result.status, 'sealed', result.status === 'failed' ? result.error.stack : '');
        if (result.status !== 'sealed') return;
        const mine = await store.datasetsForSubject('acct:u1');
        assert.deepEqual(
          mine.map((d) => [d.datasetId, d.items]),
          [[result.datasetId, 2]],
        );
        assert.deepEqual(await store.datasetsForSubject('acct:nobody'), []);
        assert.equal(
          (await store.getDataset(result.datasetId))?.output.sha256,
          result.manifest.output.sha256,
        );
        assert.deepEqual(
          await store.objectorsAddedSince('ai-training', '2000-01-01T00:00:00.000Z'),
          [],
        );
      } finally {
        await close();
      }
    });

    it('bulk-inserts 250,000 inclusion rows, in any order, every one of them', async () => {
      const { store, close } = await open();
      try {
        // Subjects in a scattered order and more rows than are sorted together before writing
        // (200,000): each subject's five items, wherever they came, are all recorded.
        async function* scattered() {
          for (let i = 0; i < 250_000; i++) {
            yield {
              datasetId: 'ds_bulk',
              subjectKey: `acct:${(i * 7919) % 50_000}`,
              itemId: `item${i}`,
              role: i % 3 === 0 ? 'mention' : 'author',
            } satisfies InclusionRow;
          }
        }
        const t = performance.now();
        await store.recordDataset(manifest('ds_bulk'), scattered());
        const ms = performance.now() - t;
        console.log(
          `# ${name}: 250,000 inclusion rows in ${ms.toFixed(0)} ms (${((250_000 / ms) * 1000).toFixed(0)} rows/s)`,
        );
        for (const k of [0, 1, 7, 12_345, 49_999])
          assert.equal((await store.datasetsForSubject(`acct:${k}`)).at(0)?.items, 5, `acct:${k}`);
      } finally {
        await close();
      }
    });

    it('leaves nothing behind when the inclusion stream fails', async () => {
      const { store, close } = await open();
      try {
        async function* failing() {
          yield* rows('ds_fail', 10);
          throw new Error('disk gone');
        }
        await assert.rejects(store.recordDataset(manifest('ds_fail'), failing()), /disk gone/);
        assert.equal(await store.getDataset('ds_fail'), undefined);
        assert.deepEqual(await store.datasetsForSubject('acct:1'), []);
      } finally {
        await close();
      }
    });
  });
}

datasetStoreSuite('SQLite', async () => {
  const dir = await tempDir();
  const registry = await openSqliteRegistryStore({ filename: join(dir, 'veto.db') });
  return { store: new SqliteDatasetStore(registry), close: () => registry.close() };
});

const reason = `no PostgreSQL answering at ${printableUrl(PG_URL)} (set VETO_TEST_PG_URL)`;
if (requireService('PostgreSQL', await postgresAvailable(PG_URL), reason)) {
  datasetStoreSuite('PostgreSQL', async () => {
    const schema = freshSchemaName();
    const registry = await openPostgresRegistryStore({ connectionString: PG_URL, schema });
    return {
      store: new PostgresDatasetStore(registry),
      close: async () => {
        await registry.close();
        await dropSchema(PG_URL, schema);
      },
    };
  });
} else {
  test('PostgreSQL dataset store', { skip: reason }, () => {});
}
