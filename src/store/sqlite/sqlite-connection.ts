import { closeSync, fdatasync, fsyncSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { chainEvents } from '../../domain/audit-chain.ts';
import type { AuditEvent, ChainHead, NewEvent } from '../../domain/types.ts';
import { eventLeafHash } from '../../transparency/event-leaves.ts';
import { appendLeaves, partialTiles, type StoredTile } from '../../transparency/tiles.ts';

/**
 * Durability. `synchronous=FULL` in WAL mode makes COMMIT call fsync on the WAL inside the
 * thread that commits. Instead the writer runs with `synchronous=NORMAL`, which writes the same
 * WAL frames at COMMIT but leaves the fsync out, and the writer then calls fdatasync on the WAL
 * file itself (in libuv's thread pool, see WalSyncer) before a transaction is reported
 * committed. The WAL frames of a committed transaction are then on disk exactly as FULL would
 * have left them, while the next batch can already commit. (NORMAL still syncs the WAL before
 * every checkpoint, so checkpointed pages are safe too.) Acknowledged means durable.
 */
export function openSqlite(filename: string, readonly = false): Database.Database {
  const db = new Database(filename, { readonly, fileMustExist: readonly });
  db.pragma('busy_timeout = 5000');
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(filename === ':memory:' ? 'synchronous = FULL' : 'synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  }
  return db;
}

/**
 * Coalesces fdatasync calls on the WAL: a caller waits for a sync that started after its
 * commit; while one runs, every later caller shares the next one (at most one queued).
 */
export class WalSyncer {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly fd: number) {}

  /** Opens the -wal file (it exists once the database was written) and syncs its directory. */
  static open(filename: string): WalSyncer {
    const dir = openSync(path.dirname(path.resolve(filename)), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    return new WalSyncer(openSync(`${filename}-wal`, 'r+'));
  }

  sync(): Promise<void> {
    if (!this.running) {
      this.running = this.start();
      return this.running;
    }
    this.queued ??= this.running.then(
      () => this.next(),
      () => this.next(),
    );
    return this.queued;
  }

  close(): void {
    closeSync(this.fd);
  }

  private next(): Promise<void> {
    this.queued = null;
    this.running = this.start();
    return this.running;
  }

  private start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      fdatasync(this.fd, (err) => {
        this.running = null;
        if (err) reject(err);
        else resolve();
      });
    });
  }
}

/** The statements that append to the audit log, prepared once per connection. */
export function prepareAuditAppend(db: Database.Database) {
  return {
    chainHead: db.prepare('SELECT seq, hash FROM chain_head WHERE id = 1'),
    setChainHead: db.prepare('UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1'),
    insertEvent: db.prepare(
      'INSERT INTO audit_events (seq, at, type, objection_id, subject_key, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    tile: db.prepare(
      'SELECT level, idx AS "index", width, hashes, nodes FROM transparency_tiles WHERE level = ? AND idx = ?',
    ),
    putTile: db.prepare(
      'INSERT OR REPLACE INTO transparency_tiles (level, idx, width, hashes, nodes) VALUES (?, ?, ?, ?, ?)',
    ),
  };
}

/**
 * Chains `events` after the stored head and writes them with the new head. Call it inside a
 * write transaction (which holds SQLite's write lock): every store that writes to the audit
 * log, on any connection, goes through here.
 */
/**
 * `npm run bench -- intake` measures the intake with the transparency log off, to print what the
 * log costs; nothing else may set this. A registry written so has no tiles for those events, and
 * `veto audit verify` says the tiles do not match the events.
 */
const TRANSPARENCY_LOG_OFF_FOR_BENCH = process.env.VETO_BENCH_TRANSPARENCY_LOG === 'off';

export function appendAuditEvents(
  stmts: ReturnType<typeof prepareAuditAppend>,
  events: readonly NewEvent[],
): AuditEvent[] {
  if (events.length === 0) return [];
  const head = stmts.chainHead.get() as ChainHead;
  const chained = chainEvents(head, events);
  for (const e of chained) {
    stmts.insertEvent.run(
      e.seq,
      e.at,
      e.type,
      e.objectionId,
      e.subjectKey,
      JSON.stringify(e.data),
      e.prevHash,
      e.hash,
    );
  }
  const last = chained[chained.length - 1]!;
  stmts.setChainHead.run(last.seq, last.hash);
  if (TRANSPARENCY_LOG_OFF_FOR_BENCH) return chained;
  // The transparency log grows in the same transaction: one leaf per event (index seq − 1).
  const partial = partialTiles(head.seq).map(
    (t) => stmts.tile.get(t.level, t.index) as StoredTile | undefined,
  );
  if (partial.some((t) => !t))
    throw new Error('transparency tiles are missing: run the migrations');
  for (const t of appendLeaves(head.seq, partial as StoredTile[], chained.map(eventLeafHash))) {
    stmts.putTile.run(t.level, t.index, t.width, t.hashes, t.nodes);
  }
  return chained;
}
