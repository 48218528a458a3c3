import { closeSync, fdatasync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { chainEvents } from '../../domain/audit-chain.ts';
import type {
  AuditEvent,
  ChainHead,
  Contact,
  IdempotencyRecord,
  NewEvent,
  Objection,
  ObjectionFilter,
  OutboxMessage,
  SnapshotRecord,
} from '../../domain/types.ts';
import { Mutex } from '../../lib/group-commit.ts';
import { migrateToLatest } from '../migrate.ts';
import type { RegistryStore, RegistryTx, VerificationCodeRow } from '../registry-store.ts';
import {
  type EventRow,
  eventFromRow,
  OBJECTION_COLUMNS,
  type ObjectionRow,
  objectionFromRow,
  objectionValues,
} from '../rows.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

export interface SqliteStoreOptions {
  /** File path, or ':memory:' for throwaway tests (no durability). */
  filename: string;
}

/**
 * Durability. `synchronous=FULL` in WAL mode makes COMMIT call fsync on the WAL, and
 * better-sqlite3 runs it on the main thread: the event loop stood still for every disk sync
 * (18 % of the server's time at 11k objections/s, profiled). Instead the connection runs with
 * `synchronous=NORMAL`, which writes the same WAL frames at COMMIT but leaves the fsync out, and
 * the store itself calls fdatasync on the WAL file in libuv's thread pool before a transaction
 * is reported committed. The WAL frames of a committed transaction are then on disk exactly as
 * FULL would have left them, while the event loop keeps parsing requests and the next batch
 * can commit. (NORMAL still syncs the WAL before every checkpoint, so checkpointed pages are
 * safe too.) `transaction()` resolves only after that sync: acknowledged means durable.
 */
function open(filename: string, readonly = false): Database.Database {
  const db = new Database(filename, { readonly, fileMustExist: readonly });
  db.pragma('busy_timeout = 5000');
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(filename === ':memory:' ? 'synchronous = FULL' : 'synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  }
  return db;
}

/**
 * Coalesces fdatasync calls on the WAL: a caller waits for a sync that started after its
 * commit; while one runs, every later caller shares the next one (at most one queued).
 */
class WalSyncer {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly fd: number) {}

  sync(): Promise<void> {
    if (!this.running) {
      this.running = this.start();
      return this.running;
    }
    this.queued ??= this.running.then(
      () => this.next(),
      () => this.next(),
    );
    return this.queued;
  }

  close(): void {
    closeSync(this.fd);
  }

  private next(): Promise<void> {
    this.queued = null;
    this.running = this.start();
    return this.running;
  }

  private start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      fdatasync(this.fd, (err) => {
        this.running = null;
        if (err) reject(err);
        else resolve();
      });
    });
  }
}

function walSyncer(filename: string): WalSyncer | null {
  if (filename === ':memory:') return null;
  // The -wal file exists once the migrations have written; make its directory entry durable.
  const dir = openSync(path.dirname(path.resolve(filename)), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
  return new WalSyncer(openSync(`${filename}-wal`, 'r+'));
}

export async function openSqliteRegistryStore(
  options: SqliteStoreOptions,
): Promise<SqliteRegistryStore> {
  if (options.filename !== ':memory:')
    mkdirSync(path.dirname(path.resolve(options.filename)), { recursive: true });
  const db = open(options.filename);
  const kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: db }) });
  await migrateToLatest(kysely, MIGRATIONS);
  const durable =
    options.filename === ':memory:'
      ? null
      : {
          syncer: walSyncer(options.filename)!,
          checkpointer: new WalCheckpointer(options.filename),
        };
  if (durable) db.pragma('wal_autocheckpoint = 0');
  return new SqliteRegistryStore(options.filename, db, kysely, durable);
}

/**
 * The embedded default. One writer connection; reads that stream large results (snapshots,
 * the audit log) open their own read-only connection so they see one consistent WAL snapshot
 * and never observe a write transaction in progress.
 *
 * The write path uses better-sqlite3 prepared statements directly rather than Kysely: at the
 * intake's ~5 statements per objection, building and compiling each query through Kysely costs
 * more CPU than executing it (measured in bench/intake), and the intake shares two cores with
 * the HTTP layer. Kysely runs the migrations and the ad-hoc reads.
 */
export class SqliteRegistryStore implements RegistryStore {
  readonly dialect = 'sqlite' as const;
  /** Kysely over the writer connection, for other modules' tables (datasets, notices, ...). */
  readonly kysely: Kysely<any>;
  private readonly mutex = new Mutex();
  private readonly stmts: ReturnType<typeof prepare>;
  /**
   * Reads outside a transaction use their own connection: it sees committed data only, never a
   * batch that is still being written on the writer connection.
   */
  private readonly reader: Database.Database;
  private readonly readerKysely: Kysely<any>;
  private readonly read: ReturnType<typeof prepareReads>;

  constructor(
    private readonly filename: string,
    /** The writer connection. Exposed for sibling adapters that share this database. */
    readonly db: Database.Database,
    kysely: Kysely<any>,
    private readonly durable: { syncer: WalSyncer; checkpointer: WalCheckpointer } | null = null,
  ) {
    this.kysely = kysely;
    this.stmts = prepare(db);
    this.reader = filename === ':memory:' ? db : open(filename, true);
    this.readerKysely =
      filename === ':memory:'
        ? kysely
        : new Kysely<any>({ dialect: new SqliteDialect({ database: this.reader }) });
    this.read = filename === ':memory:' ? this.stmts : prepareReads(this.reader);
  }

  async transaction<T>(work: (tx: RegistryTx) => Promise<T>): Promise<T> {
    const result = await this.mutex.run(async () => {
      // IMMEDIATE takes the write lock now, so a second process fails fast instead of deadlocking.
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.tx);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
    // Outside the mutex: the next transaction may commit while this one's sync runs.
    await this.durable?.syncer.sync();
    return result;
  }

  /** Runs plain writes outside the registry's transaction shape, still serialised and synced. */
  async write<T>(fn: (db: Database.Database) => T): Promise<T> {
    const result = await this.mutex.run(async () =>
      this.db.transaction(() => fn(this.db)).immediate(),
    );
    await this.durable?.syncer.sync();
    return result;
  }

  private readonly tx: RegistryTx = {
    effectiveObjections: async (keys) => {
      const out: Objection[] = [];
      for (const key of new Set(keys)) {
        for (const r of this.stmts.effectiveBySubject.all(key) as ObjectionRow[])
          out.push(objectionFromRow(r));
      }
      return out;
    },
    idempotencyRecords: async (keys) => {
      const out: IdempotencyRecord[] = [];
      for (const key of new Set(keys)) {
        const r = this.stmts.idempotency.get(key) as
          | { key: string; request_hash: string; objection_id: string; created_at: string }
          | undefined;
        if (r)
          out.push({
            key: r.key,
            requestHash: r.request_hash,
            objectionId: r.objection_id,
            createdAt: r.created_at,
          });
      }
      return out;
    },
    objectionForUpdate: async (id) => {
      const r = this.stmts.objectionById.get(id) as ObjectionRow | undefined;
      return r ? objectionFromRow(r) : undefined;
    },
    insertObjections: async (rows) => {
      for (const o of rows) this.stmts.insertObjection.run(objectionValues(o));
    },
    updateObjection: async (o) => {
      const values = objectionValues(o);
      // SET every column but id, then WHERE id.
      this.stmts.updateObjection.run([...values.slice(1), o.id]);
    },
    insertIdempotency: async (rows) => {
      for (const r of rows)
        this.stmts.insertIdempotency.run(r.key, r.requestHash, r.objectionId, r.createdAt);
    },
    upsertContacts: async (rows) => {
      for (const c of rows) this.stmts.upsertContact.run(c.subjectKey, c.email, c.language);
    },
    enqueueOutbox: async (rows) => {
      for (const m of rows) {
        this.stmts.insertOutbox.run(
          m.id,
          m.kind,
          JSON.stringify(m.payload),
          m.createdAt,
          m.createdAt,
        );
      }
    },
    insertSnapshot: async (s) => {
      this.stmts.insertSnapshot.run(s.id, s.purpose, s.asOf, s.count, s.sha256, s.createdAt);
    },
    appendEvents: async (events) => this.appendEventsSync(events),
  };

  private appendEventsSync(events: readonly NewEvent[]): AuditEvent[] {
    if (events.length === 0) return [];
    const head = this.stmts.chainHead.get() as ChainHead;
    const chained = chainEvents(head, events);
    for (const e of chained) {
      this.stmts.insertEvent.run(
        e.seq,
        e.at,
        e.type,
        e.objectionId,
        e.subjectKey,
        JSON.stringify(e.data),
        e.prevHash,
        e.hash,
      );
    }
    const last = chained[chained.length - 1]!;
    this.stmts.setChainHead.run(last.seq, last.hash);
    return chained;
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

  async objectorsAddedSince(purpose: string, asOf: string): Promise<string[]> {
    const rows = this.reader
      .prepare(
        `SELECT DISTINCT subject_key AS k FROM objections
          WHERE purpose = ? AND status = 'effective' AND received_at > ? ORDER BY subject_key`,
      )
      .all(purpose, asOf) as { k: string }[];
    return rows.map((r) => r.k);
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

  async chainHead(): Promise<ChainHead> {
    return this.read.chainHead.get() as ChainHead;
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
    // The payload holds an email address: once delivered it is no longer needed (minimisation).
    await this.write((db) =>
      db.prepare(`UPDATE outbox SET delivered_at = ?, payload = '{}' WHERE id = ?`).run(at, id),
    );
  }

  async markOutboxFailed(id: string, error: string, nextAttemptAt: string): Promise<void> {
    await this.write((db) =>
      db
        .prepare(
          'UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?',
        )
        .run(error.slice(0, 500), nextAttemptAt, id),
    );
  }

  async putVerificationCode(c: VerificationCodeRow): Promise<void> {
    await this.write((db) =>
      db
        .prepare(
          'INSERT INTO verification_codes (id, email_hash, code_hash, created_at, expires_at, attempts, consumed_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(c.id, c.emailHash, c.codeHash, c.createdAt, c.expiresAt, c.attempts, c.consumedAt),
    );
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
    await this.write((db) => {
      if (change.attempts !== undefined)
        db.prepare('UPDATE verification_codes SET attempts = ? WHERE id = ?').run(
          change.attempts,
          id,
        );
      if (change.consumedAt !== undefined)
        db.prepare('UPDATE verification_codes SET consumed_at = ? WHERE id = ?').run(
          change.consumedAt,
          id,
        );
    });
  }

  async close(): Promise<void> {
    await this.mutex.run(async () => {
      await this.kysely.destroy();
      if (this.readerKysely !== this.kysely) await this.readerKysely.destroy();
    });
    if (this.reader !== this.db && this.reader.open) this.reader.close();
    await this.durable?.checkpointer.close();
    if (this.db.open) this.db.close();
    this.durable?.syncer.close();
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
    const reader = open(this.filename, true);
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
    dueOutbox: db.prepare(
      'SELECT id, kind, payload, created_at, attempts FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?',
    ),
  };
}

function prepare(db: Database.Database) {
  const cols = OBJECTION_COLUMNS.join(', ');
  const marks = OBJECTION_COLUMNS.map(() => '?').join(', ');
  const sets = OBJECTION_COLUMNS.slice(1)
    .map((c) => `${c} = ?`)
    .join(', ');
  return {
    effectiveBySubject: db.prepare(
      `SELECT * FROM objections WHERE subject_key = ? AND status = 'effective'`,
    ),
    objectionById: db.prepare('SELECT * FROM objections WHERE id = ?'),
    objectionByReference: db.prepare('SELECT * FROM objections WHERE reference = ?'),
    objectionsBySubject: db.prepare(
      'SELECT * FROM objections WHERE subject_key = ? ORDER BY received_at, id',
    ),
    insertObjection: db.prepare(`INSERT INTO objections (${cols}) VALUES (${marks})`),
    updateObjection: db.prepare(`UPDATE objections SET ${sets} WHERE id = ?`),
    idempotency: db.prepare('SELECT * FROM idempotency_keys WHERE key = ?'),
    insertIdempotency: db.prepare(
      'INSERT INTO idempotency_keys (key, request_hash, objection_id, created_at) VALUES (?, ?, ?, ?)',
    ),
    upsertContact: db.prepare(
      'INSERT INTO contacts (subject_key, email, language) VALUES (?, ?, ?) ON CONFLICT (subject_key) DO UPDATE SET email = excluded.email, language = excluded.language',
    ),
    insertOutbox: db.prepare(
      'INSERT INTO outbox (id, kind, payload, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)',
    ),
    insertSnapshot: db.prepare(
      'INSERT INTO snapshots (id, purpose, as_of, count, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    chainHead: db.prepare('SELECT seq, hash FROM chain_head WHERE id = 1'),
    setChainHead: db.prepare('UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1'),
    insertEvent: db.prepare(
      'INSERT INTO audit_events (seq, at, type, objection_id, subject_key, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    contact: db.prepare('SELECT * FROM contacts WHERE subject_key = ?'),
    dueOutbox: db.prepare(
      'SELECT id, kind, payload, created_at, attempts FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?',
    ),
  };
}
