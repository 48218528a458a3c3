import { type Kysely, sql } from 'kysely';

/**
 * The twin of src/store/sqlite/migrations/005-dataset-sealing.ts: `datasets.sealed_at`, set by
 * the last step of `recordDataset` (the removal planner ignores datasets without it), and the
 * planner's record of which sealed datasets it has caught up with (`removal_catchups`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('datasets').addColumn('sealed_at', 'timestamptz').execute();
  // Rows recorded before this migration were complete (one transaction per dataset here).
  await sql`UPDATE datasets SET sealed_at = recorded_at`.execute(db);
  await db.schema
    .createTable('removal_catchups')
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('dataset_id', sql`text COLLATE "C"`, (c) => c.notNull().references('datasets.id'))
    .addColumn('checked_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('removal_catchups_pk', ['job', 'dataset_id'])
    .execute();
}
