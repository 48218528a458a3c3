import { type Kysely, sql } from 'kysely';
import { eventLeafHash } from '../../../transparency/event-leaves.ts';
import {
  appendLeaves,
  partialTiles,
  type StoredTile,
  tileKey,
} from '../../../transparency/tiles.ts';
import { type EventRow, eventFromRow } from '../../rows.ts';

/**
 * The transparency log over the audit events (docs/transparency.md): its hashes in C2SP tiles
 * (one row per tile, `hashes` the bottom row, `nodes` the tile's interior), appended in the
 * same transaction as the events; the cosignatures witnesses return. Events already in the
 * log are added here, in order. Twin: src/store/sqlite/migrations/009-transparency-log.ts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('transparency_tiles')
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('hashes', 'bytea', (c) => c.notNull())
    .addColumn('nodes', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('transparency_tiles_pk', ['level', 'idx'])
    .execute();
  await db.schema
    .createTable('transparency_cosignatures')
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('root', 'text', (c) => c.notNull())
    .addColumn('witness', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('signed_at', 'bigint', (c) => c.notNull())
    .addColumn('line', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('transparency_cosignatures_pk', ['witness', 'key_id', 'size'])
    .execute();
  await backfill(db);
}

async function backfill(db: Kysely<any>): Promise<void> {
  const tiles = new Map<string, StoredTile>();
  let size = 0;
  for (;;) {
    const rows = (
      await sql<EventRow>`SELECT * FROM audit_events WHERE seq > ${size}::bigint ORDER BY seq LIMIT 10000`.execute(
        db,
      )
    ).rows;
    if (rows.length === 0) break;
    const events = rows.map(eventFromRow);
    if (events[0]!.seq !== size + 1)
      throw new Error(`audit log has a gap before #${events[0]!.seq}`);
    const partial = partialTiles(size).map((t) => tiles.get(tileKey(t))!);
    for (const t of appendLeaves(size, partial, events.map(eventLeafHash)))
      tiles.set(tileKey(t), t);
    size = events[events.length - 1]!.seq;
  }
  for (const t of tiles.values()) {
    await sql`INSERT INTO transparency_tiles (level, idx, width, hashes, nodes)
      VALUES (${t.level}, ${t.index}, ${t.width}, ${Buffer.from(t.hashes)}, ${Buffer.from(t.nodes)})`.execute(
      db,
    );
  }
}
