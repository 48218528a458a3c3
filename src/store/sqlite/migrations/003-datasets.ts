import { type Kysely, sql } from 'kysely';

/**
 * The gate's tables: sealed datasets and their inclusion index, so a later objection
 * finds every dataset holding the person's items and a person can be told whether their content
 * is in one. Twin: src/store/postgres/migrations/003-datasets.ts (same names).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('datasets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('policy_id', 'text', (c) => c.notNull())
    .addColumn('policy_sha256', 'text', (c) => c.notNull())
    .addColumn('snapshot_id', 'text', (c) => c.notNull())
    .addColumn('snapshot_sha256', 'text', (c) => c.notNull())
    .addColumn('output_sha256', 'text', (c) => c.notNull())
    .addColumn('records', 'integer', (c) => c.notNull())
    .addColumn('manifest', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .execute();
  // Keyed by subject first: "which datasets hold this person's items" is one range scan.
  await db.schema
    .createTable('dataset_inclusions')
    .addColumn('subject_key', 'text', (c) => c.notNull())
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id'))
    .addColumn('item_id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('dataset_inclusions_pk', [
      'subject_key',
      'dataset_id',
      'item_id',
      'role',
    ])
    // Clustered on the key: no separate rowid B-tree to maintain.
    .modifyEnd(sql`WITHOUT ROWID`)
    .execute();
  await db.schema
    .createIndex('dataset_inclusions_dataset')
    .on('dataset_inclusions')
    .column('dataset_id')
    .execute();
}
