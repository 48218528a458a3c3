import type { RemovalRecord, RemovalStore } from '../../store/removal-store.ts';
import { AppError } from '../errors.ts';

/**
 * Clearance at training time: a training job about to start on a dataset version asks what it
 * must still remove. The answer is drawn from the registry as it is now, not from what the
 * removal planner has got round to: every item of the version whose subject has an objection
 * effective now (`objectedItemsOf`), plus every item of a removal recorded against the version
 * (an objection withdrawn since does not put removed content back). Item ids only, never who
 * objected.
 *
 * `appliedThrough` is the caller's word for what it has already removed: the id of the last
 * recorded removal it applied (removals are listed oldest first); that one and those before it
 * count as applied. Items of objections the planner has not recorded yet are never "applied":
 * the job waits for them or removes them itself and asks again. Cleared means nothing is left.
 */
export interface Clearance {
  datasetId: string;
  cleared: boolean;
  /** Why, in one sentence. */
  reason: string;
  /** Item ids still to remove before training, sorted. */
  itemIds: string[];
  /** Removals recorded against the version and not applied (per `appliedThrough`), oldest first. */
  removals: { id: string; itemIds: string[]; recordedAt: string }[];
  /** Items of effective objections not yet in a recorded removal (the planner runs every second). */
  unplannedItems: number;
  checkedAt: string;
}

export async function datasetClearance(
  store: Pick<RemovalStore, 'datasetExists' | 'removalsOf' | 'objectedItemsOf'>,
  datasetId: string,
  options: { appliedThrough?: string | undefined; now: string },
): Promise<Clearance> {
  if (!(await store.datasetExists(datasetId)))
    throw new AppError('not-found', `no recorded dataset ${datasetId}`, {
      issues: [{ field: 'datasetId', reason: 'no such dataset (sealed and recorded)' }],
    });
  const [recorded, objected] = await Promise.all([
    store.removalsOf(datasetId),
    store.objectedItemsOf(datasetId),
  ]);
  let pending: RemovalRecord[] = recorded;
  if (options.appliedThrough !== undefined) {
    const at = recorded.findIndex((r) => r.id === options.appliedThrough);
    if (at < 0)
      throw new AppError('validation', `no removal ${options.appliedThrough} on ${datasetId}`, {
        issues: [
          {
            field: 'appliedThrough',
            reason: `not a removal recorded against ${datasetId} (see its removals list)`,
          },
        ],
      });
    pending = recorded.slice(at + 1);
  }
  const applied = new Set(
    recorded.slice(0, recorded.length - pending.length).flatMap((r) => r.itemIds),
  );
  const planned = new Set(recorded.flatMap((r) => r.itemIds));
  const unplanned = objected.filter((id) => !planned.has(id));
  const items = new Set<string>(unplanned);
  for (const r of pending) for (const id of r.itemIds) if (!applied.has(id)) items.add(id);
  const itemIds = [...items].sort();
  const cleared = itemIds.length === 0;
  let reason: string;
  if (cleared) {
    reason =
      recorded.length === 0
        ? 'cleared: nobody whose content is in this version has objected since it was built'
        : `cleared: every removal recorded against this version was applied (through ${options.appliedThrough})`;
  } else {
    const parts: string[] = [];
    if (pending.length > 0)
      parts.push(
        `${pending.length} recorded removal${pending.length === 1 ? '' : 's'} not applied`,
      );
    if (unplanned.length > 0)
      parts.push(
        `${unplanned.length} item${unplanned.length === 1 ? '' : 's'} of objections not yet planned`,
      );
    reason = `not cleared: ${itemIds.length} item${itemIds.length === 1 ? '' : 's'} of people who objected must be removed before training (${parts.join('; ')})`;
  }
  return {
    datasetId,
    cleared,
    reason,
    itemIds,
    removals: pending.map((r) => ({ id: r.id, itemIds: r.itemIds, recordedAt: r.recordedAt })),
    unplannedItems: unplanned.length,
    checkedAt: options.now,
  };
}
