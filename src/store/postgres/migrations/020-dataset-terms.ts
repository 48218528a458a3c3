import type { Kysely } from 'kysely';

/**
 * A sealed dataset's terms commitment (docs/transparency.md "Terms objections applied"): the
 * Merkle root and the number of terms objections its redaction applied (also in the manifest),
 * and the sorted keyed values of their receipt references (count × 32 octets), from which a
 * person's proof is computed. Written with the dataset row, before `sealed_at`; a dataset built
 * without the registry has no row. Twin: src/store/sqlite/migrations/020-dataset-terms.ts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('dataset_terms')
    .addColumn('dataset_id', 'text', (c) => c.primaryKey())
    .addColumn('root', 'text', (c) => c.notNull())
    .addColumn('objections', 'integer', (c) => c.notNull())
    .addColumn('leaves', 'bytea', (c) => c.notNull())
    .execute();
}
