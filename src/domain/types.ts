/**
 * The registry's vocabulary. Plain data, shared by the domain, the stores and the edges.
 * Times are ISO 8601 strings in UTC with millisecond precision ("2026-11-28T12:00:00.000Z").
 */

/** Who objects: a platform account, or a non-user who proved control of an email address. */
export type SubjectRef = { kind: 'account'; accountId: string } | { kind: 'email'; email: string };

export type SubjectKind = 'account' | 'non-user';

/**
 * How an objection reached Veto. GDPR Art. 21(5) "by automated means using technical
 * specifications" is `api` (a request) or `signal` (a browser privacy signal such as Global
 * Privacy Control, recorded by the portal, or forwarded by the platform).
 */
/** `email-link`: the one-click link of a notice email (src/domain/notices/object-link.ts). */
export type Channel = 'portal' | 'api' | 'import' | 'email' | 'signal' | 'email-link';

/**
 * `effective` from the instant it is recorded (Art. 18(1)(d)); `withdrawn` by the person;
 * `overridden` only when a deployment enabled review and a reviewer recorded compelling grounds.
 */
export type ObjectionStatus = 'effective' | 'withdrawn' | 'overridden';

/** Review is off by default; when on, every new objection starts `pending` (and is still effective). */
export type ReviewState = 'none' | 'pending' | 'upheld' | 'overridden';

export interface Objection {
  id: string;
  /** Human-facing reference printed on receipts, e.g. "VT-7K3M-9QXP-2HDA". */
  reference: string;
  subjectKey: string;
  subjectKind: SubjectKind;
  purpose: string;
  /** The whole account, including content created later. */
  scope: 'account';
  channel: Channel;
  status: ObjectionStatus;
  review: ReviewState;
  /** Optional free text; never required. */
  reasonText: string | null;
  /** Handles or post URLs where a non-user appears in others' content. */
  appearsAt: string[];
  language: string;
  receivedAt: string;
  /** Art. 12(3): one calendar month from receipt, extended by up to two with a reason. */
  dueAt: string;
  extensionReason: string | null;
  decisionReason: string | null;
  decidedAt: string | null;
  decidedBy: string | null;
  /** When the objection stopped being effective (withdrawn or overridden). */
  endedAt: string | null;
}

/** A contact kept only so that receipts and notifications can be sent. Never logged. */
export interface Contact {
  subjectKey: string;
  email: string;
  language: string;
}

export type EventType =
  | 'objection.recorded'
  | 'objection.withdrawn'
  | 'objection.decided'
  | 'objection.extended'
  | 'snapshot.created'
  | (string & {});

/** An event before it is chained. */
export interface NewEvent {
  at: string;
  type: EventType;
  objectionId: string | null;
  subjectKey: string | null;
  data: Record<string, unknown>;
}

/** An event in the append-only log; `hash` covers `prevHash` and every other field. */
export interface AuditEvent extends NewEvent {
  seq: number;
  prevHash: string;
  hash: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export interface IdempotencyRecord {
  /** `<client>:<Idempotency-Key>`: keys are scoped to the caller so clients cannot collide. */
  key: string;
  requestHash: string;
  objectionId: string;
  createdAt: string;
}

/** An email (or later, webhook) committed with the change that caused it and sent afterwards. */
export interface OutboxMessage {
  id: string;
  kind: 'email';
  payload: Record<string, unknown>;
  createdAt: string;
}

export interface SnapshotRecord {
  id: string;
  purpose: string;
  asOf: string;
  count: number;
  sha256: string;
  createdAt: string;
}

/** One member of an objector set with the instant its objection took effect. */
export interface ObjectorAsOf {
  subjectKey: string;
  /** ISO 8601 instant: the earliest receipt among the subject's objections effective at the cut-off. */
  effectiveAt: string;
}

export interface ObjectionFilter {
  status?: ObjectionStatus;
  purpose?: string;
  channel?: Channel;
  review?: ReviewState;
  subjectKind?: SubjectKind;
  receivedFrom?: string;
  receivedTo?: string;
  /** Keyset pagination: objections received strictly after this (receivedAt, id) cursor. */
  after?: { receivedAt: string; id: string };
  limit: number;
}
