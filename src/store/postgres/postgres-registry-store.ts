import {
  Kysely,
  PostgresDialect,
  type RawBuilder,
  type SelectQueryBuilder,
  sql,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { chainEvents } from '../../domain/audit-chain.ts';
import type { AppError } from '../../domain/errors.ts';
import {
  applyIntakeBatch,
  type IntakeCommand,
  type IntakeContext,
  type IntakeOutcome,
} from '../../domain/objection-intake.ts';
import type {
  AuditEvent,
  ChainHead,
  Contact,
  NewEvent,
  Objection,
  ObjectionFilter,
  ObjectorAsOf,
  OutboxMessage,
  SnapshotRecord,
} from '../../domain/types.ts';
import { Mutex } from '../../lib/group-commit.ts';
import { eventLeafHash } from '../../transparency/event-leaves.ts';
import {
  appendLeaves,
  partialTiles,
  type StoredTile,
  type TileRef,
} from '../../transparency/tiles.ts';
import { migrateToLatest, pendingMigrations } from '../migrate.ts';
import type {
  CosignatureRecord,
  RegistryStore,
  RegistryTx,
  VerificationCodeRow,
} from '../registry-store.ts';
import {
  type CosignatureRow,
  cosignatureFromRow,
  type EventRow,
  eventFromRow,
  iso,
  isoOrNull,
  OBJECTION_COLUMNS,
  type ObjectionRow,
  objectionFromRow,
  objectionValues,
  termReferences,
  uniqueTerms,
} from '../rows.ts';
import { POSTGRESQL_MIGRATIONS } from './postgres-migrations.ts';

/** Rows fetched per cursor round trip when streaming (snapshots, exports, audit walks). */
const STREAM_CHUNK = 1000;

/** A schema name we can put in a startup parameter and in DDL without quoting surprises. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresStoreOptions {
  connectionString: string;
  /**
   * Keep every table (and Kysely's migration tables) in this schema, created if missing.
   * Tests use a throwaway schema per run; deployments normally leave it unset (search_path).
   */
  schema?: string;
  /** Pool size; default 10. */
  maxConnections?: number;
}

/** PostgreSQL type of each objections column, for the `unnest` bulk insert. */
const OBJECTION_TYPES: Record<(typeof OBJECTION_COLUMNS)[number], string> = {
  id: 'text',
  reference: 'text',
  subject_key: 'text',
  subject_kind: 'text',
  purpose: 'text',
  scope: 'text',
  channel: 'text',
  status: 'text',
  review: 'text',
  reason_text: 'text',
  appears_at: 'jsonb',
  language: 'text',
  received_at: 'timestamptz',
  due_at: 'timestamptz',
  extension_reason: 'text',
  decision_reason: 'text',
  decided_at: 'timestamptz',
  decided_by: 'text',
  ended_at: 'timestamptz',
};

export async function openPostgresRegistryStore(
  options: PostgresStoreOptions,
): Promise<PostgresRegistryStore> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(
      `PostgreSQL schema "${schema}": expected lower-case letters, digits and "_" (at most 63)`,
    );
  }
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    // Set at connection start-up, so every pooled connection (and the migrator) sees the schema
    // without an extra round trip per checkout.
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle pooled client can be cut by the server (restart, idle timeout); pg-pool drops it,
  // but without a listener the 'error' event would crash the process.
  pool.on('error', () => {});
  // A checked-out client whose connection is cut (pg_terminate_backend, a failover, a network
  // drop) emits 'error' too, and pg-pool listens only while the client is idle: without this
  // listener the process would crash. The query in flight is rejected on its own (the request
  // answers 503 "storage unavailable"), and pg-pool discards the broken client when it is
  // released, so the pool reconnects by itself.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const kysely = new Kysely<any>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) });
  try {
    if (schema) await createSchema(kysely, schema);
    await migrateWithRetry(kysely);
  } catch (err) {
    await kysely.destroy();
    throw err;
  }
  return new PostgresRegistryStore(kysely, pool);
}

/**
 * Kysely's migrator checks for its bookkeeping tables by listing every table of the database,
 * outside its migration lock. While other sessions create and drop schemas at the same moment
 * (several Veto processes starting together; the test suite's parallel schemas), that check can
 * answer from a moving catalog and the next statement fails with "relation/schema does not
 * exist" (seen about once in 300 parallel starts). The migration itself is idempotent, so it is
 * retried a few times before the error is reported.
 */
async function migrateWithRetry(db: Kysely<any>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migratePostgres(db);
      return;
    } catch (err) {
      const transient = /does not exist/.test((err as Error).message);
      if (!transient || attempt >= 4) throw err;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}

async function createSchema(db: Kysely<any>, schema: string): Promise<void> {
  try {
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db);
  } catch (err) {
    // Two processes starting together can both pass IF NOT EXISTS; the loser's error is benign.
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P06') throw err;
  }
}

/**
 * Like `migrateToLatest` (src/store/migrate.ts), but pins Kysely's own bookkeeping tables to the
 * current schema. Kysely's "does kysely_migration exist?" check looks in every schema of the
 * database, so with a `kysely_migration` table in another schema (another test run, another
 * app in the same database) it would skip creating ours and then fail to find it.
 */
async function migratePostgres(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('PostgreSQL: no current schema (check search_path)');
  return migrateToLatest(db, POSTGRESQL_MIGRATIONS, schema);
}

/**
 * Emails queued in the outbox (delivered by `OutboxDispatcher`), inside the caller's transaction.
 * Shared by every PostgreSQL store that sends mail.
 */
export async function insertOutboxRows(
  trx: Transaction<any>,
  rows: readonly OutboxMessage[],
): Promise<void> {
  if (rows.length === 0) return;
  await unnestInsert(
    'outbox',
    [
      ['id', 'text'],
      ['kind', 'text'],
      ['payload', 'jsonb'],
      ['created_at', 'timestamptz'],
      ['next_attempt_at', 'timestamptz'],
    ],
    rows.map((m) => [m.id, m.kind, JSON.stringify(m.payload), m.createdAt, m.createdAt]),
  ).execute(trx);
}

/**
 * Chains `events` after `head` and stores them with the new head, inside a transaction that
 * holds the chain-head lock. Shared by every PostgreSQL store that writes to the audit log.
 */
export async function appendChainedEvents(
  trx: Transaction<any>,
  head: ChainHead,
  events: readonly NewEvent[],
): Promise<AuditEvent[]> {
  const chained = chainEvents(head, events);
  if (chained.length === 0) return chained;
  await unnestInsert(
    'audit_events',
    [
      ['seq', 'bigint'],
      ['at', 'timestamptz'],
      ['type', 'text'],
      ['objection_id', 'text'],
      ['subject_key', 'text'],
      ['data', 'jsonb'],
      ['prev_hash', 'text'],
      ['hash', 'text'],
    ],
    chained.map((e) => [
      e.seq,
      e.at,
      e.type,
      e.objectionId,
      e.subjectKey,
      JSON.stringify(e.data),
      e.prevHash,
      e.hash,
    ]),
  ).execute(trx);
  const last = chained[chained.length - 1]!;
  await sql`UPDATE chain_head SET seq = ${last.seq}, hash = ${last.hash} WHERE id = 1`.execute(trx);
  // The transparency log grows in the same transaction: one leaf per event (index seq − 1).
  const refs = partialTiles(head.seq);
  const partial = refs.length ? await readTilesIn(trx, refs) : [];
  if (partial.length !== refs.length) {
    throw new Error('transparency tiles are missing: run the migrations');
  }
  const tiles = appendLeaves(head.seq, partial, chained.map(eventLeafHash));
  await sql`INSERT INTO transparency_tiles (level, idx, width, hashes, nodes)
    SELECT * FROM unnest(${tiles.map((t) => t.level)}::int[], ${tiles.map((t) => t.index)}::int[],
      ${tiles.map((t) => t.width)}::int[], ${tiles.map((t) => Buffer.from(t.hashes))}::bytea[],
      ${tiles.map((t) => Buffer.from(t.nodes))}::bytea[])
    ON CONFLICT (level, idx) DO UPDATE
      SET width = excluded.width, hashes = excluded.hashes, nodes = excluded.nodes`.execute(trx);
  return chained;
}

/** The stored tiles among `refs` (missing ones are left out). */
export async function readTilesIn(
  db: Kysely<any> | Transaction<any>,
  refs: readonly TileRef[],
): Promise<StoredTile[]> {
  const { rows } = await sql<{
    level: number;
    idx: number;
    width: number;
    hashes: Buffer;
    nodes: Buffer;
  }>`
    SELECT level, idx, width, hashes, nodes FROM transparency_tiles
     WHERE (level, idx) IN (SELECT * FROM unnest(${refs.map((r) => r.level)}::int[], ${refs.map((r) => r.index)}::int[]))`.execute(
    db,
  );
  return rows.map((r) => ({
    level: r.level,
    index: r.idx,
    width: r.width,
    hashes: r.hashes,
    nodes: r.nodes,
  }));
}

/**
 * The server adapter. Write transactions lock the `chain_head` row first (`FOR UPDATE`), which
 * serialises every write across all Veto processes sharing the database; within a process a
 * mutex queues them, so waiting transactions do not each hold a pooled connection (and a
 * transaction that reads through the store while open, as Registry.change does, always finds
 * a free one). Bulk writes are one `unnest` statement per call, so a group-commit batch costs
 * the same number of round trips whatever its size. Streams read through a cursor inside one
 * REPEATABLE READ READ ONLY transaction: one consistent snapshot, bounded memory.
 */
export class PostgresRegistryStore implements RegistryStore {
  readonly dialect = 'postgres' as const;
  private readonly mutex = new Mutex();

  constructor(
    /** Kysely over the pool, for other modules' tables (datasets, notices, ...). */
    readonly kysely: Kysely<any>,
    /** The pool; exposed so tests and sibling adapters can see its state. */
    readonly pool: pg.Pool,
  ) {}

  recordIntake(
    batch: readonly IntakeCommand[],
    context: () => IntakeContext,
  ): Promise<(IntakeOutcome | AppError)[]> {
    // The context is taken after the chain-head lock: the batch's timestamp orders with every write.
    return this.transaction((tx) => applyIntakeBatch(tx, batch, context()));
  }

  transaction<T>(work: (tx: RegistryTx) => Promise<T>): Promise<T> {
    return this.mutex.run(() =>
      // READ COMMITTED on purpose: once the head lock is ours, each later statement sees every
      // transaction that committed before we got it (REPEATABLE READ would keep an older
      // snapshot and fail with a serialisation error on the locked row instead).
      this.kysely.transaction().execute(async (trx) => {
        const { rows } = await sql<{
          seq: string;
          hash: string;
        }>`SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE`.execute(trx);
        const row = rows[0];
        if (!row) throw new Error('chain_head row is missing: the registry schema is damaged');
        return work(this.txFor(trx, { seq: Number(row.seq), hash: row.hash }));
      }),
    );
  }

  private txFor(trx: Transaction<any>, lockedHead: ChainHead): RegistryTx {
    let head = lockedHead;
    return {
      effectiveObjections: async (keys) => {
        if (keys.length === 0) return [];
        const { rows } = await sql<ObjectionRow>`SELECT * FROM objections
            WHERE subject_key = ANY(${[...keys]}::text[]) AND status = 'effective'`.execute(trx);
        return rows.map(objectionFromRow);
      },
      idempotencyRecords: async (keys) => {
        if (keys.length === 0) return [];
        const { rows } = await sql<{
          key: string;
          request_hash: string;
          objection_id: string;
          created_at: Date;
        }>`SELECT * FROM idempotency_keys WHERE key = ANY(${[...keys]}::text[])`.execute(trx);
        return rows.map((r) => ({
          key: r.key,
          requestHash: r.request_hash,
          objectionId: r.objection_id,
          createdAt: iso(r.created_at),
        }));
      },
      objectionForUpdate: async (id) => {
        const { rows } = await sql<ObjectionRow>`SELECT * FROM objections
            WHERE id = ${id} FOR UPDATE`.execute(trx);
        return rows[0] ? objectionFromRow(rows[0]) : undefined;
      },
      insertObjections: async (rows) => {
        if (rows.length === 0) return;
        await unnestInsert(
          'objections',
          OBJECTION_COLUMNS.map((c) => [c, OBJECTION_TYPES[c]]),
          rows.map(objectionValues),
        ).execute(trx);
      },
      updateObjection: async (o) => {
        const values = objectionValues(o);
        const sets = OBJECTION_COLUMNS.slice(1).map(
          (c, i) => sql`${sql.ref(c)} = ${values[i + 1]}::${sql.raw(OBJECTION_TYPES[c])}`,
        );
        await sql`UPDATE objections SET ${sql.join(sets)} WHERE id = ${o.id}`.execute(trx);
      },
      insertIdempotency: async (rows) => {
        if (rows.length === 0) return;
        await unnestInsert(
          'idempotency_keys',
          [
            ['key', 'text'],
            ['request_hash', 'text'],
            ['objection_id', 'text'],
            ['created_at', 'timestamptz'],
          ],
          rows.map((r) => [r.key, r.requestHash, r.objectionId, r.createdAt]),
        ).execute(trx);
      },
      upsertContacts: async (rows) => {
        if (rows.length === 0) return;
        // One statement cannot update the same row twice (ON CONFLICT would fail the whole
        // batch): keep the last contact per subject, as sequential upserts would.
        const last = new Map(rows.map((c) => [c.subjectKey, c]));
        await sql`${unnestInsert(
          'contacts',
          [
            ['subject_key', 'text'],
            ['email', 'text'],
            ['language', 'text'],
          ],
          [...last.values()].map((c) => [c.subjectKey, c.email, c.language]),
        )} ON CONFLICT (subject_key)
          DO UPDATE SET email = excluded.email, language = excluded.language`.execute(trx);
      },
      enqueueOutbox: (rows) => insertOutboxRows(trx, rows),
      insertSnapshot: async (s) => {
        await sql`INSERT INTO snapshots (id, purpose, as_of, count, sha256, created_at)
          VALUES (${s.id}, ${s.purpose}, ${s.asOf}, ${s.count}, ${s.sha256}, ${s.createdAt})`.execute(
          trx,
        );
      },
      appendEvents: async (events: readonly NewEvent[]) => {
        if (events.length === 0) return [];
        // `head` was read under the lock at BEGIN and is kept current here, so several calls in
        // one transaction continue each other without re-reading.
        const chained = await appendChainedEvents(trx, head, events);
        const last = chained[chained.length - 1]!;
        head = { seq: last.seq, hash: last.hash };
        return chained;
      },
    };
  }

  async getObjection(id: string): Promise<Objection | undefined> {
    const r = (await this.kysely
      .selectFrom('objections')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()) as ObjectionRow | undefined;
    return r ? objectionFromRow(r) : undefined;
  }

  async getObjectionByReference(reference: string): Promise<Objection | undefined> {
    const r = (await this.kysely
      .selectFrom('objections')
      .selectAll()
      .where('reference', '=', reference)
      .executeTakeFirst()) as ObjectionRow | undefined;
    return r ? objectionFromRow(r) : undefined;
  }

  async objectionsOfSubject(subjectKey: string): Promise<Objection[]> {
    const rows = (await this.kysely
      .selectFrom('objections')
      .selectAll()
      .where('subject_key', '=', subjectKey)
      .orderBy('received_at')
      .orderBy('id')
      .execute()) as ObjectionRow[];
    return rows.map(objectionFromRow);
  }

  async listObjections(f: ObjectionFilter): Promise<Objection[]> {
    let q = this.kysely.selectFrom('objections').selectAll();
    if (f.status) q = q.where('status', '=', f.status);
    if (f.purpose) q = q.where('purpose', '=', f.purpose);
    if (f.channel) q = q.where('channel', '=', f.channel);
    if (f.review) q = q.where('review', '=', f.review);
    if (f.subjectKind) q = q.where('subject_kind', '=', f.subjectKind);
    if (f.receivedFrom) q = q.where('received_at', '>=', f.receivedFrom);
    if (f.receivedTo) q = q.where('received_at', '<', f.receivedTo);
    if (f.after) {
      const { receivedAt, id } = f.after;
      // Row comparison: the planner walks objections_received (received_at, id) from the cursor.
      q = q.where(sql<boolean>`(received_at, id) > (${receivedAt}::timestamptz, ${id}::text)`);
    }
    const rows = (await q
      .orderBy('received_at')
      .orderBy('id')
      .limit(f.limit)
      .execute()) as ObjectionRow[];
    return rows.map(objectionFromRow);
  }

  async getContact(subjectKey: string): Promise<Contact | undefined> {
    const r = await this.kysely
      .selectFrom('contacts')
      .select(['subject_key', 'email', 'language'])
      .where('subject_key', '=', subjectKey)
      .executeTakeFirst();
    return r ? { subjectKey: r.subject_key, email: r.email, language: r.language } : undefined;
  }

  objectorsAsOf(purpose: string, asOf: string): AsyncIterable<string> {
    return this.stream(
      (trx) =>
        trx
          .selectFrom('objections')
          // The column is COLLATE "C" already; saying it here keeps byte order even if not.
          .select(sql<string>`subject_key COLLATE "C"`.as('k'))
          .distinct()
          .where('purpose', '=', purpose)
          .where('received_at', '<=', asOf)
          .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', asOf)]))
          .orderBy('k'),
      (r: { k: string }) => r.k,
    );
  }

  objectorsAsOfWithTimes(purpose: string, asOf: string): AsyncIterable<ObjectorAsOf> {
    return this.stream(
      (trx) =>
        trx
          .selectFrom('objections')
          .select([
            sql<string>`subject_key COLLATE "C"`.as('k'),
            (eb) => eb.fn.min('received_at').as('t'),
          ])
          .where('purpose', '=', purpose)
          .where('received_at', '<=', asOf)
          .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', asOf)]))
          .groupBy('k')
          .orderBy('k'),
      (r: { k: string; t: string | Date }) => ({ subjectKey: r.k, effectiveAt: iso(r.t) }),
    );
  }

  async objectorsAddedSince(purpose: string, asOf: string): Promise<string[]> {
    const rows = await this.kysely
      .selectFrom('objections')
      .select(sql<string>`subject_key COLLATE "C"`.as('k'))
      .distinct()
      .where('purpose', '=', purpose)
      .where('status', '=', 'effective')
      .where('received_at', '>', asOf)
      .orderBy('k')
      .execute();
    return rows.map((r) => r.k);
  }

  async thirdPartyTermsAsOf(purpose: string, asOf: string): Promise<string[]> {
    const rows = await this.kysely
      .selectFrom('objections')
      .select('appears_at')
      .where('subject_kind', '=', 'non-user')
      .where('purpose', '=', purpose)
      .where('received_at', '<=', asOf)
      .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', asOf)]))
      .execute();
    return uniqueTerms(
      rows.map(
        (r) =>
          (typeof r.appears_at === 'string' ? JSON.parse(r.appears_at) : r.appears_at) as string[],
      ),
    );
  }

  async thirdPartyTermReferencesAsOf(purpose: string, asOf: string): Promise<string[]> {
    const rows = await this.kysely
      .selectFrom('objections')
      .select(['reference', 'appears_at'])
      .where('subject_kind', '=', 'non-user')
      .where('purpose', '=', purpose)
      .where('received_at', '<=', asOf)
      .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', asOf)]))
      .execute();
    return termReferences(
      rows.map((r) => ({
        reference: r.reference as string,
        terms: (typeof r.appears_at === 'string'
          ? JSON.parse(r.appears_at)
          : r.appears_at) as string[],
      })),
    );
  }

  async getSnapshot(id: string): Promise<SnapshotRecord | undefined> {
    const r = await this.kysely
      .selectFrom('snapshots')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r
      ? {
          id: r.id,
          purpose: r.purpose,
          asOf: iso(r.as_of),
          count: Number(r.count),
          sha256: r.sha256,
          createdAt: iso(r.created_at),
        }
      : undefined;
  }

  readObjections(): AsyncIterable<Objection> {
    return this.stream(
      (trx) => trx.selectFrom('objections').selectAll().orderBy('id'),
      (r: ObjectionRow) => objectionFromRow(r),
    );
  }

  readEvents(): AsyncIterable<AuditEvent> {
    return this.stream(
      (trx) => trx.selectFrom('audit_events').selectAll().orderBy('seq'),
      (r: EventRow) => eventFromRow(r),
    );
  }

  readObjectionEvents(throughSeq: number): AsyncIterable<AuditEvent> {
    return this.stream(
      (trx) =>
        trx
          .selectFrom('audit_events')
          .selectAll()
          .where('objection_id', 'is not', null)
          .where('seq', '<=', throughSeq)
          .orderBy('objection_id')
          .orderBy('seq'),
      (r: EventRow) => eventFromRow(r),
    );
  }

  async snapshotEvent(id: string): Promise<AuditEvent | undefined> {
    const { rows } = await sql<EventRow>`
      SELECT * FROM audit_events
       WHERE type = 'snapshot.created' AND data->>'id' = ${id}
       ORDER BY seq LIMIT 1`.execute(this.kysely);
    return rows[0] ? eventFromRow(rows[0]) : undefined;
  }

  async datasetSealedEvent(datasetId: string): Promise<AuditEvent | undefined> {
    const { rows } = await sql<EventRow>`
      SELECT * FROM audit_events
       WHERE type = 'dataset.sealed' AND data->>'datasetId' = ${datasetId}
       ORDER BY seq LIMIT 1`.execute(this.kysely);
    return rows[0] ? eventFromRow(rows[0]) : undefined;
  }

  async eventsOfObjections(ids: readonly string[]): Promise<AuditEvent[]> {
    if (ids.length === 0) return [];
    const rows = (await this.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('objection_id', 'in', [...ids])
      .orderBy('seq')
      .execute()) as EventRow[];
    return rows.map(eventFromRow);
  }

  async chainHead(): Promise<ChainHead> {
    const r = await this.kysely
      .selectFrom('chain_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return { seq: Number(r.seq), hash: r.hash };
  }

  async putCosignature(c: CosignatureRecord): Promise<void> {
    await sql`INSERT INTO transparency_cosignatures
        (size, root, witness, key_id, signed_at, line, received_at)
      VALUES (${c.size}, ${c.root}, ${c.witness}, ${c.keyId}, ${c.signedAt}, ${c.line}, ${c.receivedAt})
      ON CONFLICT DO NOTHING`.execute(this.kysely);
  }

  async latestCosignatures(witness?: {
    name: string;
    keyId: string;
  }): Promise<CosignatureRecord[]> {
    const { rows } = witness
      ? await sql<CosignatureRow>`SELECT * FROM transparency_cosignatures
          WHERE witness = ${witness.name} AND key_id = ${witness.keyId}
          ORDER BY size DESC LIMIT 1`.execute(this.kysely)
      : await sql<CosignatureRow>`SELECT * FROM transparency_cosignatures
          WHERE size = (SELECT max(size) FROM transparency_cosignatures)
          ORDER BY witness, key_id`.execute(this.kysely);
    return rows.map(cosignatureFromRow);
  }

  async readTiles(refs: readonly TileRef[]): Promise<StoredTile[]> {
    return refs.length ? readTilesIn(this.kysely, refs) : [];
  }

  async outboxBacklog(): Promise<{ pending: number; oldestCreatedAt: string | null }> {
    const row = await this.kysely
      .selectFrom('outbox')
      .select((eb) => [eb.fn.countAll().as('pending'), eb.fn.min('created_at').as('oldest')])
      .where('delivered_at', 'is', null)
      .executeTakeFirst();
    // A timestamptz column: the driver gives a Date; the port speaks ISO strings.
    const oldest = row?.oldest as Date | string | null | undefined;
    return {
      pending: Number(row?.pending ?? 0),
      oldestCreatedAt:
        oldest == null ? null : oldest instanceof Date ? oldest.toISOString() : String(oldest),
    };
  }

  async dueOutbox(now: string, limit: number): Promise<(OutboxMessage & { attempts: number })[]> {
    const rows = await this.kysely
      .selectFrom('outbox')
      .select(['id', 'kind', 'payload', 'created_at', 'attempts'])
      .where('delivered_at', 'is', null)
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      payload: r.payload as Record<string, unknown>,
      createdAt: iso(r.created_at),
      attempts: r.attempts,
    }));
  }

  async markOutboxDelivered(id: string, at: string): Promise<void> {
    // The payload holds an email address: once delivered it is no longer needed (minimisation).
    await this.kysely
      .updateTable('outbox')
      .set({ delivered_at: at, payload: sql`'{}'::jsonb` })
      .where('id', '=', id)
      .execute();
  }

  async markOutboxFailed(id: string, error: string, nextAttemptAt: string): Promise<void> {
    await this.kysely
      .updateTable('outbox')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        last_error: error.slice(0, 500),
        next_attempt_at: nextAttemptAt,
      }))
      .where('id', '=', id)
      .execute();
  }

  async putVerificationCode(c: VerificationCodeRow): Promise<void> {
    await this.kysely
      .insertInto('verification_codes')
      .values({
        id: c.id,
        email_hash: c.emailHash,
        code_hash: c.codeHash,
        created_at: c.createdAt,
        expires_at: c.expiresAt,
        attempts: c.attempts,
        consumed_at: c.consumedAt,
      })
      .execute();
  }

  async latestVerificationCode(emailHash: string): Promise<VerificationCodeRow | undefined> {
    const r = await this.kysely
      .selectFrom('verification_codes')
      .selectAll()
      .where('email_hash', '=', emailHash)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r
      ? {
          id: r.id,
          emailHash: r.email_hash,
          codeHash: r.code_hash,
          createdAt: iso(r.created_at),
          expiresAt: iso(r.expires_at),
          attempts: r.attempts,
          consumedAt: isoOrNull(r.consumed_at),
        }
      : undefined;
  }

  async countVerificationCodesSince(emailHash: string, since: string): Promise<number> {
    const r = await this.kysely
      .selectFrom('verification_codes')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('email_hash', '=', emailHash)
      .where('created_at', '>=', since)
      .executeTakeFirstOrThrow();
    // count(*) is bigint, which pg returns as a string.
    return Number(r.n);
  }

  async updateVerificationCode(
    id: string,
    change: { attempts?: number; consumedAt?: string },
  ): Promise<void> {
    const set: Record<string, unknown> = {};
    if (change.attempts !== undefined) set.attempts = change.attempts;
    if (change.consumedAt !== undefined) set.consumed_at = change.consumedAt;
    if (Object.keys(set).length === 0) return;
    await this.kysely.updateTable('verification_codes').set(set).where('id', '=', id).execute();
  }

  async putVerificationCodeWithinLimit(
    c: VerificationCodeRow,
    since: string,
    max: number,
  ): Promise<boolean> {
    return this.kysely.transaction().execute(async (trx) => {
      // One lock per address for the rest of the transaction: parallel requests (on any
      // instance) count and insert one after the other, so the limit cannot be overshot.
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`veto-code:${c.emailHash}`}, 0))`.execute(
        trx,
      );
      const { n } = (await trx
        .selectFrom('verification_codes')
        .select(sql<string>`count(*)`.as('n'))
        .where('email_hash', '=', c.emailHash)
        .where('created_at', '>=', since)
        .executeTakeFirstOrThrow()) as { n: string };
      if (Number(n) >= max) return false;
      await trx
        .insertInto('verification_codes')
        .values({
          id: c.id,
          email_hash: c.emailHash,
          code_hash: c.codeHash,
          created_at: c.createdAt,
          expires_at: c.expiresAt,
          attempts: c.attempts,
          consumed_at: c.consumedAt,
        })
        .execute();
      return true;
    });
  }

  async tryJobLease(job: string, holder: string, now: string, expiresAt: string): Promise<boolean> {
    const { rows } = await sql`
      INSERT INTO job_leases (job, holder, expires_at) VALUES (${job}, ${holder}, ${expiresAt})
      ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
      WHERE job_leases.holder = excluded.holder OR job_leases.expires_at < ${now}::timestamptz
      RETURNING holder`.execute(this.kysely);
    return rows.length > 0;
  }

  async releaseJobLease(job: string, holder: string): Promise<void> {
    await this.kysely
      .deleteFrom('job_leases')
      .where('job', '=', job)
      .where('holder', '=', holder)
      .execute();
  }

  async countRateHit(key: string, windowStart: string, pruneBefore: string): Promise<number> {
    const { rows } = await sql<{ hits: number }>`
      INSERT INTO rate_counters (key, window_start, hits) VALUES (${key}, ${windowStart}, 1)
      ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_counters.hits + 1
      RETURNING hits`.execute(this.kysely);
    if (this.lastPrune !== windowStart) {
      this.lastPrune = windowStart;
      await this.kysely
        .deleteFrom('rate_counters')
        .where('window_start', '<', pruneBefore)
        .execute();
    }
    return Number(rows[0]?.hits ?? 0);
  }

  private lastPrune = '';

  async pendingMigrations(): Promise<string[]> {
    const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(
      this.kysely,
    );
    return pendingMigrations(this.kysely, POSTGRESQL_MIGRATIONS, rows[0]?.schema);
  }

  async close(): Promise<void> {
    // Let a running write transaction finish; pool.end() then waits for streams to release.
    await this.mutex.run(() => this.kysely.destroy());
  }

  /**
   * Streams a query through a cursor inside one REPEATABLE READ READ ONLY transaction: every row
   * comes from the same snapshot, memory stays at one chunk, and the connection goes back to
   * the pool in `finally`, also when the consumer stops early (break/return/throw). A consumer
   * that neither finishes nor closes the iterator keeps its connection: always use for-await.
   */
  private async *stream<R, T>(
    query: (trx: Kysely<any>) => SelectQueryBuilder<any, any, any>,
    map: (r: R) => T,
  ): AsyncGenerator<T> {
    const trx = await this.kysely
      .startTransaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute();
    try {
      for await (const r of query(trx).stream(STREAM_CHUNK)) yield map(r as R);
    } finally {
      // Read-only: rollback and commit are the same; rollback also releases a broken connection.
      await trx.rollback().execute();
    }
  }
}

/**
 * One `INSERT ... SELECT * FROM unnest($1::t1[], $2::t2[], ...)`: a single statement with one
 * parameter per column whatever the number of rows (a multi-row VALUES list would hit the
 * 65,535-parameter limit at ~3,400 objections and change its SQL text with every batch size).
 */
export function unnestInsert(
  table: string,
  columns: readonly (readonly [name: string, type: string])[],
  rows: readonly unknown[][],
): RawBuilder<unknown> {
  const arrays = columns.map((_, i) => rows.map((r) => r[i] ?? null));
  return sql`INSERT INTO ${sql.table(table)} (${sql.join(columns.map(([name]) => sql.ref(name)))})
    SELECT * FROM unnest(${sql.join(
      columns.map(([, type], i) => sql`${arrays[i]}::${sql.raw(type)}[]`),
    )})`;
}
