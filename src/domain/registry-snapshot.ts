import type { Clock } from '../lib/clock.ts';
import { uuidv7 } from '../lib/ids.ts';
import type { RegistryStore } from '../store/registry-store.ts';
import type { ObjectorAsOf, SnapshotRecord } from './types.ts';

/** Writes the objector set somewhere (a snapshot file, a filter file) and says what it wrote. */
export type SnapshotWriter = (
  meta: { id: string; purpose: string; asOf: string },
  keys: AsyncIterable<string>,
) => Promise<{ count: number; sha256: string }>;

/** The same with each objector's effective time (the Parquet snapshot). */
export type TimedSnapshotWriter = (
  meta: { id: string; purpose: string; asOf: string },
  rows: AsyncIterable<ObjectorAsOf>,
) => Promise<{ count: number; sha256: string }>;

/**
 * Freezes the objector set "as of now": every subject whose objection for `purpose` is effective
 * at that instant. The instant is taken inside a write transaction, i.e. after every objection
 * stamped earlier has committed, so nothing acknowledged before the snapshot is missing from it.
 * The snapshot (id, count, content hash) is recorded in the registry and the audit log, so a
 * dataset manifest that names it can be checked later.
 */
export async function takeRegistrySnapshot(
  deps: { store: RegistryStore; clock: Clock },
  purpose: string,
  write: SnapshotWriter,
): Promise<SnapshotRecord> {
  return recordSnapshot(deps, purpose, (meta) =>
    write(meta, deps.store.objectorsAsOf(purpose, meta.asOf)),
  );
}

/** {@link takeRegistrySnapshot}, the writer receiving each objector with its effective time. */
export async function takeTimedRegistrySnapshot(
  deps: { store: RegistryStore; clock: Clock },
  purpose: string,
  write: TimedSnapshotWriter,
): Promise<SnapshotRecord> {
  return recordSnapshot(deps, purpose, (meta) =>
    write(meta, deps.store.objectorsAsOfWithTimes(purpose, meta.asOf)),
  );
}

async function recordSnapshot(
  deps: { store: RegistryStore; clock: Clock },
  purpose: string,
  write: (meta: {
    id: string;
    purpose: string;
    asOf: string;
  }) => Promise<{ count: number; sha256: string }>,
): Promise<SnapshotRecord> {
  const { store, clock } = deps;
  const asOf = await store.transaction(async () => clock());
  const id = `snap_${uuidv7(Date.parse(asOf))}`;
  const { count, sha256 } = await write({ id, purpose, asOf });
  const record: SnapshotRecord = { id, purpose, asOf, count, sha256, createdAt: clock() };
  await store.transaction(async (tx) => {
    await tx.insertSnapshot(record);
    await tx.appendEvents([
      {
        at: record.createdAt,
        type: 'snapshot.created',
        objectionId: null,
        subjectKey: null,
        data: { id, purpose, asOf, count, sha256 },
      },
    ]);
  });
  return record;
}
