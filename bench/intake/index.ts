import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { startServer } from '../../test/support/server-process.ts';

/**
 * bench/intake: durable objections per second through the HTTP API, with autocannon on
 * 127.0.0.1 (100 connections). The server runs in its own process; every request objects for
 * a new account, so every 201 is one new row committed before the answer.
 *
 * Baseline: the same server with one commit per request (VETO_MAX_BATCH=1), from the same run.
 * Target: >= 15,000 durable objections/s with p99 <= 25 ms on SQLite, 2 cores.
 */
const API_KEY = 'bench-intake-key-0123456789';
const DURATION = Number(process.env.VETO_BENCH_SECONDS ?? 10);
const PG_URL = process.env.VETO_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Result {
  label: string;
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
}

async function measure(label: string, env: Record<string, string>): Promise<Result> {
  const server = await startServer({
    VETO_API_KEYS: `bench:${API_KEY}`,
    VETO_LOG_LEVEL: 'error',
    ...env,
  });
  try {
    let n = 0;
    const prefix = `${label.replace(/\W+/g, '-')}-${Date.now()}`;
    const run = (duration: number) =>
      autocannon({
        url: `${server.url}/v1/objections`,
        connections: 100,
        duration,
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        // The load generator shares the two cores with the server: each body is one string
        // concatenation rather than an object through JSON.stringify.
        requests: [
          {
            setupRequest: (req) => ({
              ...req,
              body: `{"subject":{"accountId":"${prefix}-${n++}"}}`,
            }),
          },
        ],
      });
    await run(2); // warm-up: JIT, page cache, connection pools
    const r = await run(DURATION);
    const created = r['2xx'];
    return {
      label,
      perSecond: created / DURATION,
      p50: r.latency.p50,
      p99: r.latency.p99,
      non2xx: r.non2xx,
    };
  } finally {
    await server.kill('SIGTERM');
  }
}

async function postgresUrl(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL });
  try {
    await client.connect();
    const schema = `bench_${Date.now()}`;
    await client.query(`CREATE SCHEMA ${schema}`);
    return `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
  } catch (err) {
    console.log(
      `PostgreSQL not reachable at ${PG_URL} (${(err as Error).message}): skipping its rows`,
    );
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function run(): Promise<Result[]> {
  const results: Result[] = [];
  const dirs: string[] = [];
  const sqlite = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'veto-bench-'));
    dirs.push(dir);
    return { VETO_DATA_DIR: dir, VETO_DATABASE_URL: `sqlite:${path.join(dir, 'veto.db')}` };
  };
  try {
    results.push(await measure('sqlite group commit', sqlite()));
    results.push(await measure('sqlite one commit/request', { ...sqlite(), VETO_MAX_BATCH: '1' }));
    // What the transparency log costs: the same run without its tiles (bench-only switch).
    results.push(
      await measure('sqlite group commit, log off', {
        ...sqlite(),
        VETO_BENCH_TRANSPARENCY_LOG: 'off',
      }),
    );
    const pgUrl = await postgresUrl();
    if (pgUrl) {
      const dir = sqlite().VETO_DATA_DIR;
      results.push(
        await measure('postgres group commit', { VETO_DATA_DIR: dir, VETO_DATABASE_URL: pgUrl }),
      );
      const pgUrl2 = await postgresUrl();
      results.push(
        await measure('postgres one commit/request', {
          VETO_DATA_DIR: dir,
          VETO_DATABASE_URL: pgUrl2!,
          VETO_MAX_BATCH: '1',
        }),
      );
    }
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  print(results);
  return results;
}

function print(results: Result[]): void {
  console.log(
    `\nbench/intake — POST /v1/objections, 100 connections, ${DURATION} s each, autocannon on 127.0.0.1`,
  );
  console.log('target: >= 15,000 durable objections/s with p99 <= 25 ms on SQLite (2 cores)\n');
  console.log(
    'configuration                 objections/s   p50 ms   p99 ms   non-2xx   vs one commit/request',
  );
  for (const r of results) {
    const base = results.find(
      (b) => b.label === r.label.replace('group commit', 'one commit/request'),
    );
    const ratio = base && base !== r ? `${(r.perSecond / base.perSecond).toFixed(2)}x` : '';
    console.log(
      `${r.label.padEnd(30)}${Math.round(r.perSecond).toLocaleString('en').padStart(12)}${String(r.p50).padStart(9)}${String(r.p99).padStart(9)}${String(r.non2xx).padStart(10)}   ${ratio}`,
    );
  }
  const on = results.find((r) => r.label === 'sqlite group commit');
  const off = results.find((r) => r.label === 'sqlite group commit, log off');
  if (on && off) {
    const below = (1 - on.perSecond / off.perSecond) * 100;
    console.log(
      `\ntransparency log on vs off (SQLite group commit): ${Math.round(on.perSecond).toLocaleString('en')} vs ${Math.round(off.perSecond).toLocaleString('en')} objections/s, ${below.toFixed(1)} % below (target ≤ 10 %)`,
    );
  }
  const s = results.find((r) => r.label === 'sqlite group commit');
  if (s)
    console.log(
      `\nSQLite target ${s.perSecond >= 15_000 && s.p99 <= 25 ? 'MET' : 'NOT MET'}: ${Math.round(s.perSecond)}/s, p99 ${s.p99} ms`,
    );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
