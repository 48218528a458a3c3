import type { Kysely } from 'kysely';

/**
 * A sealed dataset's exclusion commitment (docs/transparency.md "Am I in this dataset? A
 * proof"): the VRF key it was made with, the Merkle root and the number of subjects (also in the
 * manifest), and the sorted VRF outputs themselves (count × 32 octets), from which the tree and a
 * person's proof are computed. Written with the dataset row, before `sealed_at`; a dataset built
 * without a VRF key has no row. Twin: src/store/sqlite/migrations/014-dataset-exclusion.ts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('dataset_exclusions')
    .addColumn('dataset_id', 'text', (c) => c.primaryKey())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('root', 'text', (c) => c.notNull())
    .addColumn('subjects', 'integer', (c) => c.notNull())
    .addColumn('leaves', 'bytea', (c) => c.notNull())
    .execute();
}
