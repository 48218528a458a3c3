import { type Kysely, sql } from 'kysely';

/**
 * The twin of src/store/sqlite/migrations/003-datasets.ts: sealed datasets and their inclusion
 * index. Keys are `COLLATE "C"` (byte order), like the registry's.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const byteOrder = sql`text COLLATE "C"`;
  await db.schema
    .createTable('datasets')
    .addColumn('id', byteOrder, (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('policy_id', 'text', (c) => c.notNull())
    .addColumn('policy_sha256', 'text', (c) => c.notNull())
    .addColumn('snapshot_id', 'text', (c) => c.notNull())
    .addColumn('snapshot_sha256', 'text', (c) => c.notNull())
    .addColumn('output_sha256', 'text', (c) => c.notNull())
    .addColumn('records', 'bigint', (c) => c.notNull())
    .addColumn('manifest', 'jsonb', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('dataset_inclusions')
    .addColumn('subject_key', byteOrder, (c) => c.notNull())
    .addColumn('dataset_id', byteOrder, (c) => c.notNull().references('datasets.id'))
    .addColumn('item_id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('dataset_inclusions_pk', [
      'subject_key',
      'dataset_id',
      'item_id',
      'role',
    ])
    .execute();
  await db.schema
    .createIndex('dataset_inclusions_dataset')
    .on('dataset_inclusions')
    .column('dataset_id')
    .execute();
}
