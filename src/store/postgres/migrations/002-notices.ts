import { type Kysely, sql } from 'kysely';

/**
 * The twin of src/store/sqlite/migrations/002-notices.ts: same tables, columns and index names,
 * in PostgreSQL types. Keys that are sorted or streamed in order (subject keys, ids) are
 * `COLLATE "C"` (byte order), as in 001-registry, so both adapters stream the same order.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const byteOrder = sql`text COLLATE "C"`;
  await db.schema
    .createTable('notice_versions')
    .addColumn('id', byteOrder, (c) => c.primaryKey())
    .addColumn('seq', 'integer', (c) => c.notNull().unique())
    .addColumn('previous_id', byteOrder)
    .addColumn('effective_at', 'timestamptz', (c) => c.notNull())
    .addColumn('published_at', 'timestamptz', (c) => c.notNull())
    .addColumn('published_by', 'text', (c) => c.notNull())
    .addColumn('default_language', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('text_count', 'integer', (c) => c.notNull())
    .addColumn('audited_at', 'timestamptz')
    .execute();
  await db.schema
    .createTable('notice_texts')
    .addColumn('version_id', byteOrder, (c) => c.notNull().references('notice_versions.id'))
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('markdown', 'text', (c) => c.notNull())
    .addColumn('changes', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('notice_texts_pk', ['version_id', 'language'])
    .execute();

  // A published version is never edited: a correction is a new version.
  await sql`CREATE FUNCTION notice_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'notice versions are immutable once published: publish a new version'
        USING ERRCODE = 'P0001';
    END $$`.execute(db);
  await sql`CREATE FUNCTION notice_texts_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (SELECT count(*) FROM notice_texts WHERE version_id = NEW.version_id)
         >= (SELECT text_count FROM notice_versions WHERE id = NEW.version_id) THEN
        RAISE EXCEPTION 'notice versions are immutable once published: publish a new version'
          USING ERRCODE = 'P0001';
      END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`CREATE TRIGGER notice_versions_immutable
    BEFORE UPDATE OF id, seq, previous_id, effective_at, published_at, published_by, default_language, sha256, text_count
    ON notice_versions FOR EACH ROW EXECUTE FUNCTION notice_immutable()`.execute(db);
  await sql`CREATE TRIGGER notice_versions_undeletable BEFORE DELETE ON notice_versions
    FOR EACH ROW EXECUTE FUNCTION notice_immutable()`.execute(db);
  await sql`CREATE TRIGGER notice_texts_immutable BEFORE UPDATE ON notice_texts
    FOR EACH ROW EXECUTE FUNCTION notice_immutable()`.execute(db);
  await sql`CREATE TRIGGER notice_texts_undeletable BEFORE DELETE ON notice_texts
    FOR EACH ROW EXECUTE FUNCTION notice_immutable()`.execute(db);
  await sql`CREATE TRIGGER notice_texts_sealed BEFORE INSERT ON notice_texts
    FOR EACH ROW EXECUTE FUNCTION notice_texts_sealed()`.execute(db);

  await db.schema
    .createTable('notice_exposures')
    .addColumn('subject_key', byteOrder, (c) => c.notNull())
    .addColumn('version_id', byteOrder, (c) => c.notNull().references('notice_versions.id'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('shown_at', 'timestamptz', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('acknowledged_at', 'timestamptz')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .addColumn('voided_at', 'timestamptz')
    .addPrimaryKeyConstraint('notice_exposures_pk', [
      'subject_key',
      'version_id',
      'channel',
      'shown_at',
    ])
    .execute();
  await db.schema
    .createIndex('notice_exposures_version_subject')
    .on('notice_exposures')
    .columns(['version_id', 'subject_key', 'shown_at'])
    .execute();

  await db.schema
    .createTable('notice_campaigns')
    .addColumn('id', byteOrder, (c) => c.primaryKey())
    .addColumn('version_id', byteOrder, (c) => c.notNull().references('notice_versions.id'))
    .addColumn('source_sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema
    .createTable('notice_campaign_recipients')
    .addColumn('campaign_id', byteOrder, (c) => c.notNull().references('notice_campaigns.id'))
    .addColumn('account_id', byteOrder, (c) => c.notNull())
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('email_hash', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sent_at', 'timestamptz')
    .addPrimaryKeyConstraint('notice_campaign_recipients_pk', ['campaign_id', 'account_id'])
    .execute();
  await db.schema
    .createIndex('notice_campaign_recipients_state')
    .on('notice_campaign_recipients')
    .columns(['campaign_id', 'state', 'line'])
    .execute();
  await db.schema
    .createIndex('notice_campaign_recipients_account')
    .on('notice_campaign_recipients')
    .columns(['account_id', 'state'])
    .execute();
  await db.schema
    .createIndex('notice_campaign_recipients_email')
    .on('notice_campaign_recipients')
    .column('email_hash')
    .execute();
}
