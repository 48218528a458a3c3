import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { AppError } from '../../domain/errors.ts';
import type { IntakeCommand, IntakeContext, IntakeOutcome } from '../../domain/objection-intake.ts';
import type {
  AuditEvent,
  ChainHead,
  Contact,
  Objection,
  ObjectionFilter,
  ObjectorAsOf,
  OutboxMessage,
  SnapshotRecord,
} from '../../domain/types.ts';
import { Mutex } from '../../lib/group-commit.ts';
import type { StoredTile, TileRef } from '../../transparency/tiles.ts';
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
  type ObjectionRow,
  objectionFromRow,
  termReferences,
  uniqueTerms,
} from '../rows.ts';
import { openSqlite } from './sqlite-connection.ts';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.ts';
import { deserializeOutcome, type WriterMethod } from './sqlite-writer-core.ts';
import { inProcessWriter, type WriterPort, workerWriter } from './sqlite-writer-port.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';

export interface SqliteStoreOptions {
  /** File path, or ':memory:' for throwaway tests (no durability). */
  filename: string;
}

export async function openSqliteRegistryStore(
  options: SqliteStoreOptions,
): Promise<SqliteRegistryStore> {
  const memory = options.filename === ':memory:';
  if (!memory) mkdirSync(path.dirname(path.resolve(options.filename)), { recursive: true });
  const db = openSqlite(options.filename);
  const kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: db }) });
  await migrateToLatest(kysely, SQLITE_MIGRATIONS);
  if (memory)
    return new SqliteRegistryStore(
      options.filename,
      db,
      kysely,
      inProcessWriter(options.filename, db),
      null,
    );
  return new SqliteRegistryStore(
    options.filename,
    db,
    kysely,
    await workerWriter(options.filename),
    new WalCheckpointer(options.filename),
  );
}

/**
 * The embedded default. The registry's writes run on a writer thread (sqlite-writer-core.ts)
 * with its own connection; reads use a read-only connection on this thread, which sees
 * committed data only; streams (snapshots, the audit log) open their own read-only connection
 * so they see one consistent WAL snapshot; WAL checkpoints run on a third thread.
 */
export class SqliteRegistryStore implements RegistryStore {
  readonly dialect = 'sqlite' as const;
  /**
   * A writable connection on this thread and Kysely over it, for other modules' own tables
   * (datasets, notices): low-volume writes that wait for the writer thread's lock if needed.
   */
  readonly kysely: Kysely<any>;
  private readonly mutex = new Mutex();
  private readonly reader: Database.Database;
  private readonly readerKysely: Kysely<any>;
  private readonly read: ReturnType<typeof prepareReads>;

  constructor(
    private readonly filename: string,
    readonly db: Database.Database,
    kysely: Kysely<any>,
    private readonly writer: WriterPort,
    private readonly checkpointer: WalCheckpointer | null,
  ) {
    this.kysely = kysely;
    const memory = filename === ':memory:';
    this.reader = memory ? db : openSqlite(filename, true);
    this.readerKysely = memory
      ? kysely
      : new Kysely<any>({ dialect: new SqliteDialect({ database: this.reader }) });
    this.read = prepareReads(this.reader);
  }

  async transaction<T>(work: (tx: RegistryTx) => Promise<T>): Promise<T> {
    const result = await this.mutex.run(async () => {
      await this.writer.call('begin');
      try {
        const value = await work(this.tx);
        await this.writer.call('commit');
        return value;
      } catch (err) {
        await this.writer.call('rollback');
        throw err;
      }
    });
    // Outside the mutex: the next transaction may commit while this one's sync runs.
    await this.writer.call('sync');
    return result;
  }

  async recordIntake(
    batch: readonly IntakeCommand[],
    context: () => IntakeContext,
  ): Promise<(IntakeOutcome | AppError)[]> {
    let ctx: IntakeContext | undefined;
    const outcomes = await this.mutex.run(() => {
      ctx = context();
      return this.writer.call('intake', batch, ctx);
    });
    await this.writer.call('sync');
    return outcomes.map((o, i) => deserializeOutcome(o, batch[i]!, ctx!));
  }

  /** Runs plain writes on this thread's connection (sibling stores), serialised and synced. */
  async write<T>(fn: (db: Database.Database) => T): Promise<T> {
    const result = await this.mutex.run(async () =>
      this.db.transaction(() => fn(this.db)).immediate(),
    );
    await this.writer.call('sync');
    return result;
  }

  private readonly tx: RegistryTx = {
    effectiveObjections: (keys) => this.writer.call('effectiveObjections', keys),
    idempotencyRecords: (keys) => this.writer.call('idempotencyRecords', keys),
    objectionForUpdate: (id) => this.writer.call('objectionForUpdate', id),
    insertObjections: (rows) => this.writer.call('insertObjections', rows),
    updateObjection: (row) => this.writer.call('updateObjection', row),
    insertIdempotency: (rows) => this.writer.call('insertIdempotency', rows),
    upsertContacts: (rows) => this.writer.call('upsertContacts', rows),
    enqueueOutbox: (rows) => this.writer.call('enqueueOutbox', rows),
    insertSnapshot: (row) => this.writer.call('insertSnapshot', row),
    appendEvents: (events) => this.writer.call('appendEvents', events),
  };

  /** One autocommit write on the writer thread, never inside another transaction. */
  private async writeOne<M extends WriterMethod>(method: M, ...args: unknown[]): Promise<void> {
    await this.mutex.run(() =>
      (this.writer.call as (m: M, ...a: unknown[]) => Promise<unknown>)(method, ...args),
    );
    await this.writer.call('sync');
  }

  async getObjection(id: string): Promise<Objection | undefined> {
    const r = this.read.objectionById.get(id) as ObjectionRow | undefined;
    return r ? objectionFromRow(r) : undefined;
  }

  async getObjectionByReference(reference: string): Promise<Objection | undefined> {
    const r = this.read.objectionByReference.get(reference) as ObjectionRow | undefined;
    return r ? objectionFromRow(r) : undefined;
  }

  async objectionsOfSubject(subjectKey: string): Promise<Objection[]> {
    return (this.read.objectionsBySubject.all(subjectKey) as ObjectionRow[]).map(objectionFromRow);
  }

  async listObjections(f: ObjectionFilter): Promise<Objection[]> {
    let q = this.readerKysely.selectFrom('objections').selectAll();
    if (f.status) q = q.where('status', '=', f.status);
    if (f.purpose) q = q.where('purpose', '=', f.purpose);
    if (f.channel) q = q.where('channel', '=', f.channel);
    if (f.review) q = q.where('review', '=', f.review);
    if (f.subjectKind) q = q.where('subject_kind', '=', f.subjectKind);
    if (f.receivedFrom) q = q.where('received_at', '>=', f.receivedFrom);
    if (f.receivedTo) q = q.where('received_at', '<', f.receivedTo);
    if (f.after) {
      const { receivedAt, id } = f.after;
      q = q.where((eb) =>
        eb.or([
          eb('received_at', '>', receivedAt),
          eb.and([eb('received_at', '=', receivedAt), eb('id', '>', id)]),
        ]),
      );
    }
    const rows = (await q
      .orderBy('received_at')
      .orderBy('id')
      .limit(f.limit)
      .execute()) as ObjectionRow[];
    return rows.map(objectionFromRow);
  }

  async getContact(subjectKey: string): Promise<Contact | undefined> {
    const r = this.read.contact.get(subjectKey) as
      | { subject_key: string; email: string; language: string }
      | undefined;
    return r ? { subjectKey: r.subject_key, email: r.email, language: r.language } : undefined;
  }

  async *objectorsAsOf(purpose: string, asOf: string): AsyncIterable<string> {
    yield* this.streamFromOwnConnection(
      `SELECT DISTINCT subject_key AS k FROM objections
        WHERE purpose = ? AND received_at <= ? AND (ended_at IS NULL OR ended_at > ?)
        ORDER BY subject_key`,
      [purpose, asOf, asOf],
      (r: { k: string }) => r.k,
    );
  }

  async *objectorsAsOfWithTimes(purpose: string, asOf: string): AsyncIterable<ObjectorAsOf> {
    yield* this.streamFromOwnConnection(
      `SELECT subject_key AS k, MIN(received_at) AS t FROM objections
        WHERE purpose = ? AND received_at <= ? AND (ended_at IS NULL OR ended_at > ?)
        GROUP BY subject_key ORDER BY subject_key`,
      [purpose, asOf, asOf],
      (r: { k: string; t: string }) => ({ subjectKey: r.k, effectiveAt: r.t }),
    );
  }

  async objectorsAddedSince(purpose: string, asOf: string): Promise<string[]> {
    const rows = this.reader
      .prepare(
        `SELECT DISTINCT subject_key AS k FROM objections
          WHERE purpose = ? AND status = 'effective' AND received_at > ? ORDER BY subject_key`,
      )
      .all(purpose, asOf) as { k: string }[];
    return rows.map((r) => r.k);
  }

  async thirdPartyTermsAsOf(purpose: string, asOf: string): Promise<string[]> {
    const rows = this.reader
      .prepare(
        `SELECT appears_at AS a FROM objections
          WHERE subject_kind = 'non-user' AND purpose = ? AND received_at <= ? AND (ended_at IS NULL OR ended_at > ?)`,
      )
      .all(purpose, asOf, asOf) as { a: string }[];
    return uniqueTerms(rows.map((r) => JSON.parse(r.a) as string[]));
  }

  async thirdPartyTermReferencesAsOf(purpose: string, asOf: string): Promise<string[]> {
    const rows = this.reader
      .prepare(
        `SELECT reference AS r, appears_at AS a FROM objections
          WHERE subject_kind = 'non-user' AND purpose = ? AND received_at <= ? AND (ended_at IS NULL OR ended_at > ?)`,
      )
      .all(purpose, asOf, asOf) as { r: string; a: string }[];
    return termReferences(
      rows.map((x) => ({ reference: x.r, terms: JSON.parse(x.a) as string[] })),
    );
  }

  async getSnapshot(id: string): Promise<SnapshotRecord | undefined> {
    const r = this.reader.prepare('SELECT * FROM snapshots WHERE id = ?').get(id) as
      | {
          id: string;
          purpose: string;
          as_of: string;
          count: number;
          sha256: string;
          created_at: string;
        }
      | undefined;
    return r
      ? {
          id: r.id,
          purpose: r.purpose,
          asOf: r.as_of,
          count: r.count,
          sha256: r.sha256,
          createdAt: r.created_at,
        }
      : undefined;
  }

  async *readObjections(): AsyncIterable<Objection> {
    yield* this.streamFromOwnConnection(
      'SELECT * FROM objections ORDER BY id',
      [],
      (r: ObjectionRow) => objectionFromRow(r),
    );
  }

  async *readEvents(): AsyncIterable<AuditEvent> {
    yield* this.streamFromOwnConnection(
      'SELECT * FROM audit_events ORDER BY seq',
      [],
      (r: EventRow) => eventFromRow(r),
    );
  }

  async *readObjectionEvents(throughSeq: number): AsyncIterable<AuditEvent> {
    yield* this.streamFromOwnConnection(
      `SELECT * FROM audit_events WHERE objection_id IS NOT NULL AND seq <= ?
        ORDER BY objection_id, seq`,
      [throughSeq],
      (r: EventRow) => eventFromRow(r),
    );
  }

  async snapshotEvent(id: string): Promise<AuditEvent | undefined> {
    const row = this.reader
      .prepare(
        `SELECT * FROM audit_events
          WHERE type = 'snapshot.created' AND json_extract(data, '$.id') = ?
          ORDER BY seq LIMIT 1`,
      )
      .get(id) as EventRow | undefined;
    return row ? eventFromRow(row) : undefined;
  }

  async datasetSealedEvent(datasetId: string): Promise<AuditEvent | undefined> {
    const row = this.reader
      .prepare(
        `SELECT * FROM audit_events
          WHERE type = 'dataset.sealed' AND json_extract(data, '$.datasetId') = ?
          ORDER BY seq LIMIT 1`,
      )
      .get(datasetId) as EventRow | undefined;
    return row ? eventFromRow(row) : undefined;
  }

  async eventsOfObjections(ids: readonly string[]): Promise<AuditEvent[]> {
    if (ids.length === 0) return [];
    const rows = this.reader
      .prepare(
        `SELECT * FROM audit_events WHERE objection_id IN (SELECT value FROM json_each(?))
          ORDER BY seq`,
      )
      .all(JSON.stringify(ids)) as EventRow[];
    return rows.map(eventFromRow);
  }

  async chainHead(): Promise<ChainHead> {
    return this.read.chainHead.get() as ChainHead;
  }

  async putCosignature(c: CosignatureRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO transparency_cosignatures
           (size, root, witness, key_id, signed_at, line, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(c.size, c.root, c.witness, c.keyId, c.signedAt, c.line, c.receivedAt);
  }

  async latestCosignatures(witness?: {
    name: string;
    keyId: string;
  }): Promise<CosignatureRecord[]> {
    const rows = (
      witness
        ? this.reader
            .prepare(
              `SELECT * FROM transparency_cosignatures WHERE witness = ? AND key_id = ?
                ORDER BY size DESC LIMIT 1`,
            )
            .all(witness.name, witness.keyId)
        : this.reader
            .prepare(
              `SELECT * FROM transparency_cosignatures
                WHERE size = (SELECT max(size) FROM transparency_cosignatures) ORDER BY witness, key_id`,
            )
            .all()
    ) as CosignatureRow[];
    return rows.map(cosignatureFromRow);
  }

  async readTiles(refs: readonly TileRef[]): Promise<StoredTile[]> {
    const out: StoredTile[] = [];
    for (const r of refs) {
      const t = this.read.tile.get(r.level, r.index) as StoredTile | undefined;
      if (t) out.push(t);
    }
    return out;
  }

  async outboxBacklog(): Promise<{ pending: number; oldestCreatedAt: string | null }> {
    const row = await this.readerKysely
      .selectFrom('outbox')
      .select((eb) => [eb.fn.countAll().as('pending'), eb.fn.min('created_at').as('oldest')])
      .where('delivered_at', 'is', null)
      .executeTakeFirst();
    return { pending: Number(row?.pending ?? 0), oldestCreatedAt: (row?.oldest as string) ?? null };
  }

  async dueOutbox(now: string, limit: number): Promise<(OutboxMessage & { attempts: number })[]> {
    const rows = this.read.dueOutbox.all(now, limit) as {
      id: string;
      kind: 'email';
      payload: string;
      created_at: string;
      attempts: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
      createdAt: r.created_at,
      attempts: r.attempts,
    }));
  }

  async markOutboxDelivered(id: string, at: string): Promise<void> {
    await this.writeOne('markOutboxDelivered', id, at);
  }

  async markOutboxFailed(id: string, error: string, nextAttemptAt: string): Promise<void> {
    await this.writeOne('markOutboxFailed', id, error, nextAttemptAt);
  }

  async putVerificationCode(c: VerificationCodeRow): Promise<void> {
    await this.writeOne('putVerificationCode', c);
  }

  async putVerificationCodeWithinLimit(
    c: VerificationCodeRow,
    since: string,
    max: number,
  ): Promise<boolean> {
    // One IMMEDIATE transaction: the count and the insert hold the database's write lock
    // together, so parallel requests (and other processes on the file) cannot overshoot.
    return this.write((db) => {
      const { n } = db
        .prepare(
          'SELECT count(*) AS n FROM verification_codes WHERE email_hash = ? AND created_at >= ?',
        )
        .get(c.emailHash, since) as { n: number };
      if (n >= max) return false;
      db.prepare(
        'INSERT INTO verification_codes (id, email_hash, code_hash, created_at, expires_at, attempts, consumed_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(c.id, c.emailHash, c.codeHash, c.createdAt, c.expiresAt, c.attempts, c.consumedAt);
      return true;
    });
  }

  async tryJobLease(job: string, holder: string, now: string, expiresAt: string): Promise<boolean> {
    return this.write(
      (db) =>
        db
          .prepare(
            `INSERT INTO job_leases (job, holder, expires_at) VALUES (?, ?, ?)
             ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE job_leases.holder = excluded.holder OR job_leases.expires_at < ?
             RETURNING holder`,
          )
          .get(job, holder, expiresAt, now) !== undefined,
    );
  }

  async releaseJobLease(job: string, holder: string): Promise<void> {
    await this.write((db) =>
      db.prepare('DELETE FROM job_leases WHERE job = ? AND holder = ?').run(job, holder),
    );
  }

  async countRateHit(key: string, windowStart: string, pruneBefore: string): Promise<number> {
    const prune = this.lastPrune !== windowStart;
    this.lastPrune = windowStart;
    return this.write((db) => {
      if (prune) db.prepare('DELETE FROM rate_counters WHERE window_start < ?').run(pruneBefore);
      const r = db
        .prepare(
          `INSERT INTO rate_counters (key, window_start, hits) VALUES (?, ?, 1)
           ON CONFLICT (key, window_start) DO UPDATE SET hits = hits + 1
           RETURNING hits`,
        )
        .get(key, windowStart) as { hits: number };
      return r.hits;
    });
  }

  private lastPrune = '';

  async pendingMigrations(): Promise<string[]> {
    return pendingMigrations(this.readerKysely, SQLITE_MIGRATIONS);
  }

  async latestVerificationCode(emailHash: string): Promise<VerificationCodeRow | undefined> {
    const r = this.reader
      .prepare(
        'SELECT * FROM verification_codes WHERE email_hash = ? ORDER BY created_at DESC LIMIT 1',
      )
      .get(emailHash) as
      | {
          id: string;
          email_hash: string;
          code_hash: string;
          created_at: string;
          expires_at: string;
          attempts: number;
          consumed_at: string | null;
        }
      | undefined;
    return r
      ? {
          id: r.id,
          emailHash: r.email_hash,
          codeHash: r.code_hash,
          createdAt: r.created_at,
          expiresAt: r.expires_at,
          attempts: r.attempts,
          consumedAt: r.consumed_at,
        }
      : undefined;
  }

  async countVerificationCodesSince(emailHash: string, since: string): Promise<number> {
    const r = this.reader
      .prepare(
        'SELECT count(*) AS n FROM verification_codes WHERE email_hash = ? AND created_at >= ?',
      )
      .get(emailHash, since) as { n: number };
    return r.n;
  }

  async updateVerificationCode(
    id: string,
    change: { attempts?: number; consumedAt?: string },
  ): Promise<void> {
    await this.writeOne('updateVerificationCode', id, change);
  }

  async close(): Promise<void> {
    await this.mutex.run(async () => {
      await this.writer.close();
      await this.kysely.destroy();
      if (this.readerKysely !== this.kysely) await this.readerKysely.destroy();
    });
    await this.checkpointer?.close();
    if (this.reader !== this.db && this.reader.open) this.reader.close();
    if (this.db.open) this.db.close();
  }

  /** Streams a query on a dedicated read-only connection: one consistent snapshot, closed in `finally`. */
  private async *streamFromOwnConnection<R, T>(
    sqlText: string,
    params: unknown[],
    map: (r: R) => T,
  ) {
    if (this.filename === ':memory:') {
      // An in-memory database has no second connection; read it at once (tests only).
      for (const r of this.db.prepare(sqlText).all(...params) as R[]) yield map(r);
      return;
    }
    const reader = openSqlite(this.filename, true);
    try {
      let n = 0;
      for (const r of reader.prepare(sqlText).iterate(...params) as IterableIterator<R>) {
        yield map(r);
        // Give the event loop a turn now and then so a long export does not stall requests.
        if (++n % 10_000 === 0) await new Promise((res) => setImmediate(res));
      }
    } finally {
      reader.close();
    }
  }
}

/** The read statements, prepared on the read-only connection (no write statements there). */
function prepareReads(db: Database.Database) {
  return {
    objectionById: db.prepare('SELECT * FROM objections WHERE id = ?'),
    objectionByReference: db.prepare('SELECT * FROM objections WHERE reference = ?'),
    objectionsBySubject: db.prepare(
      'SELECT * FROM objections WHERE subject_key = ? ORDER BY received_at, id',
    ),
    contact: db.prepare('SELECT * FROM contacts WHERE subject_key = ?'),
    chainHead: db.prepare('SELECT seq, hash FROM chain_head WHERE id = 1'),
    tile: db.prepare(
      'SELECT level, idx AS "index", width, hashes, nodes FROM transparency_tiles WHERE level = ? AND idx = ?',
    ),
    dueOutbox: db.prepare(
      'SELECT id, kind, payload, created_at, attempts FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?',
    ),
  };
}
