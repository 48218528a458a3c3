import type { Kysely } from 'kysely';

/**
 * Staff answer memorisation reports from the console: the answer, its outcome, who answered and
 * when, and the address the person gave for the receipt (the answer goes there too, in their
 * language). Twin: src/store/postgres/migrations/012-memorisation-answers.ts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('memorisation_reports').addColumn('contact_email', 'text').execute();
  await db.schema.alterTable('memorisation_reports').addColumn('answered_at', 'text').execute();
  await db.schema.alterTable('memorisation_reports').addColumn('answered_by', 'text').execute();
  await db.schema.alterTable('memorisation_reports').addColumn('outcome', 'text').execute();
  await db.schema.alterTable('memorisation_reports').addColumn('answer', 'text').execute();
}
