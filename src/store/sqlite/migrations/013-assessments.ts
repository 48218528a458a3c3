import { type Kysely, sql } from 'kysely';

/**
 * Legitimate-interest assessment records, one per version kept, never modified or deleted (the
 * triggers refuse it even to a direct SQL session). Twin: src/store/postgres/migrations/
 * 013-assessments.ts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('assessments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('seq', 'integer', (c) => c.notNull().unique())
    .addColumn('policy_id', 'text', (c) => c.notNull())
    .addColumn('policy_sha256', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('record', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('assessments_by_policy')
    .on('assessments')
    .columns(['policy_sha256', 'seq'])
    .execute();
  const refuse = `SELECT RAISE(ABORT, 'assessment records are never modified: record a new version')`;
  await sql
    .raw(`CREATE TRIGGER assessments_immutable BEFORE UPDATE ON assessments BEGIN ${refuse}; END`)
    .execute(db);
  await sql
    .raw(`CREATE TRIGGER assessments_undeletable BEFORE DELETE ON assessments BEGIN ${refuse}; END`)
    .execute(db);
}
