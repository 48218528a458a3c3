import { createHmac } from 'node:crypto';
import type { RegistryStore } from '../store/registry-store.ts';
import type { AuditEvent, Objection } from './types.ts';

/**
 * `veto audit verify`'s second half: the objections table against the audit log. The chain
 * proves the log was not edited; this proves the table says what the log says, column by
 * column, so that an edit of any column a snapshot, the gate or a person's status depends on
 * (purpose, received_at, ended_at, status, subject ...) is found and named.
 *
 * What the log records of each objection, and so what is compared:
 *
 * | column | from |
 * |---|---|
 * | subject_key, received_at | the `objection.recorded` event's subject and time |
 * | reference, purpose, scope, channel, subject_kind, review, due_at | its data |
 * | language | its data (events since the log carried it) |
 * | reason_text, appears_at | keyed digests in its data (since); before: reason_text's presence |
 * | status, ended_at | `objection.withdrawn` / an overriding `objection.decided`, and their times |
 * | review, decided_at, decided_by, decision_reason | `objection.decided` (reason: digest since, else presence) |
 * | due_at, extension_reason | `objection.extended` (reason: digest since, else presence) |
 *
 * Free text and the handles a non-user gave go into the log as HMAC digests keyed with the
 * deployment secret: the log proves them without holding them (it is append-only, and a person
 * may ask for their text to be erased), and nobody without the secret can test guesses.
 */

/** The keyed digest of a free-text or list column, as the log records it. */
export function auditDigest(secret: string, column: string, value: string | readonly string[]) {
  return createHmac('sha256', secret)
    .update(`audit\0${column}\0${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .digest('hex')
    .slice(0, 32);
}

/** The data an `objection.recorded` event carries about the columns audit verify compares. */
export function recordedAuditData(o: Objection, secret: string): Record<string, unknown> {
  return {
    language: o.language,
    reasonDigest: o.reasonText === null ? null : auditDigest(secret, 'reason_text', o.reasonText),
    appearsAtDigest:
      o.appearsAt.length === 0 ? null : auditDigest(secret, 'appears_at', o.appearsAt),
  };
}

/** What the log says one column holds: a value, a digest of it, or only whether it is set. */
type Expected =
  | { value: string | null }
  | { digest: string | null; secret: string }
  | { present: boolean };

/** The columns the log lets us check, in the order they are reported. */
const COLUMNS = [
  'subject_key',
  'subject_kind',
  'reference',
  'purpose',
  'scope',
  'channel',
  'language',
  'received_at',
  'due_at',
  'status',
  'ended_at',
  'review',
  'decided_at',
  'decided_by',
  'decision_reason',
  'extension_reason',
  'reason_text',
  'appears_at',
] as const;
type Column = (typeof COLUMNS)[number];

function actual(o: Objection, column: Column): string | readonly string[] | null {
  switch (column) {
    case 'subject_key':
      return o.subjectKey;
    case 'subject_kind':
      return o.subjectKind;
    case 'reference':
      return o.reference;
    case 'purpose':
      return o.purpose;
    case 'scope':
      return o.scope;
    case 'channel':
      return o.channel;
    case 'language':
      return o.language;
    case 'received_at':
      return o.receivedAt;
    case 'due_at':
      return o.dueAt;
    case 'status':
      return o.status;
    case 'ended_at':
      return o.endedAt;
    case 'review':
      return o.review;
    case 'decided_at':
      return o.decidedAt;
    case 'decided_by':
      return o.decidedBy;
    case 'decision_reason':
      return o.decisionReason;
    case 'extension_reason':
      return o.extensionReason;
    case 'reason_text':
      return o.reasonText;
    case 'appears_at':
      return o.appearsAt.length === 0 ? null : o.appearsAt;
  }
}

/** Which of the log's newer fields an objection's events lack (so those columns go unchecked). */
export interface LogGaps {
  /** The recorded event has no language and digests (written before the log carried them). */
  recorded: boolean;
  /** A decision or an extension event has no digest of its reason. */
  reasons: boolean;
}

/**
 * What the log says an objection's row holds, from its events in order; undefined when the log
 * has no `objection.recorded` event for it.
 */
export function expectedFromLog(
  events: readonly AuditEvent[],
  secret: string,
): { columns: Map<Column, Expected>; gaps: LogGaps } | undefined {
  const recorded = events.find((e) => e.type === 'objection.recorded');
  if (!recorded) return undefined;
  const columns = new Map<Column, Expected>();
  const gaps: LogGaps = { recorded: false, reasons: false };
  const d = recorded.data;
  const value = (column: Column, v: unknown) => {
    if (typeof v === 'string' || v === null) columns.set(column, { value: v });
  };
  const digestOr = (column: Column, digest: unknown, present: boolean | undefined) => {
    if (typeof digest === 'string' || digest === null) columns.set(column, { digest, secret });
    else if (present !== undefined) columns.set(column, { present });
  };
  value('subject_key', recorded.subjectKey);
  value('received_at', recorded.at);
  for (const [column, key] of [
    ['subject_kind', 'subjectKind'],
    ['reference', 'reference'],
    ['purpose', 'purpose'],
    ['scope', 'scope'],
    ['channel', 'channel'],
    ['review', 'review'],
    ['due_at', 'dueAt'],
    ['language', 'language'],
  ] as const) {
    value(column, d[key]);
  }
  value('status', 'effective');
  value('ended_at', null);
  value('decided_at', null);
  value('decided_by', null);
  value('decision_reason', null);
  value('extension_reason', null);
  if (!('language' in d)) gaps.recorded = true;
  digestOr(
    'reason_text',
    d.reasonDigest,
    typeof d.withReason === 'boolean' ? d.withReason : undefined,
  );
  if ('appearsAtDigest' in d) digestOr('appears_at', d.appearsAtDigest, undefined);
  for (const e of events) {
    if (e.seq <= recorded.seq) continue;
    if (e.type === 'objection.withdrawn') {
      value('status', 'withdrawn');
      value('ended_at', e.at);
    } else if (e.type === 'objection.decided') {
      value('review', e.data.outcome);
      value('decided_at', e.at);
      value('decided_by', e.data.reviewer);
      if (e.data.outcome === 'overridden') {
        value('status', 'overridden');
        value('ended_at', e.at);
      }
      if (!('reasonDigest' in e.data)) gaps.reasons = true;
      digestOr('decision_reason', e.data.reasonDigest, true);
    } else if (e.type === 'objection.extended') {
      value('due_at', e.data.dueAt);
      if (!('reasonDigest' in e.data)) gaps.reasons = true;
      digestOr('extension_reason', e.data.reasonDigest, true);
    }
  }
  return { columns, gaps };
}

/** Every column of `o` that disagrees with the log, described for the operator. */
export function columnMismatches(o: Objection, columns: Map<Column, Expected>): string[] {
  const out: string[] = [];
  for (const column of COLUMNS) {
    const exp = columns.get(column);
    if (!exp) continue;
    const got = actual(o, column);
    if ('value' in exp) {
      if (got !== exp.value) {
        out.push(`${column} is ${show(got)} but the log says ${show(exp.value)}`);
      }
    } else if ('digest' in exp) {
      const digest = got === null ? null : auditDigest(exp.secret, column, got);
      if (digest !== exp.digest) out.push(`${column} differs from what the log recorded`);
    } else if ((got !== null) !== exp.present) {
      out.push(
        `${column} is ${got === null ? 'empty' : 'set'} but the log says it is ${exp.present ? 'set' : 'empty'}`,
      );
    }
  }
  return out;
}

function show(v: string | readonly string[] | null): string {
  return v === null ? 'empty' : JSON.stringify(v);
}

export interface RegistryLogComparison {
  mismatches: string[];
  /** What could not be compared, and why (objections recorded before the log carried it). */
  notes: string[];
}

/** At most this many mismatches are listed (a wholesale edit would list every row). */
const MAX_MISMATCHES = 100;
/** Re-reads of an objection that changed while it was being checked. */
const RECHECKS = 3;

/**
 * Compares every objection row with the log's events through `throughSeq` (the chain head the
 * chain check verified). Both are streamed in objection id order, so memory stays flat however
 * large the registry. A row that disagrees is read again with its events (a change may have
 * committed meanwhile: the row and its event commit together), and reported only if it still
 * disagrees.
 */
export async function compareRegistryWithLog(
  store: RegistryStore,
  throughSeq: number,
  secret: string,
): Promise<RegistryLogComparison> {
  const suspects = new Set<string>();
  let legacyRecorded = 0;
  let legacyReasons = 0;
  const full = () => suspects.size >= MAX_MISMATCHES;
  const rows = store.readObjections()[Symbol.asyncIterator]();
  const nextRow = async () => (await rows.next()).value as Objection | undefined;
  let row = await nextRow();
  // One objection's events against its row; rows passed on the way have no event at all.
  const take = async (id: string, events: AuditEvent[]) => {
    while (row && row.id < id) {
      suspects.add(row.id);
      row = await nextRow();
    }
    const mine = row?.id === id ? row : undefined;
    if (mine) row = await nextRow();
    const expected = expectedFromLog(events, secret);
    if (expected?.gaps.recorded) legacyRecorded++;
    if (expected?.gaps.reasons) legacyReasons++;
    if (!expected && !mine) return;
    if (!expected || !mine || columnMismatches(mine, expected.columns).length > 0) suspects.add(id);
  };
  try {
    let group: AuditEvent[] = [];
    for await (const e of store.readObjectionEvents(throughSeq)) {
      if (full()) break;
      if (group.length > 0 && group[0]!.objectionId !== e.objectionId) {
        await take(group[0]!.objectionId!, group);
        group = [];
      }
      group.push(e);
    }
    if (group.length > 0 && !full()) await take(group[0]!.objectionId!, group);
    // Rows after the last objection the log knows.
    while (row && !full()) {
      suspects.add(row.id);
      row = await nextRow();
    }
  } finally {
    await rows.return?.();
  }

  const mismatches = await recheck(store, [...suspects].slice(0, MAX_MISMATCHES), secret);
  const notes: string[] = [];
  if (legacyRecorded > 0) {
    notes.push(
      `${legacyRecorded} objection(s) were recorded before the log carried language, reason_text and appears_at digests: for them language and appears_at are not compared, and reason_text only for being set`,
    );
  }
  if (legacyReasons > 0) {
    notes.push(
      `${legacyReasons} objection(s) have a decision or extension from before the log carried its reason's digest: that reason is compared only for being set`,
    );
  }
  return { mismatches, notes };
}

/** Reads each suspect again, row and events together, and describes what still disagrees. */
async function recheck(store: RegistryStore, ids: string[], secret: string): Promise<string[]> {
  const found = new Map<string, string[]>();
  let pending = ids;
  for (let round = 0; round < RECHECKS && pending.length > 0; round++) {
    const before = await store.eventsOfObjections(pending);
    const rows = new Map<string, Objection | undefined>();
    for (const id of pending) rows.set(id, await store.getObjection(id));
    const after = await store.eventsOfObjections(pending);
    const byId = groupById(after);
    const changed = new Set<string>();
    const counts = groupById(before);
    for (const id of pending) {
      if ((counts.get(id)?.length ?? 0) !== (byId.get(id)?.length ?? 0)) changed.add(id);
    }
    for (const id of pending) {
      if (changed.has(id) && round < RECHECKS - 1) continue;
      found.set(id, describe(id, rows.get(id), byId.get(id) ?? [], secret));
    }
    pending = pending.filter((id) => changed.has(id) && !found.has(id));
  }
  return ids.flatMap((id) => found.get(id) ?? []);
}

function describe(
  id: string,
  row: Objection | undefined,
  events: AuditEvent[],
  secret: string,
): string[] {
  const expected = expectedFromLog(events, secret);
  if (!expected && !row) return [];
  if (!expected) return [`objection ${id} has no "objection.recorded" event`];
  if (!row) return [`objection ${id} is in the log but missing from the objections table`];
  return columnMismatches(row, expected.columns).map((m) => `objection ${id}: ${m}`);
}

function groupById(events: readonly AuditEvent[]): Map<string, AuditEvent[]> {
  const out = new Map<string, AuditEvent[]>();
  for (const e of events) {
    const list = out.get(e.objectionId!) ?? [];
    list.push(e);
    out.set(e.objectionId!, list);
  }
  return out;
}
