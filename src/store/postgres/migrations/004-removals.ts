import { type Kysely, sql } from 'kysely';

/**
 * After the build: removals planned from later objections, models trained on a
 * dataset, recipients of a dataset version (GDPR Art. 19) and their transactional outbox,
 * memorisation reports, and the removal planner's cursor over the audit log.
 * Twin: src/store/sqlite/migrations/004-removals.ts (same names; times as ISO text, like the
 * SQLite twin, since only this feature reads them).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('removals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id'))
    .addColumn('subject_key', 'text', (c) => c.notNull())
    .addColumn('objection_id', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    /** JSON array of item ids, sorted. */
    .addColumn('item_ids', 'jsonb', (c) => c.notNull())
    .addColumn('items', 'bigint', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .execute();
  // One removal per objection and dataset: a replayed event plans nothing twice.
  await db.schema
    .createIndex('removals_objection_dataset')
    .on('removals')
    .columns(['objection_id', 'dataset_id'])
    .unique()
    .execute();
  await db.schema
    .createIndex('removals_dataset')
    .on('removals')
    .columns(['dataset_id', 'recorded_at'])
    .execute();
  await db.schema.createIndex('removals_subject').on('removals').column('subject_key').execute();

  await db.schema
    .createTable('models')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('trained_at', 'text')
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('models_dataset').on('models').column('dataset_id').execute();

  await db.schema
    .createTable('recipients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('webhook_url', 'text')
    /** Standard Webhooks secret (`whsec_...`): needed to sign, so kept; shown once at creation. */
    .addColumn('webhook_secret', 'text')
    .addColumn('nats_subject', 'text')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('recipients_dataset').on('recipients').column('dataset_id').execute();

  // The outbox of messages to recipients: committed with the removal, delivered afterwards.
  await db.schema
    .createTable('recipient_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('recipient_id', 'text', (c) => c.notNull())
    .addColumn('removal_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text')
    .addColumn('last_error', 'text')
    .execute();
  await sql`CREATE INDEX recipient_outbox_pending ON recipient_outbox (next_attempt_at) WHERE delivered_at IS NULL`.execute(
    db,
  );
  await db.schema
    .createIndex('recipient_outbox_removal')
    .on('recipient_outbox')
    .column('removal_id')
    .execute();

  await db.schema
    .createTable('memorisation_reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    .addColumn('subject_key', 'text', (c) => c.notNull())
    .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('due_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('memorisation_reports_subject')
    .on('memorisation_reports')
    .column('subject_key')
    .execute();

  await db.schema
    .createTable('job_cursors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}
