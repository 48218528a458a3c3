import { type Kysely, sql } from 'kysely';

/**
 * The twin of src/store/sqlite/migrations/001-registry.ts: same tables, columns and index names,
 * in PostgreSQL types (timestamptz, jsonb, bigint). Keys that callers sort or page on (ids,
 * subject keys, references) are `COLLATE "C"`, i.e. byte order, the order SQLite's BINARY
 * collation gives: snapshots hash the sorted objector list, so both adapters must agree, and a
 * locale collation (en_US ignores punctuation, e.g. the '-' and ':' in our keys) would not.
 * Every statement is unqualified: the adapter sets `search_path`, so a schema option works.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const byteOrder = sql`text COLLATE "C"`;
  await db.schema
    .createTable('objections')
    .addColumn('id', byteOrder, (c) => c.primaryKey())
    .addColumn('reference', byteOrder, (c) => c.notNull().unique())
    .addColumn('subject_key', byteOrder, (c) => c.notNull())
    .addColumn('subject_kind', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('review', 'text', (c) => c.notNull())
    .addColumn('reason_text', 'text')
    .addColumn('appears_at', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('extension_reason', 'text')
    .addColumn('decision_reason', 'text')
    .addColumn('decided_at', 'timestamptz')
    .addColumn('decided_by', 'text')
    .addColumn('ended_at', 'timestamptz')
    .execute();
  // At most one effective objection per subject and purpose: the database enforces idempotency.
  await sql`CREATE UNIQUE INDEX objections_one_effective ON objections (subject_key, purpose) WHERE status = 'effective'`.execute(
    db,
  );
  await db.schema
    .createIndex('objections_subject')
    .on('objections')
    .column('subject_key')
    .execute();
  await db.schema
    .createIndex('objections_received')
    .on('objections')
    .columns(['received_at', 'id'])
    .execute();
  await db.schema
    .createIndex('objections_purpose_received')
    .on('objections')
    .columns(['purpose', 'received_at'])
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('objection_id', byteOrder)
    .addColumn('subject_key', byteOrder)
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  // One row, locked FOR UPDATE first by every write transaction: the cross-process write lock.
  await db.schema
    .createTable('chain_head')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, ${'0'.repeat(64)})`.execute(db);

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('key', byteOrder, (c) => c.primaryKey())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('objection_id', byteOrder, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('contacts')
    .addColumn('subject_key', byteOrder, (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', byteOrder, (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .execute();
  await sql`CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL`.execute(
    db,
  );

  await db.schema
    .createTable('snapshots')
    .addColumn('id', byteOrder, (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('as_of', 'timestamptz', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('verification_codes')
    .addColumn('id', byteOrder, (c) => c.primaryKey())
    .addColumn('email_hash', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('consumed_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('verification_codes_email')
    .on('verification_codes')
    .columns(['email_hash', 'created_at'])
    .execute();
}
