import type { AuditEvent } from '../domain/types.ts';
import { CompactRange } from './compact-range.ts';
import { eventLeafHash } from './event-leaves.ts';

/** A checkpoint someone kept (a file, a witness's cosignature) that the log must still contain. */
export interface KeptCheckpoint {
  /** Where it came from, as the report names it: a file name, "cosigned by W". */
  source: string;
  size: number;
  root: Uint8Array;
}

export interface LogAudit {
  /** How many events the log holds now, and their tree's root, computed from the events. */
  size: number;
  root: Uint8Array;
  /** One line per kept checkpoint the log no longer contains (truncated or rewritten). */
  problems: string[];
  /** One line per kept checkpoint the log still contains. */
  confirmed: string[];
}

/**
 * Recomputes the transparency log from the audit events themselves, trusting no stored tile or
 * head, and checks that each kept checkpoint is a prefix of it: the first `size` events must
 * hash to its root. Whoever can write the database can re-hash the chain and rebuild the tiles,
 * but cannot make the rewritten events hash to a root signed or cosigned before: a deletion, an
 * edit, a swap or a re-hash changes the root of every prefix that covers it, and a truncation
 * leaves fewer events than a checkpoint counted.
 */
export async function auditLogAgainst(
  events: AsyncIterable<AuditEvent>,
  kept: readonly KeptCheckpoint[],
): Promise<LogAudit> {
  const wanted = new Set(kept.map((k) => k.size));
  const roots = new Map<number, Uint8Array>();
  const range = new CompactRange();
  if (wanted.has(0)) roots.set(0, range.root());
  for await (const e of events) {
    range.push(eventLeafHash(e));
    if (wanted.has(range.size)) roots.set(range.size, range.root());
  }
  const problems: string[] = [];
  const confirmed: string[] = [];
  for (const k of kept) {
    const root = roots.get(k.size);
    if (root === undefined) {
      problems.push(
        `${k.source}: TRUNCATED: the checkpoint counts ${k.size} events, the log now holds ${range.size}`,
      );
    } else if (!Buffer.from(root).equals(Buffer.from(k.root))) {
      problems.push(
        `${k.source}: REWRITTEN: the log's first ${k.size} events no longer hash to the checkpoint's root`,
      );
    } else {
      confirmed.push(`${k.source}: the log still holds its ${k.size} events unchanged`);
    }
  }
  return { size: range.size, root: range.root(), problems, confirmed };
}
