import path from 'node:path';
import Database from 'better-sqlite3';
import { chainEvents, GENESIS_HASH } from '../../src/domain/audit-chain.ts';
import type { AuditEvent, NewEvent } from '../../src/domain/types.ts';
import { eventLeafHash } from '../../src/transparency/event-leaves.ts';
import { appendLeaves } from '../../src/transparency/tiles.ts';
import { queryOnce } from '../store/postgres-test-db.ts';
import type { Adapter } from '../support/veto-on.ts';

/** What someone with write access to the database can do to the log, as tests perform it. */
export type Exec = (sql: string, params?: unknown[]) => Promise<void>;

export function executor(adapter: Adapter, databaseUrl: string, dir: string): Exec {
  if (adapter === 'sqlite') {
    return async (sql, params = []) => {
      const db = new Database(path.join(dir, 'veto.db'));
      try {
        db.prepare(sql).run(...(params as never[]));
      } finally {
        db.close();
      }
    };
  }
  return async (sql, params = []) => {
    let i = 0;
    await queryOnce(
      databaseUrl,
      sql.replace(/\?/g, () => `$${++i}`),
      params,
    );
  };
}

/** The perfect forgery: the log rewritten from `events`, chain, head and tiles all consistent. */
export async function rewriteLog(exec: Exec, events: readonly NewEvent[]): Promise<void> {
  const chained = chainEvents({ seq: 0, hash: GENESIS_HASH }, events);
  await exec('DELETE FROM audit_events');
  await exec('DELETE FROM transparency_tiles');
  for (const e of chained) {
    await exec(
      'INSERT INTO audit_events (seq, at, type, objection_id, subject_key, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [
        e.seq,
        e.at,
        e.type,
        e.objectionId,
        e.subjectKey,
        JSON.stringify(e.data),
        e.prevHash,
        e.hash,
      ],
    );
  }
  for (const t of appendLeaves(0, [], chained.map(eventLeafHash))) {
    await exec(
      'INSERT INTO transparency_tiles (level, idx, width, hashes, nodes) VALUES (?, ?, ?, ?, ?)',
      [t.level, t.index, t.width, Buffer.from(t.hashes), Buffer.from(t.nodes)],
    );
  }
  const last = chained.at(-1);
  await exec('UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1', [
    last?.seq ?? 0,
    last?.hash ?? GENESIS_HASH,
  ]);
}

export const plain = ({ seq: _s, prevHash: _p, hash: _h, ...e }: AuditEvent): NewEvent => e;
