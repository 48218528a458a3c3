import type { AuditEvent, Objection } from '../domain/types.ts';
import type { CosignatureRecord } from './registry-store.ts';

/**
 * Column shapes shared by both adapters. PostgreSQL returns `timestamptz` as Date and `jsonb`
 * as parsed values; SQLite returns text. The mappers accept both, so the adapters stay twins.
 */
export interface ObjectionRow {
  id: string;
  reference: string;
  subject_key: string;
  subject_kind: string;
  purpose: string;
  scope: string;
  channel: string;
  status: string;
  review: string;
  reason_text: string | null;
  appears_at: string | string[];
  language: string;
  received_at: string | Date;
  due_at: string | Date;
  extension_reason: string | null;
  decision_reason: string | null;
  decided_at: string | Date | null;
  decided_by: string | null;
  ended_at: string | Date | null;
}

export interface EventRow {
  seq: number | string;
  at: string | Date;
  type: string;
  objection_id: string | null;
  subject_key: string | null;
  data: string | Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export function iso(v: string | Date): string {
  return typeof v === 'string' ? v : v.toISOString();
}

export function isoOrNull(v: string | Date | null): string | null {
  return v === null ? null : iso(v);
}

export function objectionFromRow(r: ObjectionRow): Objection {
  return {
    id: r.id,
    reference: r.reference,
    subjectKey: r.subject_key,
    subjectKind: r.subject_kind as Objection['subjectKind'],
    purpose: r.purpose,
    // As stored (not the constant it always is), so that audit verify sees an edited row.
    scope: r.scope as Objection['scope'],
    channel: r.channel as Objection['channel'],
    status: r.status as Objection['status'],
    review: r.review as Objection['review'],
    reasonText: r.reason_text,
    appearsAt:
      typeof r.appears_at === 'string' ? (JSON.parse(r.appears_at) as string[]) : r.appears_at,
    language: r.language,
    receivedAt: iso(r.received_at),
    dueAt: iso(r.due_at),
    extensionReason: r.extension_reason,
    decisionReason: r.decision_reason,
    decidedAt: isoOrNull(r.decided_at),
    decidedBy: r.decided_by,
    endedAt: isoOrNull(r.ended_at),
  };
}

/** Values in the column order of `OBJECTION_COLUMNS`. */
export function objectionValues(o: Objection): unknown[] {
  return [
    o.id,
    o.reference,
    o.subjectKey,
    o.subjectKind,
    o.purpose,
    o.scope,
    o.channel,
    o.status,
    o.review,
    o.reasonText,
    JSON.stringify(o.appearsAt),
    o.language,
    o.receivedAt,
    o.dueAt,
    o.extensionReason,
    o.decisionReason,
    o.decidedAt,
    o.decidedBy,
    o.endedAt,
  ];
}

export const OBJECTION_COLUMNS = [
  'id',
  'reference',
  'subject_key',
  'subject_kind',
  'purpose',
  'scope',
  'channel',
  'status',
  'review',
  'reason_text',
  'appears_at',
  'language',
  'received_at',
  'due_at',
  'extension_reason',
  'decision_reason',
  'decided_at',
  'decided_by',
  'ended_at',
] as const;

export function eventFromRow(r: EventRow): AuditEvent {
  return {
    seq: Number(r.seq),
    at: iso(r.at),
    type: r.type,
    objectionId: r.objection_id,
    subjectKey: r.subject_key,
    data: typeof r.data === 'string' ? (JSON.parse(r.data) as Record<string, unknown>) : r.data,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Flattens per-objection term lists into one sorted list of distinct, trimmed, non-empty terms. */
export function uniqueTerms(lists: readonly (readonly string[])[]): string[] {
  const out = new Set<string>();
  for (const list of lists) for (const t of list) if (t.trim()) out.add(t.trim());
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The references of the objections that give at least one term, each once, sorted. */
export function termReferences(
  rows: readonly { reference: string; terms: readonly string[] }[],
): string[] {
  const out = new Set<string>();
  for (const r of rows) if (r.terms.some((t) => t.trim())) out.add(r.reference);
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export interface CosignatureRow {
  size: number | string;
  root: string;
  witness: string;
  key_id: string;
  signed_at: number | string;
  line: string;
  received_at: string;
}

export function cosignatureFromRow(r: CosignatureRow): CosignatureRecord {
  return {
    size: Number(r.size),
    root: r.root,
    witness: r.witness,
    keyId: r.key_id,
    signedAt: Number(r.signed_at),
    line: r.line,
    receivedAt: r.received_at,
  };
}
