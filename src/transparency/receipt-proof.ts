import { z } from 'zod';
import { loggedEventFields, loggedEventProof, openLoggedEvent } from './logged-event-proof.ts';

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
  ...loggedEventFields,
});
export type ReceiptProof = z.infer<typeof receiptProofSchema>;

export function receiptProof(args: Parameters<typeof loggedEventProof>[0]): ReceiptProof {
  return {
    format: 'veto-receipt-proof/v1',
    objectionId: args.event.objectionId ?? '',
    ...loggedEventProof(args),
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
  const opened = openLoggedEvent(
    p,
    logKeys,
    {
      ownKey:
        'checked against the key written in the receipt: compare it with the one the registry publishes (GET /v1/transparency/keys)',
      checkpoint: (why) => `checkpoint: ${why}`,
      notJson: 'leaf: not the JSON of an audit event',
      notInTree: (leaf, size) => `inclusion proof: leaf ${leaf} is not in the tree of size ${size}`,
    },
    // The leaf is [seq, at, type, objectionId, subjectKey, data] (src/domain/audit-chain.ts).
    (event) =>
      Array.isArray(event) &&
      event[0] === p.leafIndex + 1 &&
      event[2] === 'objection.recorded' &&
      event[3] === p.objectionId
        ? undefined
        : 'leaf: not the recording of this objection at this index',
  );
  if (!opened.ok) return opened;
  const { lines, event, checkpoint: cp } = opened;
  const data = (event[5] ?? {}) as { reference?: unknown };
  const reference = typeof data.reference === 'string' ? data.reference : undefined;
  lines.push(
    `objection ${p.objectionId}${reference ? ` (${reference})` : ''} recorded ${event[1]}: leaf ${p.leafIndex} is in the log ${cp.origin} of size ${cp.size}, signed by ${cp.signedBy.name}`,
  );
  return { ok: true, lines, size: cp.size, ...(reference ? { reference } : {}) };
}
