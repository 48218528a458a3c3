import type { Kysely } from 'kysely';

/**
 * The outcome of every `veto dataset verify` against the registry and of the verification
 * `gate build` runs before sealing (src/gate/verification-outcome.ts): the console shows each
 * dataset's last one. No foreign key to `datasets`: a dataset that failed is never sealed, and
 * its failures are kept all the same. Twin: src/store/postgres/migrations/019-dataset-verifications.ts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('dataset_verifications')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('dataset_id', 'text', (c) => c.notNull())
    .addColumn('verified_at', 'text', (c) => c.notNull())
    .addColumn('passed', 'integer', (c) => c.notNull())
    .addColumn('verified_by', 'text', (c) => c.notNull())
    .addColumn('failures', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('dataset_verifications_by_dataset')
    .on('dataset_verifications')
    .columns(['dataset_id', 'id'])
    .execute();
}
