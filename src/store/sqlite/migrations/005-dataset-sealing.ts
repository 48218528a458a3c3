import { type Kysely, sql } from 'kysely';

/**
 * A dataset is recorded in several transactions on SQLite (dataset row first, then the
 * inclusion index 50,000 rows at a time), so a reader can see a dataset with part of its index.
 * `sealed_at` is set by the last step of `recordDataset`: the removal planner ignores datasets
 * without it, and, once per newly sealed dataset (`removal_catchups`), re-checks every effective
 * objector against its index, so an objection that arrived while it was being recorded is not
 * missed. Twin: src/store/postgres/migrations/005-dataset-sealing.ts (same names).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('datasets').addColumn('sealed_at', 'text').execute();
  // Rows recorded before this migration were complete (a failed recording deletes its rows).
  await sql`UPDATE datasets SET sealed_at = recorded_at`.execute(db);
  await db.schema
    .createTable('removal_catchups')
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id'))
    .addColumn('checked_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('removal_catchups_pk', ['job', 'dataset_id'])
    .execute();
}
