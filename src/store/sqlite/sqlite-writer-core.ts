import type Database from 'better-sqlite3';
import { AppError, type ErrorCode, type FieldIssue } from '../../domain/errors.ts';
import {
  applyIntakeBatch,
  type IntakeCommand,
  type IntakeContext,
  type IntakeOutcome,
  newObjection,
} from '../../domain/objection-intake.ts';
import type {
  AuditEvent,
  Contact,
  IdempotencyRecord,
  NewEvent,
  Objection,
  OutboxMessage,
  SnapshotRecord,
} from '../../domain/types.ts';
import type { RegistryTx, VerificationCodeRow } from '../registry-store.ts';
import {
  OBJECTION_COLUMNS,
  type ObjectionRow,
  objectionFromRow,
  objectionValues,
} from '../rows.ts';
import {
  appendAuditEvents,
  openSqlite,
  prepareAuditAppend,
  WalSyncer,
} from './sqlite-connection.ts';

/**
 * Every write the registry makes on SQLite, as plain synchronous methods over one writer
 * connection with prepared statements. It runs on the writer thread (sqlite-writer-worker.ts)
 * or, for an in-memory database, in-process. Arguments and results are plain data, so they
 * cross the thread boundary by structured clone.
 *
 * Prepared statements rather than Kysely: at ~5 statements per objection, building and
 * compiling each query through Kysely costs more CPU than executing it.
 */
export class SqliteWriterCore {
  private readonly db: Database.Database;
  private readonly stmts: ReturnType<typeof prepare>;
  private readonly audit: ReturnType<typeof prepareAuditAppend>;
  private readonly syncer: WalSyncer | null;

  constructor(filename: string, existing?: Database.Database) {
    this.db = existing ?? openSqlite(filename);
    // Checkpoints run on their own thread (WalCheckpointer), never inside a COMMIT here.
    if (filename !== ':memory:') this.db.pragma('wal_autocheckpoint = 0');
    this.stmts = prepare(this.db);
    this.audit = prepareAuditAppend(this.db);
    this.syncer = filename === ':memory:' ? null : WalSyncer.open(filename);
  }

  /** IMMEDIATE takes the write lock now, so a second process waits instead of deadlocking. */
  begin(): void {
    this.db.exec('BEGIN IMMEDIATE');
  }

  commit(): void {
    this.db.exec('COMMIT');
  }

  rollback(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  /** Resolves when everything committed so far is on disk. */
  async sync(): Promise<void> {
    await this.syncer?.sync();
  }

  effectiveObjections(keys: readonly string[]): Objection[] {
    const out: Objection[] = [];
    for (const key of new Set(keys)) {
      for (const r of this.stmts.effectiveBySubject.all(key) as ObjectionRow[])
        out.push(objectionFromRow(r));
    }
    return out;
  }

  idempotencyRecords(keys: readonly string[]): IdempotencyRecord[] {
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
  }

  objectionForUpdate(id: string): Objection | undefined {
    const r = this.stmts.objectionById.get(id) as ObjectionRow | undefined;
    return r ? objectionFromRow(r) : undefined;
  }

  insertObjections(rows: readonly Objection[]): void {
    for (const o of rows) this.stmts.insertObjection.run(objectionValues(o));
  }

  updateObjection(o: Objection): void {
    // SET every column but id, then WHERE id.
    this.stmts.updateObjection.run([...objectionValues(o).slice(1), o.id]);
  }

  insertIdempotency(rows: readonly IdempotencyRecord[]): void {
    for (const r of rows)
      this.stmts.insertIdempotency.run(r.key, r.requestHash, r.objectionId, r.createdAt);
  }

  upsertContacts(rows: readonly Contact[]): void {
    for (const c of rows) this.stmts.upsertContact.run(c.subjectKey, c.email, c.language);
  }

  enqueueOutbox(rows: readonly OutboxMessage[]): void {
    for (const m of rows)
      this.stmts.insertOutbox.run(
        m.id,
        m.kind,
        JSON.stringify(m.payload),
        m.createdAt,
        m.createdAt,
      );
  }

  insertSnapshot(s: SnapshotRecord): void {
    this.stmts.insertSnapshot.run(s.id, s.purpose, s.asOf, s.count, s.sha256, s.createdAt);
  }

  appendEvents(events: readonly NewEvent[]): AuditEvent[] {
    return appendAuditEvents(this.audit, events);
  }

  /**
   * One group-committed intake batch in one transaction: the whole unit of work runs here, so
   * a batch costs one message to this thread instead of one per statement.
   */
  async intake(batch: readonly IntakeCommand[], ctx: IntakeContext): Promise<SerializedOutcome[]> {
    this.begin();
    try {
      const outcomes = await applyIntakeBatch(this.localTx, batch, ctx);
      this.commit();
      // A created objection is a pure function of its command and the context the caller
      // holds (newObjection): answering with a flag instead of the row halves what crosses the
      // thread boundary, which the event loop serving requests pays for (~2 % of its CPU).
      return outcomes.map((o) =>
        o instanceof AppError
          ? {
              error: {
                code: o.code,
                message: o.message,
                issues: o.issues,
                messageKey: o.messageKey,
              },
            }
          : o.created
            ? CREATED
            : o,
      );
    } catch (err) {
      this.rollback();
      throw err;
    }
  }

  /** The same operations as a RegistryTx, for units of work that run on this thread. */
  private readonly localTx: RegistryTx = {
    effectiveObjections: async (k) => this.effectiveObjections(k),
    idempotencyRecords: async (k) => this.idempotencyRecords(k),
    objectionForUpdate: async (id) => this.objectionForUpdate(id),
    insertObjections: async (rows) => this.insertObjections(rows),
    updateObjection: async (row) => this.updateObjection(row),
    insertIdempotency: async (rows) => this.insertIdempotency(rows),
    upsertContacts: async (rows) => this.upsertContacts(rows),
    enqueueOutbox: async (rows) => this.enqueueOutbox(rows),
    insertSnapshot: async (row) => this.insertSnapshot(row),
    appendEvents: async (events) => this.appendEvents(events),
  };

  // Single-statement writes outside a registry transaction: each is its own (autocommit) transaction.

  markOutboxDelivered(id: string, at: string): void {
    // The payload holds an email address: once delivered it is no longer needed (minimisation).
    this.stmts.outboxDelivered.run(at, id);
  }

  markOutboxFailed(id: string, error: string, nextAttemptAt: string): void {
    this.stmts.outboxFailed.run(error.slice(0, 500), nextAttemptAt, id);
  }

  putVerificationCode(c: VerificationCodeRow): void {
    this.stmts.insertCode.run(
      c.id,
      c.emailHash,
      c.codeHash,
      c.createdAt,
      c.expiresAt,
      c.attempts,
      c.consumedAt,
    );
  }

  updateVerificationCode(id: string, change: { attempts?: number; consumedAt?: string }): void {
    this.db
      .transaction(() => {
        if (change.attempts !== undefined) this.stmts.codeAttempts.run(change.attempts, id);
        if (change.consumedAt !== undefined) this.stmts.codeConsumed.run(change.consumedAt, id);
      })
      .immediate();
  }

  close(): void {
    this.syncer?.close();
    if (this.db.open) this.db.close();
  }
}

const CREATED = { created: true } as const;

/** The operations a writer offers, by name: what crosses the thread boundary. */
export type WriterMethod = Exclude<keyof SqliteWriterCore, 'close'>;

/** An intake outcome as plain data: an AppError cannot cross a thread boundary as a class. */
export type SerializedOutcome =
  | IntakeOutcome
  | typeof CREATED
  | { error: { code: ErrorCode; message: string; issues: FieldIssue[]; messageKey: string } };

export function deserializeOutcome(
  o: SerializedOutcome,
  command: IntakeCommand,
  ctx: IntakeContext,
): IntakeOutcome | AppError {
  if ('error' in o) {
    return new AppError(o.error.code, o.error.message, {
      issues: o.error.issues,
      messageKey: o.error.messageKey,
    });
  }
  if (!('objection' in o)) {
    return {
      objection: newObjection(command, ctx.now, ctx.reviewMode),
      created: true,
      replayed: false,
    };
  }
  return o;
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
    outboxDelivered: db.prepare(`UPDATE outbox SET delivered_at = ?, payload = '{}' WHERE id = ?`),
    outboxFailed: db.prepare(
      'UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?',
    ),
    insertSnapshot: db.prepare(
      'INSERT INTO snapshots (id, purpose, as_of, count, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    insertCode: db.prepare(
      'INSERT INTO verification_codes (id, email_hash, code_hash, created_at, expires_at, attempts, consumed_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    codeAttempts: db.prepare('UPDATE verification_codes SET attempts = ? WHERE id = ?'),
    codeConsumed: db.prepare('UPDATE verification_codes SET consumed_at = ? WHERE id = ?'),
  };
}
