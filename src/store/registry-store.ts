import type { AppError } from '../domain/errors.ts';
import type { IntakeCommand, IntakeContext, IntakeOutcome } from '../domain/objection-intake.ts';
import type {
  AuditEvent,
  ChainHead,
  Contact,
  IdempotencyRecord,
  NewEvent,
  Objection,
  ObjectionFilter,
  ObjectorAsOf,
  OutboxMessage,
  SnapshotRecord,
} from '../domain/types.ts';
import type { StoredTile, TileRef } from '../transparency/tiles.ts';

/**
 * The registry's storage contract. Two adapters implement it (src/store/sqlite and
 * src/store/postgres) and one shared suite (test/store/registry-store.suite.ts) runs against both.
 *
 * Writes happen only inside `transaction`, which is serialised: at most one write transaction
 * is open at a time per registry (SQLite: one writer connection behind a queue; PostgreSQL: the
 * chain-head row is locked `FOR UPDATE` first, which also serialises several Veto processes).
 * That is what lets the audit chain be computed without gaps or forks. Group commit sits above
 * this interface (src/domain/objection-intake.ts): many requests share one transaction.
 */
export interface RegistryStore {
  readonly dialect: 'sqlite' | 'postgres';
  transaction<T>(work: (tx: RegistryTx) => Promise<T>): Promise<T>;
  /**
   * Runs the intake's unit of work (`applyIntakeBatch`) for one group-committed batch in one
   * transaction, and resolves after it is durable. `context` is called at the serialisation
   * point (after the write lock is held), so the batch's timestamp orders correctly with every
   * other write. An adapter runs it where writes happen (SQLite: on its writer thread, in one
   * message per batch). Item-level refusals come back as AppErrors in their slots.
   */
  recordIntake(
    batch: readonly IntakeCommand[],
    context: () => IntakeContext,
  ): Promise<(IntakeOutcome | AppError)[]>;

  getObjection(id: string): Promise<Objection | undefined>;
  getObjectionByReference(reference: string): Promise<Objection | undefined>;
  objectionsOfSubject(subjectKey: string): Promise<Objection[]>;
  listObjections(filter: ObjectionFilter): Promise<Objection[]>;
  getContact(subjectKey: string): Promise<Contact | undefined>;

  /**
   * Subject keys with an objection for `purpose` effective at `asOf`, sorted by byte order,
   * read from one consistent snapshot of the database.
   */
  objectorsAsOf(purpose: string, asOf: string): AsyncIterable<string>;
  /**
   * The same set, in the same order, each subject with when its objection took effect: what the
   * Parquet snapshot holds for engines other than the gate.
   */
  objectorsAsOfWithTimes(purpose: string, asOf: string): AsyncIterable<ObjectorAsOf>;
  /** Subject keys whose objection for `purpose` is effective now and was received after `asOf`. */
  objectorsAddedSince(purpose: string, asOf: string): Promise<string[]>;
  /**
   * What people who objected as third parties (non-users) gave as the places they appear —
   * handles, names, profile URLs — for objections to `purpose` effective at `asOf`, each once,
   * sorted. The gate redacts these terms wherever they appear (third parties' terms).
   */
  thirdPartyTermsAsOf(purpose: string, asOf: string): Promise<string[]>;
  /**
   * The receipt references of the objections {@link thirdPartyTermsAsOf} takes its terms from
   * (those with at least one term), each once, sorted: the terms objections a build applies.
   */
  thirdPartyTermReferencesAsOf(purpose: string, asOf: string): Promise<string[]>;
  getSnapshot(id: string): Promise<SnapshotRecord | undefined>;

  /** Every objection, streamed in id order (for audit cross-checks and exports). */
  readObjections(): AsyncIterable<Objection>;
  /** The whole audit log in order, streamed (it may hold millions of events). */
  readEvents(): AsyncIterable<AuditEvent>;
  /**
   * The events about objections up to `throughSeq`, streamed in objection id order (byte order,
   * as `readObjections`), each objection's in log order: audit verify walks them beside the rows.
   */
  readObjectionEvents(throughSeq: number): AsyncIterable<AuditEvent>;
  /**
   * The `snapshot.created` event of snapshot `id` (its position in the log is the registry state
   * the snapshot was taken from: a dataset built from it is anchored there), or undefined.
   */
  snapshotEvent(id: string): Promise<AuditEvent | undefined>;
  /**
   * The `dataset.sealed` event of dataset `id` (the first, should the log hold more), or
   * undefined: what a dataset's exclusion and terms commitments are checked against in the log.
   */
  datasetSealedEvent(datasetId: string): Promise<AuditEvent | undefined>;
  /** Every event about these objections, in log order. */
  eventsOfObjections(ids: readonly string[]): Promise<AuditEvent[]>;
  chainHead(): Promise<ChainHead>;
  /**
   * Transparency-log tiles (src/transparency/tiles.ts), those of `refs` that exist. The log's
   * size is the chain head's `seq`: both are written in the same transaction.
   */
  readTiles(refs: readonly TileRef[]): Promise<StoredTile[]>;
  /** Stores a witness's cosignature (verified by the caller); a repeat of one stored is ignored. */
  putCosignature(c: CosignatureRecord): Promise<void>;
  /**
   * Cosignatures of the largest cosigned tree size (any witness), or, with `witness`, that
   * witness's cosignature of the largest size it cosigned.
   */
  latestCosignatures(witness?: { name: string; keyId: string }): Promise<CosignatureRecord[]>;

  /** Messages not yet delivered whose next attempt is due, oldest first. */
  dueOutbox(now: string, limit: number): Promise<(OutboxMessage & { attempts: number })[]>;
  markOutboxDelivered(id: string, at: string): Promise<void>;
  markOutboxFailed(id: string, error: string, nextAttemptAt: string): Promise<void>;
  /** Emails not delivered yet, and when the oldest of them was queued (for `/metrics`). */
  outboxBacklog(): Promise<{ pending: number; oldestCreatedAt: string | null }>;

  /** One-time codes for non-users. Only hashes are stored. */
  putVerificationCode(code: VerificationCodeRow): Promise<void>;
  latestVerificationCode(emailHash: string): Promise<VerificationCodeRow | undefined>;
  countVerificationCodesSince(emailHash: string, since: string): Promise<number>;
  updateVerificationCode(
    id: string,
    change: { attempts?: number; consumedAt?: string },
  ): Promise<void>;
  /**
   * Stores the code only if fewer than `max` codes were created for its address since `since`,
   * as one atomic step in storage (parallel requests, several instances); false when refused.
   */
  putVerificationCodeWithinLimit(
    code: VerificationCodeRow,
    since: string,
    max: number,
  ): Promise<boolean>;

  /**
   * Takes or renews the lease of background job `job` for `holder` until `expiresAt`, in one
   * atomic statement: true if `holder` holds it now (it was free, expired at `now`, or already
   * its own). Several instances on one database run each job once at a time.
   */
  tryJobLease(job: string, holder: string, now: string, expiresAt: string): Promise<boolean>;
  releaseJobLease(job: string, holder: string): Promise<void>;
  /**
   * Counts one hit of `key` in the fixed window starting at `windowStart` and returns the hits
   * so far in that window (atomic; shared by every instance on the database). Windows that
   * started before `pruneBefore` are deleted now and then.
   */
  countRateHit(key: string, windowStart: string, pruneBefore: string): Promise<number>;

  /** Migrations shipped with this version that the database has not run (for `/readyz`). */
  pendingMigrations(): Promise<string[]>;

  close(): Promise<void>;
}

/**
 * What a write transaction can do. Bulk methods keep PostgreSQL round trips per batch constant.
 * Bulk lookups return each matching row once, in no particular order, even if a key is repeated.
 */
export interface RegistryTx {
  effectiveObjections(subjectKeys: readonly string[]): Promise<Objection[]>;
  idempotencyRecords(keys: readonly string[]): Promise<IdempotencyRecord[]>;
  objectionForUpdate(id: string): Promise<Objection | undefined>;
  insertObjections(rows: readonly Objection[]): Promise<void>;
  updateObjection(row: Objection): Promise<void>;
  insertIdempotency(rows: readonly IdempotencyRecord[]): Promise<void>;
  upsertContacts(rows: readonly Contact[]): Promise<void>;
  enqueueOutbox(rows: readonly OutboxMessage[]): Promise<void>;
  insertSnapshot(row: SnapshotRecord): Promise<void>;
  /** Chains the events after the current head (in order) and stores them. */
  appendEvents(events: readonly NewEvent[]): Promise<AuditEvent[]>;
}

/** A witness's C2SP tlog-cosignature/v1 of the checkpoint (size, root). */
export interface CosignatureRecord {
  size: number;
  /** base64, as in the checkpoint. */
  root: string;
  witness: string;
  /** hex */
  keyId: string;
  /** The cosignature's own timestamp (POSIX seconds). */
  signedAt: number;
  /** The signature line, newline included. */
  line: string;
  receivedAt: string;
}

export interface VerificationCodeRow {
  id: string;
  emailHash: string;
  codeHash: string;
  createdAt: string;
  expiresAt: string;
  attempts: number;
  consumedAt: string | null;
}
