import { leafHash, nodeHash, rootHash } from '../../transparency/merkle.ts';
import type { AuditEvent } from '../types.ts';

/**
 * Batched commitments to notice exposures (docs/transparency.md "What is logged"). Each call
 * that records exposures is one batch; its new rows are committed by one `notice.exposures`
 * audit event holding their count and the RFC 9162 Merkle root of their leaves. The event sits
 * in the hash chain and the transparency log, so a row edited, added to a batch or deleted
 * afterwards no longer gives the committed root: proof of who was shown which version, when,
 * that the operator cannot quietly rewrite. One event per batch, not per person: the log stays
 * small and names nobody.
 */

/** What a commitment covers of one exposure: subject key, version, channel, shown at, language. */
export type ExposureLeaf = readonly [string, string, string, string, string];

export const EXPOSURE_COMMITMENT_EVENT = 'notice.exposures';

/** The event's data. */
export interface ExposureCommitment {
  batch: string;
  count: number;
  /** Hex RFC 9162 root over the leaves' canonical JSON, sorted bytewise. */
  root: string;
  source: string;
  /**
   * How many rows had no batch when this was committed: rows from before commitments existed,
   * a number that can only stay the same afterwards (nothing writes a row without a batch).
   */
  unbatched: number;
}

/** The root over a batch's leaves, in any order (sorted here, so the store's order never matters). */
export function exposureBatchRoot(leaves: readonly ExposureLeaf[]): string {
  const hashes = leaves
    .map((l) => Buffer.from(JSON.stringify(l), 'utf8'))
    .sort(Buffer.compare)
    .map((b) => leafHash(b));
  const memo = new Map<string, Uint8Array>();
  const node = (level: number, index: number): Uint8Array => {
    if (level === 0) return hashes[index]!;
    const key = `${level}:${index}`;
    let h = memo.get(key);
    if (!h) {
      h = nodeHash(node(level - 1, 2 * index), node(level - 1, 2 * index + 1));
      memo.set(key, h);
    }
    return h;
  };
  return Buffer.from(rootHash(node, hashes.length)).toString('hex');
}

/** What the exposure table holds, for checking it against the commitments. */
export interface ExposureBatches {
  /** The leaves of the rows recorded with `batch`. */
  exposureBatchLeaves(batch: string): Promise<ExposureLeaf[]>;
  /** Every batch the table holds, with its row count and the source that recorded it. */
  exposureBatchCounts(): Promise<{ batch: string; count: number; source: string }[]>;
  /** How many rows have no batch (rows recorded before commitments existed). */
  unbatchedExposures(): Promise<number>;
}

/** The batches of `source` that the table holds and no event commits. */
export async function uncommittedBatches(
  events: AsyncIterable<AuditEvent>,
  table: ExposureBatches,
  source: string,
): Promise<string[]> {
  const committed = new Set<string>();
  for await (const e of events)
    if (e.type === EXPOSURE_COMMITMENT_EVENT)
      committed.add((e.data as unknown as ExposureCommitment).batch);
  return (await table.exposureBatchCounts())
    .filter((b) => b.source === source && !committed.has(b.batch))
    .map((b) => b.batch);
}

/**
 * Checks the exposure table against every `notice.exposures` event of the log: each committed
 * batch must still give its count and root, every batch in the table must be committed, and no
 * row recorded since the first commitment may lack a batch. Returns the problems found, each
 * naming the batch (empty: all hold).
 */
export async function verifyExposureCommitments(
  events: AsyncIterable<AuditEvent>,
  table: ExposureBatches,
): Promise<string[]> {
  const problems: string[] = [];
  const committed = new Set<string>();
  let last: { seq: number; unbatched: number } | undefined;
  for await (const e of events) {
    if (e.type !== EXPOSURE_COMMITMENT_EVENT) continue;
    const c = e.data as unknown as ExposureCommitment;
    last = { seq: e.seq, unbatched: c.unbatched };
    committed.add(c.batch);
    const leaves = await table.exposureBatchLeaves(c.batch);
    const root = exposureBatchRoot(leaves);
    if (leaves.length !== c.count || root !== c.root)
      problems.push(
        `exposure batch ${c.batch} (event #${e.seq}): the table's ${leaves.length} rows give root ${root.slice(0, 16)}…, the log committed ${c.count} rows with root ${c.root.slice(0, 16)}…: rows were edited, added or deleted after they were recorded`,
      );
  }
  for (const { batch, count } of await table.exposureBatchCounts())
    if (!committed.has(batch))
      problems.push(
        `exposure batch ${batch}: ${count} rows that no event of the log commits (added behind Veto's back, or recorded by a process that stopped before committing them)`,
      );
  if (last) {
    const loose = await table.unbatchedExposures();
    if (loose !== last.unbatched)
      problems.push(
        `${loose} exposures belong to no batch, ${last.unbatched} did at the last commitment (event #${last.seq}): rows without a batch were ${loose > last.unbatched ? 'added' : 'deleted'} behind Veto's back`,
      );
  }
  return problems;
}
