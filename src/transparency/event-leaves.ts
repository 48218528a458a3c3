import { eventBody } from '../domain/audit-chain.ts';
import type { AuditEvent } from '../domain/types.ts';
import { leafHash } from './merkle.ts';

/**
 * Every audit event is one leaf of the transparency log, at index seq − 1; its leaf data is
 * the event's canonical JSON (`eventBody`), the same bytes the hash chain covers.
 */
export function eventLeafData(e: AuditEvent): Buffer {
  return Buffer.from(eventBody(e.seq, e), 'utf8');
}

export function eventLeafHash(e: AuditEvent): Buffer {
  return leafHash(eventLeafData(e));
}
