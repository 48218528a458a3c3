import { z } from 'zod';
import type { AuditEvent } from '../domain/types.ts';
import { loggedEventFields, loggedEventProof, openLoggedEvent } from './logged-event-proof.ts';

/**
 * A dataset's `dataset.sealed` event with its proof of inclusion in the transparency log
 * (docs/transparency.md "The commitments in the log"): the event as the log holds it (its
 * canonical JSON is the leaf data), its leaf index, a signed checkpoint and the RFC 9162
 * inclusion proof. The event names the dataset's exclusion commitment (root and subject count)
 * and its terms commitment, so a person holding a proof about a dataset can check, offline, that
 * the root it was made against is the one the operator logged when the dataset was sealed: the
 * same root the log shows everyone.
 */
export const SEALED_EVENT_FORMAT = 'veto-sealed-event/v1';

export const sealedEventProofSchema = z
  .object({
    format: z.literal(SEALED_EVENT_FORMAT),
    datasetId: z.string().min(1),
    ...loggedEventFields,
    leaf: z.string().describe("The `dataset.sealed` event's canonical JSON: the leaf data"),
  })
  .describe("A dataset's `dataset.sealed` audit event and its inclusion in the signed log");
export type SealedEventProof = z.infer<typeof sealedEventProofSchema>;

export function sealedEventProof(args: {
  datasetId: string;
  event: AuditEvent;
  checkpoint: string;
  inclusion: readonly string[];
  logKey: string;
}): SealedEventProof {
  return { format: SEALED_EVENT_FORMAT, datasetId: args.datasetId, ...loggedEventProof(args) };
}

/** A commitment as the `dataset.sealed` event names it. */
export interface LoggedCommitment {
  root: string;
  count: number;
  keyId?: string;
}

export interface SealedEventCheck {
  ok: boolean;
  /** What was checked, or why it failed, in words. */
  lines: string[];
  /** Set when `ok`: the event's data and where it sits. */
  event?: { seq: number; at: string; data: Record<string, unknown> };
  size?: number;
}

function commitmentOf(value: unknown): LoggedCommitment | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.root !== 'string' || !Number.isSafeInteger(v.count)) return undefined;
  return {
    root: v.root,
    count: v.count as number,
    ...(typeof v.keyId === 'string' ? { keyId: v.keyId } : {}),
  };
}

/** The exclusion commitment a sealed event names, or undefined when it names none. */
export function loggedExclusion(data: Record<string, unknown>): LoggedCommitment | undefined {
  return commitmentOf(data.exclusion);
}

/** The terms commitment a sealed event names, or undefined when it names none. */
export function loggedTerms(data: Record<string, unknown>): LoggedCommitment | undefined {
  return commitmentOf(data.terms);
}

/**
 * Verifies a sealed-event proof against `logKeys` (the log's published keys; with none, the key
 * written in the file is used and the result says so): the checkpoint's signature, that the leaf
 * is the `dataset.sealed` event of `datasetId` at its index, and its inclusion in the
 * checkpoint's tree.
 */
export function verifySealedEventProof(
  input: unknown,
  logKeys: readonly string[],
  datasetId?: string,
): SealedEventCheck {
  const parsed = sealedEventProofSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      ok: false,
      lines: [`not a sealed-event proof: ${issue.path.join('.') || '(top)'}: ${issue.message}`],
    };
  }
  const p = parsed.data;
  let data: Record<string, unknown> = {};
  const opened = openLoggedEvent(
    p,
    logKeys,
    {
      ownKey:
        'sealed event: checked against the log key written in it: compare it with the one the registry publishes (GET /v1/transparency/keys)',
      checkpoint: (why) => `sealed event: checkpoint: ${why}`,
      notJson: 'sealed event: the leaf is not the JSON of an event',
      notInTree: (leaf, size) =>
        `sealed event: leaf ${leaf} is not in the log's tree of size ${size}`,
    },
    // The leaf is [seq, at, type, objectionId, subjectKey, data] (src/domain/audit-chain.ts).
    (event) => {
      const d = Array.isArray(event) ? event[5] : undefined;
      if (
        !Array.isArray(event) ||
        event[0] !== p.leafIndex + 1 ||
        event[2] !== 'dataset.sealed' ||
        !d ||
        typeof d !== 'object' ||
        (d as Record<string, unknown>).datasetId !== p.datasetId
      )
        return `sealed event: the leaf is not ${p.datasetId}'s dataset.sealed event`;
      if (datasetId !== undefined && p.datasetId !== datasetId)
        return `sealed event: it is ${p.datasetId}'s, not ${datasetId}'s`;
      data = d as Record<string, unknown>;
      return undefined;
    },
  );
  if (!opened.ok) return opened;
  const { lines, event, checkpoint: cp } = opened;
  lines.push(
    `sealed event of ${p.datasetId} (${String(event[1])}): leaf ${p.leafIndex} is in the log ${cp.origin} of size ${cp.size}, signed by ${cp.signedBy.name}`,
  );
  return {
    ok: true,
    lines,
    event: { seq: p.leafIndex + 1, at: String(event[1]), data },
    size: cp.size,
  };
}
