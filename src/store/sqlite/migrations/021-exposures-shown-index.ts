import { type Kysely, sql } from 'kysely';

/**
 * The notice-period check's index: the exposures that count (not voided), by version, subject
 * and time, so that "was X shown V by T?" is answered from the index alone, without reading the
 * row for `voided_at`. The gate asks it for every kept author of a build, millions of times: with
 * the row read per key it cost 7-12 µs a key (bench/notice). It replaces the index of the same
 * columns over every row, which nothing else used (the primary key serves the lookups by
 * subject). Twin: src/store/postgres/migrations/021-exposures-shown-index.ts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX notice_exposures_shown ON notice_exposures (version_id, subject_key, shown_at)
    WHERE voided_at IS NULL`.execute(db);
  await db.schema.dropIndex('notice_exposures_version_subject').execute();
}
