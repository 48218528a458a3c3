import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createNoticeExposureLookup,
  type NoticeExposureLookup,
} from '../../src/domain/notices/notice-exposure-lookup.ts';
import type { NoticeExposure, NoticeVersion } from '../../src/domain/notices/notice-types.ts';
import type { NoticeStore } from '../../src/store/notice-store.ts';
import { PostgresNoticeStore } from '../../src/store/postgres/postgres-notice-store.ts';
import { openPostgresRegistryStore } from '../../src/store/postgres/postgres-registry-store.ts';
import { SqliteNoticeStore } from '../../src/store/sqlite/sqlite-notice-store.ts';
import { openSqliteRegistryStore } from '../../src/store/sqlite/sqlite-registry-store.ts';
import {
  dropSchema,
  freshSchemaName,
  PG_URL,
  postgresAvailable,
} from '../../test/store/postgres-test-db.ts';

/**
 * bench/notice: the gate's notice-period check against a real registry. Every build asks the
 * registry, for each kept author, whether the policy's notice was shown to them early enough
 * (`subjectsNotShown`, in calls of 10,000 keys), and its verify asks again; the gate benchmark
 * answers from memory, so this is where the registry's side of it is measured.
 *
 * A registry with VETO_BENCH_NOTICE_EXPOSURES exposures (default 2,000,000: one per account,
 * in-app, a tenth of them voided, as bounced emails are) is asked about
 * VETO_BENCH_NOTICE_KEYS kept authors (default 400,000, random accounts, most of them shown),
 * in the order a build asks (random), through the lookup the gate uses. SQLite always;
 * PostgreSQL when VETO_TEST_PG_URL (or the local default) answers. Baseline, same run, same
 * database: the one-statement-per-key lookup the SQLite store used before, with its index.
 * Printed with it: what the check costs at the gate benchmark's 2.1M kept authors (asked twice,
 * by the build and by its verify), against that build's ~10 s.
 */
const EXPOSURES = Number(process.env.VETO_BENCH_NOTICE_EXPOSURES ?? 2_000_000);
const KEYS = Number(process.env.VETO_BENCH_NOTICE_KEYS ?? 400_000);
const GATE_KEPT_AUTHORS = 2_120_000;
const CALL = 10_000;
const SHOWN_BY = '2026-03-01T00:00:00.000Z';

const version: NoticeVersion = {
  id: 'v1',
  seq: 1,
  previousId: null,
  effectiveAt: '2026-01-01T00:00:00.000Z',
  publishedAt: '2026-01-01T00:00:00.000Z',
  publishedBy: 'bench',
  defaultLanguage: 'en',
  sha256: 'f'.repeat(64),
  texts: [
    { language: 'en', title: 'T', markdown: '# T', changes: 'first', sha256: 'a'.repeat(64) },
  ],
};

/** Account `i`'s exposure: shown in January or, for one in twenty, after the cut-off. */
function exposure(i: number): NoticeExposure {
  return {
    subjectKey: `acct:${i}`,
    versionId: 'v1',
    language: 'en',
    channel: 'in-app',
    shownAt: i % 20 === 7 ? '2026-04-01T00:00:00.000Z' : '2026-01-15T00:00:00.000Z',
    acknowledgedAt: null,
    source: 'client:bench',
    recordedAt: '2026-01-15T00:00:00.000Z',
  };
}

async function fill(store: NoticeStore, voidTenth: (keys: string[]) => Promise<void>) {
  await store.insertVersion(version);
  const t = performance.now();
  for (let i = 0; i < EXPOSURES; i += CALL) {
    const rows: NoticeExposure[] = [];
    for (let j = i; j < Math.min(EXPOSURES, i + CALL); j++) rows.push(exposure(j));
    await store.recordExposures(rows);
  }
  const voided: string[] = [];
  for (let i = 3; i < EXPOSURES; i += 10) voided.push(`acct:${i}`);
  await voidTenth(voided);
  return performance.now() - t;
}

/** Random accounts, a few beyond the registered ones (never shown). */
function askedKeys(): string[] {
  let seed = 42;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const keys: string[] = [];
  for (let i = 0; i < KEYS; i++) keys.push(`acct:${Math.floor(next() * EXPOSURES * 1.05)}`);
  return keys;
}

/** Seconds for every key, in calls of `CALL`, and how many were not shown. */
async function timeCalls(ask: (keys: string[]) => Promise<string[]>, keys: string[]) {
  const t = performance.now();
  let missing = 0;
  for (let i = 0; i < keys.length; i += CALL)
    missing += (await ask(keys.slice(i, i + CALL))).length;
  return { s: (performance.now() - t) / 1000, missing };
}

function report(name: string, s: number, baseline: number | undefined, missing: number) {
  const us = (s * 1e6) / KEYS;
  const atGate = (2 * GATE_KEPT_AUTHORS * us) / 1e6;
  console.log(
    `| ${name} | ${us.toFixed(2)} | ${(KEYS / s / 1000).toFixed(0)}k | ${atGate.toFixed(1)} s | ${
      baseline === undefined ? '1.00x' : `${(baseline / s).toFixed(2)}x`
    } | ${missing.toLocaleString('en')} |`,
  );
}

/** Two rounds of each lookup, alternating; both must find the same people; the best of each. */
async function compare(
  [beforeName, nowName]: [string, string],
  before: (keys: string[]) => Promise<string[]>,
  now: (keys: string[]) => Promise<string[]>,
  keys: string[],
) {
  const rounds: { now: number; before: number; missing: number; missingBefore: number }[] = [];
  for (let r = 0; r < 2; r++) {
    const b = await timeCalls(before, keys);
    const n = await timeCalls(now, keys);
    rounds.push({ now: n.s, before: b.s, missing: n.missing, missingBefore: b.missing });
  }
  if (rounds.some((r) => r.missing !== r.missingBefore))
    throw new Error('the two lookups disagree on who was not shown the notice');
  const best = (f: (r: (typeof rounds)[number]) => number) => Math.min(...rounds.map(f));
  report(
    beforeName,
    best((r) => r.before),
    undefined,
    rounds[0]!.missingBefore,
  );
  report(
    nowName,
    best((r) => r.now),
    best((r) => r.before),
    rounds[0]!.missing,
  );
}

async function sqlite(keys: string[]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'veto-bench-notice-'));
  try {
    const registry = await openSqliteRegistryStore({ filename: path.join(dir, 'veto.db') });
    const store = new SqliteNoticeStore(registry);
    const ms = await fill(store, async (voided) => {
      const stmt = registry.db.prepare(
        `UPDATE notice_exposures SET voided_at = '2026-01-20T00:00:00.000Z' WHERE subject_key = ?`,
      );
      registry.db.transaction(() => {
        for (const k of voided) stmt.run(k);
      })();
    });
    console.log(
      `SQLite: ${EXPOSURES.toLocaleString('en')} exposures recorded in ${(ms / 1000).toFixed(1)} s`,
    );
    const lookup = createNoticeExposureLookup(store);
    const ask = (k: string[]) => lookup.subjectsNotShown('v1', SHOWN_BY, k);
    // The lookup as the SQLite store did it before: one statement per distinct key, on an index
    // of (version_id, subject_key, shown_at) without `voided_at`.
    registry.db.exec(
      'CREATE INDEX IF NOT EXISTS bench_before ON notice_exposures (version_id, subject_key, shown_at)',
    );
    const one = registry.db.prepare(
      `SELECT 1 FROM notice_exposures INDEXED BY bench_before WHERE version_id = ? AND subject_key = ?
         AND shown_at <= ? AND voided_at IS NULL LIMIT 1`,
    );
    const before = async (k: string[]) => {
      const unique = [...new Set(k)];
      return unique.filter((key) => !one.get('v1', key, SHOWN_BY));
    };
    await compare(
      ['SQLite, one statement per key (before)', 'SQLite, the store now'],
      before,
      ask,
      keys,
    );
    registry.db.exec('DROP INDEX bench_before');
    await registry.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgres(keys: string[]) {
  if (!(await postgresAvailable(PG_URL))) {
    console.log(`(PostgreSQL: none at ${PG_URL}; skipped)`);
    return;
  }
  const schema = freshSchemaName();
  const registry = await openPostgresRegistryStore({
    connectionString: PG_URL,
    schema,
    maxConnections: 4,
  });
  try {
    const store = new PostgresNoticeStore(registry);
    const ms = await fill(store, async (voided) => {
      await registry.pool.query(
        `UPDATE "${schema}".notice_exposures SET voided_at = '2026-01-20T00:00:00.000Z' WHERE subject_key = ANY($1::text[])`,
        [voided],
      );
      // As autovacuum leaves a table after a bulk load: its visibility map set, statistics taken.
      await registry.pool.query(`VACUUM ANALYZE "${schema}".notice_exposures`);
    });
    console.log(
      `PostgreSQL: ${EXPOSURES.toLocaleString('en')} exposures recorded in ${(ms / 1000).toFixed(1)} s`,
    );
    const lookup: NoticeExposureLookup = createNoticeExposureLookup(store);
    // The statement the PostgreSQL store sent before (the keys as a text[] parameter, `= ANY`,
    // DISTINCT), on the same table and indexes: the query's form alone, not the index.
    const before = async (k: string[]) => {
      const unique = [...new Set(k)];
      const r = await registry.pool.query<{ k: string }>(
        `SELECT DISTINCT subject_key AS k FROM notice_exposures
          WHERE version_id = $1 AND shown_at <= $2::timestamptz AND voided_at IS NULL
            AND subject_key = ANY($3::text[])`,
        ['v1', SHOWN_BY, unique],
      );
      const shown = new Set(r.rows.map((x) => x.k));
      return unique.filter((key) => !shown.has(key));
    };
    await compare(
      ['PostgreSQL, the statement before (same index)', 'PostgreSQL, the store now'],
      before,
      (k) => lookup.subjectsNotShown('v1', SHOWN_BY, k),
      keys,
    );
  } finally {
    await registry.close();
    await dropSchema(PG_URL, schema);
  }
}

export async function run(): Promise<void> {
  const keys = askedKeys();
  console.log(
    `${KEYS.toLocaleString('en')} kept authors asked about in calls of ${CALL.toLocaleString('en')}, ` +
      `against ${EXPOSURES.toLocaleString('en')} exposures (best of 2 rounds)\n`,
  );
  console.log(
    '| lookup | µs per key | keys/s | at the gate bench (2 × 2.12M keys) | vs before | not shown |',
  );
  console.log('|---|---|---|---|---|---|');
  await sqlite(keys);
  await postgres(keys);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run();
}
