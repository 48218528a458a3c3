import type { Clock } from '../lib/clock.ts';
import { uuidv7 } from '../lib/ids.ts';
import type { SnapshotAnchor } from '../registry-files/snapshot-anchor.ts';
import type { RegistryStore } from '../store/registry-store.ts';
import type { ObjectorAsOf, SnapshotRecord } from './types.ts';

/**
 * Records the snapshot the writer has just hashed (its row and `snapshot.created` event) and
 * answers the transparency log's signed checkpoint at that event, for the file's header. A
 * writer that never calls it has the snapshot recorded once it returns, without an anchor.
 */
export type RecordAndAnchor = (written: {
  count: number;
  sha256: string;
}) => Promise<SnapshotAnchor | undefined>;

/** Writes the objector set somewhere (a snapshot file, a filter file) and says what it wrote. */
export type SnapshotWriter = (
  meta: { id: string; purpose: string; asOf: string },
  keys: AsyncIterable<string>,
  anchor: RecordAndAnchor,
) => Promise<{ count: number; sha256: string }>;

/** The same with each objector's effective time (the Parquet snapshot). */
export type TimedSnapshotWriter = (
  meta: { id: string; purpose: string; asOf: string },
  rows: AsyncIterable<ObjectorAsOf>,
) => Promise<{ count: number; sha256: string }>;

/** What taking a snapshot needs: the store, the clock, and the log's checkpoint at an event. */
export interface SnapshotDeps {
  store: RegistryStore;
  clock: Clock;
  /**
   * The log's signed checkpoint up to snapshot `id`'s `snapshot.created` event (the gate's
   * `snapshotAnchor`); without it the files carry no anchor.
   */
  anchorOf?: (id: string) => Promise<SnapshotAnchor | undefined>;
}

/**
 * Freezes the objector set "as of now": every subject whose objection for `purpose` is effective
 * at that instant. The instant is taken inside a write transaction, i.e. after every objection
 * stamped earlier has committed, so nothing acknowledged before the snapshot is missing from it.
 * The snapshot (id, count, content hash) is recorded in the registry and the audit log, so a
 * dataset manifest that names it can be checked later.
 */
export async function takeRegistrySnapshot(
  deps: SnapshotDeps,
  purpose: string,
  write: SnapshotWriter,
): Promise<SnapshotRecord> {
  return recordSnapshot(deps, purpose, (meta, anchor) =>
    write(meta, deps.store.objectorsAsOf(purpose, meta.asOf), anchor),
  );
}

/** {@link takeRegistrySnapshot}, the writer receiving each objector with its effective time. */
export async function takeTimedRegistrySnapshot(
  deps: SnapshotDeps,
  purpose: string,
  write: TimedSnapshotWriter,
): Promise<SnapshotRecord> {
  return recordSnapshot(deps, purpose, (meta) =>
    write(meta, deps.store.objectorsAsOfWithTimes(purpose, meta.asOf)),
  );
}

async function recordSnapshot(
  deps: SnapshotDeps,
  purpose: string,
  write: (
    meta: { id: string; purpose: string; asOf: string },
    anchor: RecordAndAnchor,
  ) => Promise<{ count: number; sha256: string }>,
): Promise<SnapshotRecord> {
  const { store, clock } = deps;
  const asOf = await store.transaction(async () => clock());
  const id = `snap_${uuidv7(Date.parse(asOf))}`;
  let record: SnapshotRecord | undefined;
  const recordIt = async (written: { count: number; sha256: string }) => {
    if (record) throw new Error(`snapshot ${id} is already recorded`);
    record = { id, purpose, asOf, ...written, createdAt: clock() };
    const r = record;
    await store.transaction(async (tx) => {
      await tx.insertSnapshot(r);
      await tx.appendEvents([
        {
          at: r.createdAt,
          type: 'snapshot.created',
          objectionId: null,
          subjectKey: null,
          data: { id, purpose, asOf, count: r.count, sha256: r.sha256 },
        },
      ]);
    });
  };
  // Called by the writer before it puts its file in place: the file then carries the log's
  // checkpoint at the event just appended (the event names the file's hash, so the checkpoint
  // can only exist once the keys are hashed).
  const anchor: RecordAndAnchor = async (written) => {
    await recordIt(written);
    if (!deps.anchorOf) return undefined;
    const a = await deps.anchorOf(id);
    if (!a) throw new Error(`snapshot ${id}: the transparency log holds no event for it`);
    return a;
  };
  const written = await write({ id, purpose, asOf }, anchor);
  if (!record) await recordIt(written);
  else if (record.count !== written.count || record.sha256 !== written.sha256)
    throw new Error(`snapshot ${id}: the writer recorded one hash and returned another`);
  return record!;
}
