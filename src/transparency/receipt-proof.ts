import { z } from 'zod';
import { eventBody } from '../domain/audit-chain.ts';
import type { AuditEvent } from '../domain/types.ts';
import { openCheckpoint } from './checkpoint.ts';
import { leafHash, verifyInclusion } from './merkle.ts';
import { NoteError, parseVerifier, type Verifier } from './signed-note.ts';

/**
 * A receipt's proof (docs/transparency.md): the objection's `objection.recorded` event as the
 * log holds it (its canonical JSON is the leaf data), its leaf index, a signed checkpoint and the
 * inclusion proof of the leaf in that checkpoint's tree. With the log's public key, anyone can
 * check it offline: SHA-256(0x00 || leaf) climbs the proof to the checkpoint's root (RFC 9162
 * §2.1.3.2). Keeping it also lets the person prove later that the log once held their objection.
 */
export const receiptProofSchema = z.object({
  format: z.literal('veto-receipt-proof/v1'),
  objectionId: z.string(),
  leafIndex: z.number().int().nonnegative().describe('The event seq − 1'),
  leaf: z.string().describe("The event's canonical JSON: the leaf data"),
  checkpoint: z.string().describe('A C2SP signed checkpoint of the log that includes it'),
  inclusion: z.array(z.string()).describe('RFC 9162 inclusion proof, base64 hashes'),
  logKey: z.string().describe("The log's verifier key (compare with GET /v1/transparency/keys)"),
});
export type ReceiptProof = z.infer<typeof receiptProofSchema>;

export function receiptProof(args: {
  event: AuditEvent;
  checkpoint: string;
  inclusion: readonly string[];
  logKey: string;
}): ReceiptProof {
  const { event } = args;
  return {
    format: 'veto-receipt-proof/v1',
    objectionId: event.objectionId ?? '',
    leafIndex: event.seq - 1,
    leaf: eventBody(event.seq, event),
    checkpoint: args.checkpoint,
    inclusion: [...args.inclusion],
    logKey: args.logKey,
  };
}

export interface ReceiptCheck {
  ok: boolean;
  /** What was checked, or why it failed, in words for the person. */
  lines: string[];
  size?: number;
  reference?: string;
}

/**
 * Verifies a receipt proof against `logKeys` (the log's published keys; the key inside the
 * receipt is only used when the caller passes none, and the result says so).
 */
export function verifyReceiptProof(input: unknown, logKeys: readonly string[]): ReceiptCheck {
  const parsed = receiptProofSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      ok: false,
      lines: [`not a receipt proof: ${issue.path.join('.') || '(top)'}: ${issue.message}`],
    };
  }
  const p = parsed.data;
  const lines: string[] = [];
  let keys: Verifier[];
  try {
    keys = (logKeys.length ? logKeys : [p.logKey]).map(parseVerifier);
  } catch (err) {
    return { ok: false, lines: [`log key: ${(err as Error).message}`] };
  }
  if (logKeys.length === 0) {
    lines.push(
      'checked against the key written in the receipt: compare it with the one the registry publishes (GET /v1/transparency/keys)',
    );
  }
  let cp: ReturnType<typeof openCheckpoint>;
  try {
    cp = openCheckpoint(p.checkpoint, keys);
  } catch (err) {
    if (!(err instanceof NoteError)) throw err;
    return { ok: false, lines: [...lines, `checkpoint: ${err.message}`] };
  }
  let event: unknown;
  try {
    event = JSON.parse(p.leaf);
  } catch {
    return { ok: false, lines: [...lines, 'leaf: not the JSON of an audit event'] };
  }
  // The leaf is [seq, at, type, objectionId, subjectKey, data] (src/domain/audit-chain.ts).
  if (
    !Array.isArray(event) ||
    event[0] !== p.leafIndex + 1 ||
    event[2] !== 'objection.recorded' ||
    event[3] !== p.objectionId
  ) {
    return {
      ok: false,
      lines: [...lines, 'leaf: not the recording of this objection at this index'],
    };
  }
  const proof = p.inclusion.map((h) => Buffer.from(h, 'base64'));
  if (
    !verifyInclusion(p.leafIndex, cp.size, leafHash(Buffer.from(p.leaf, 'utf8')), proof, cp.root)
  ) {
    return {
      ok: false,
      lines: [
        ...lines,
        `inclusion proof: leaf ${p.leafIndex} is not in the tree of size ${cp.size}`,
      ],
    };
  }
  const data = (event[5] ?? {}) as { reference?: unknown };
  const reference = typeof data.reference === 'string' ? data.reference : undefined;
  lines.push(
    `objection ${p.objectionId}${reference ? ` (${reference})` : ''} recorded ${event[1]}: leaf ${p.leafIndex} is in the log ${cp.origin} of size ${cp.size}, signed by ${cp.signedBy.name}`,
  );
  return { ok: true, lines, size: cp.size, ...(reference ? { reference } : {}) };
}
