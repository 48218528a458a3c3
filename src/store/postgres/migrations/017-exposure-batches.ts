import type { Kysely } from 'kysely';

/**
 * Each notice exposure remembers the batch that recorded it: the batch's rows are committed by
 * one `notice.exposures` audit event (count and Merkle root), so who was shown what cannot be
 * edited later without `veto audit verify` seeing it. Rows recorded before have none. Twin:
 * src/store/sqlite/migrations/017-exposure-batches.ts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('notice_exposures').addColumn('batch_id', 'text').execute();
  await db.schema
    .createIndex('notice_exposures_batch')
    .on('notice_exposures')
    .column('batch_id')
    .execute();
}
