import type { Kysely } from 'kysely';

/**
 * The absolute directory a dataset was sealed into (`<out>/<dataset id>`), recorded with its row
 * by every sealing path, so that `serve`'s erasure job reaches a version sealed outside
 * `VETO_DATASET_DIRS` (src/domain/removals/automatic-erasure.ts). Rows recorded before this
 * migration have none (NULL): only the configured folders find them. Twin:
 * src/store/sqlite/migrations/018-dataset-location.ts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('datasets').addColumn('location', 'text').execute();
}
