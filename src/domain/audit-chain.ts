import { createHash } from 'node:crypto';
import type { AuditEvent, ChainHead, NewEvent } from './types.ts';

/** The hash the first event points back to. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth, so the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The canonical bytes of an event at its place in the log: what the chain links and what the
 * transparency log's leaf for it holds (leaf index = seq − 1), so anyone given an event and
 * its sequence number can recompute both.
 */
export function eventBody(seq: number, e: NewEvent): string {
  return canonicalJson([seq, e.at, e.type, e.objectionId, e.subjectKey, e.data]);
}

/** sha256(prevHash || canonical event): any edit, deletion or reordering breaks every later link. */
export function hashEvent(prevHash: string, seq: number, e: NewEvent): string {
  return createHash('sha256').update(prevHash).update('\n').update(eventBody(seq, e)).digest('hex');
}

/** Links new events after `head`, in order. Pure: stores call it inside their write transaction. */
export function chainEvents(head: ChainHead, events: readonly NewEvent[]): AuditEvent[] {
  let { seq, hash } = head;
  return events.map((e) => {
    seq += 1;
    const prevHash = hash;
    hash = hashEvent(prevHash, seq, e);
    return { ...e, seq, prevHash, hash };
  });
}

export type ChainProblem =
  | { kind: 'gap'; seq: number; expectedSeq: number }
  | { kind: 'broken-link'; seq: number }
  | { kind: 'hash-mismatch'; seq: number }
  | { kind: 'head-mismatch'; seq: number; detail: string };

/** One sentence for an operator: what the problem means for the log. */
export function describeChainProblem(p: ChainProblem): string {
  switch (p.kind) {
    case 'gap':
      return `event #${p.expectedSeq} is missing (found #${p.seq} next): deleted or reordered`;
    case 'broken-link':
      return `event #${p.seq} does not point to the event before it: inserted, deleted or reordered`;
    case 'hash-mismatch':
      return `event #${p.seq} was modified after it was written`;
    case 'head-mismatch':
      return `the log's end does not match the recorded head (${p.detail}): events were removed from the end`;
  }
}

export interface ChainVerification {
  ok: boolean;
  events: number;
  head: ChainHead;
  /** The first problem found; verification stops there because every later link depends on it. */
  problem: ChainProblem | null;
}

/**
 * Walks the log and reports the first place it breaks: an edited event (hash mismatch), a
 * deleted or inserted one (sequence gap or broken link), a reordering (broken link), or a
 * truncated tail (the stored head no longer matches the last event).
 */
export async function verifyChain(
  events: AsyncIterable<AuditEvent>,
  storedHead: ChainHead,
): Promise<ChainVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  for await (const e of events) {
    count += 1;
    if (e.seq !== expectedSeq) {
      return fail({ kind: 'gap', seq: e.seq, expectedSeq }, count, expectedSeq - 1, prevHash);
    }
    if (e.prevHash !== prevHash) {
      return fail({ kind: 'broken-link', seq: e.seq }, count, expectedSeq - 1, prevHash);
    }
    if (hashEvent(prevHash, e.seq, e) !== e.hash) {
      return fail({ kind: 'hash-mismatch', seq: e.seq }, count, expectedSeq - 1, prevHash);
    }
    prevHash = e.hash;
    expectedSeq += 1;
  }
  const head = { seq: expectedSeq - 1, hash: prevHash };
  if (storedHead.seq !== head.seq || storedHead.hash !== head.hash) {
    const detail = `log ends at #${head.seq}, head records #${storedHead.seq}`;
    return fail({ kind: 'head-mismatch', seq: head.seq, detail }, count, head.seq, prevHash);
  }
  return { ok: true, events: count, head, problem: null };
}

function fail(problem: ChainProblem, events: number, seq: number, hash: string): ChainVerification {
  return { ok: false, events, head: { seq, hash }, problem };
}
