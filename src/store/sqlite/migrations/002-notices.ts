import { type Kysely, sql } from 'kysely';

/**
 * Notices: published versions and their texts, exposures (who was shown which version
 * when), and email campaigns. Twin: src/store/postgres/migrations/002-notices.ts, same table,
 * column and index names. Times are ISO 8601 UTC text of fixed width (text order = time order).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('notice_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('seq', 'integer', (c) => c.notNull().unique())
    .addColumn('previous_id', 'text')
    .addColumn('effective_at', 'text', (c) => c.notNull())
    .addColumn('published_at', 'text', (c) => c.notNull())
    .addColumn('published_by', 'text', (c) => c.notNull())
    .addColumn('default_language', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('text_count', 'integer', (c) => c.notNull())
    // Bookkeeping, not content: set once the `notice.published` audit event is written.
    .addColumn('audited_at', 'text')
    .execute();
  await db.schema
    .createTable('notice_texts')
    .addColumn('version_id', 'text', (c) => c.notNull().references('notice_versions.id'))
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('markdown', 'text', (c) => c.notNull())
    .addColumn('changes', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('notice_texts_pk', ['version_id', 'language'])
    .execute();

  // A published version is never edited: a correction is a new version. The database refuses
  // edits, deletions, and texts added to a version after it was published.
  const refuse = `SELECT RAISE(ABORT, 'notice versions are immutable once published: publish a new version')`;
  await sql
    .raw(
      `CREATE TRIGGER notice_versions_immutable BEFORE UPDATE OF id, seq, previous_id, effective_at, published_at, published_by, default_language, sha256, text_count ON notice_versions BEGIN ${refuse}; END`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER notice_versions_undeletable BEFORE DELETE ON notice_versions BEGIN ${refuse}; END`,
    )
    .execute(db);
  await sql
    .raw(`CREATE TRIGGER notice_texts_immutable BEFORE UPDATE ON notice_texts BEGIN ${refuse}; END`)
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER notice_texts_undeletable BEFORE DELETE ON notice_texts BEGIN ${refuse}; END`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER notice_texts_sealed BEFORE INSERT ON notice_texts
       WHEN (SELECT count(*) FROM notice_texts WHERE version_id = NEW.version_id)
            >= (SELECT text_count FROM notice_versions WHERE id = NEW.version_id)
       BEGIN ${refuse}; END`,
    )
    .execute(db);

  await db.schema
    .createTable('notice_exposures')
    .addColumn('subject_key', 'text', (c) => c.notNull())
    .addColumn('version_id', 'text', (c) => c.notNull().references('notice_versions.id'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('shown_at', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('acknowledged_at', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    // Set when the showing turned out not to have happened (a bounced campaign email).
    .addColumn('voided_at', 'text')
    .addPrimaryKeyConstraint('notice_exposures_pk', [
      'subject_key',
      'version_id',
      'channel',
      'shown_at',
    ])
    .execute();
  // The gate's questions: "was X shown V by T?" and "everyone shown V by T", in key order.
  await db.schema
    .createIndex('notice_exposures_version_subject')
    .on('notice_exposures')
    .columns(['version_id', 'subject_key', 'shown_at'])
    .execute();

  await db.schema
    .createTable('notice_campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('version_id', 'text', (c) => c.notNull().references('notice_versions.id'))
    .addColumn('source_sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema
    .createTable('notice_campaign_recipients')
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('notice_campaigns.id'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('email_hash', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
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
