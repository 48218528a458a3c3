import { z } from 'zod';
import { eventBody } from '../domain/audit-chain.ts';
import type { AuditEvent } from '../domain/types.ts';
import { type OpenedCheckpoint, openCheckpoint } from './checkpoint.ts';
import { leafHash, verifyInclusion } from './merkle.ts';
import { NoteError, parseVerifier, type Verifier } from './signed-note.ts';

/**
 * One audit event with its proof of inclusion in the transparency log, as receipts and sealed
 * datasets hand it out: the event as the log holds it (its canonical JSON is the leaf data), its
 * leaf index, a signed checkpoint and the RFC 9162 inclusion proof. Checked offline with the
 * log's public key: SHA-256(0x00 || leaf) climbs the proof to the checkpoint's root (§2.1.3.2).
 */
export const loggedEventFields = {
  leafIndex: z.number().int().nonnegative().describe('The event seq − 1'),
  leaf: z.string().describe("The event's canonical JSON: the leaf data"),
  checkpoint: z.string().describe('A C2SP signed checkpoint of the log that includes it'),
  inclusion: z.array(z.string()).describe('RFC 9162 inclusion proof, base64 hashes'),
  logKey: z.string().describe("The log's verifier key (compare with GET /v1/transparency/keys)"),
};

export interface LoggedEventProof {
  leafIndex: number;
  leaf: string;
  checkpoint: string;
  inclusion: string[];
  logKey: string;
}

export function loggedEventProof(args: {
  event: AuditEvent;
  checkpoint: string;
  inclusion: readonly string[];
  logKey: string;
}): LoggedEventProof {
  return {
    leafIndex: args.event.seq - 1,
    leaf: eventBody(args.event.seq, args.event),
    checkpoint: args.checkpoint,
    inclusion: [...args.inclusion],
    logKey: args.logKey,
  };
}

/** How a kind of proof words its failures (each names what it is about). */
export interface LoggedEventWords {
  /** Said when no key was given and the one written in the proof was used. */
  ownKey: string;
  checkpoint: (why: string) => string;
  notJson: string;
  notInTree: (leafIndex: number, size: number) => string;
}

export type OpenedEvent =
  | {
      ok: true;
      lines: string[];
      /** The leaf: [seq, at, type, objectionId, subjectKey, data] (src/domain/audit-chain.ts). */
      event: unknown[];
      checkpoint: OpenedCheckpoint;
    }
  | { ok: false; lines: string[] };

/**
 * Checks one logged event's proof against `logKeys` (the log's published keys; the key written
 * in the proof only when the caller passes none, and the lines say so): the checkpoint's
 * signature, the leaf as the event `expected` accepts (it returns why not, or undefined), and
 * the leaf's inclusion in the checkpoint's tree.
 */
export function openLoggedEvent(
  p: LoggedEventProof,
  logKeys: readonly string[],
  words: LoggedEventWords,
  expected: (event: unknown) => string | undefined,
): OpenedEvent {
  const lines: string[] = [];
  let keys: Verifier[];
  try {
    keys = (logKeys.length ? logKeys : [p.logKey]).map(parseVerifier);
  } catch (err) {
    return { ok: false, lines: [`log key: ${(err as Error).message}`] };
  }
  if (logKeys.length === 0) lines.push(words.ownKey);
  let checkpoint: OpenedCheckpoint;
  try {
    checkpoint = openCheckpoint(p.checkpoint, keys);
  } catch (err) {
    if (!(err instanceof NoteError)) throw err;
    return { ok: false, lines: [...lines, words.checkpoint(err.message)] };
  }
  let event: unknown;
  try {
    event = JSON.parse(p.leaf);
  } catch {
    return { ok: false, lines: [...lines, words.notJson] };
  }
  const wrong = expected(event);
  if (wrong !== undefined) return { ok: false, lines: [...lines, wrong] };
  const proof = p.inclusion.map((h) => Buffer.from(h, 'base64'));
  const leaf = leafHash(Buffer.from(p.leaf, 'utf8'));
  if (!verifyInclusion(p.leafIndex, checkpoint.size, leaf, proof, checkpoint.root)) {
    return { ok: false, lines: [...lines, words.notInTree(p.leafIndex, checkpoint.size)] };
  }
  return { ok: true, lines, event: event as unknown[], checkpoint };
}
