import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { startServer } from '../support/server-process.ts';
import { tempDir } from '../support/temp.ts';
import { VETO_BIN } from '../support/veto-command.ts';

const API_KEY = 'crash-test-key-0123456789';

/**
 * Acknowledged means durable: objections are posted by 64 concurrent clients, the server is
 * killed with SIGKILL mid-load, restarted, and every objection that got a 2xx must be there,
 * with an audit chain that verifies.
 */
test('every acknowledged objection survives a SIGKILL mid-load', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t);
  const env = {
    VETO_DATA_DIR: dir,
    VETO_DATABASE_URL: `sqlite:${path.join(dir, 'veto.db')}`,
    VETO_API_KEYS: `crash:${API_KEY}`,
    VETO_SECRET: 'crash-test-secret-0123456789-0123456789',
    VETO_PLATFORM_JWT_SECRET: 'crash-test-jwt-secret-0123456789-0123456789',
  };
  const server = await startServer(env);
  const acknowledged = new Set<string>();
  let next = 0;
  let stop = false;
  const client = async () => {
    while (!stop) {
      const accountId = `crash-${next++}`;
      try {
        const r = await fetch(`${server.url}/v1/objections`, {
          method: 'POST',
          headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ subject: { accountId } }),
        });
        if (r.status === 201) acknowledged.add(((await r.json()) as { id: string }).id);
        else await r.body?.cancel();
      } catch {
        // The connection died with the server: not acknowledged, so nothing is owed.
      }
    }
  };
  const clients = Array.from({ length: 64 }, client);
  // Kill once a good amount of traffic is in flight.
  while (acknowledged.size < 2000) await new Promise((r) => setTimeout(r, 20));
  await server.kill('SIGKILL');
  stop = true;
  await Promise.all(clients);
  assert.ok(acknowledged.size >= 2000);

  // Restart on the same files: recovery must succeed and keep everything acknowledged.
  const again = await startServer(env);
  await again.kill('SIGTERM');

  const db = new Database(path.join(dir, 'veto.db'), { readonly: true });
  const ids = new Set(
    (db.prepare('SELECT id FROM objections').all() as { id: string }[]).map((r) => r.id),
  );
  db.close();
  const missing = [...acknowledged].filter((id) => !ids.has(id));
  assert.deepEqual(
    missing,
    [],
    `${missing.length} acknowledged objections lost of ${acknowledged.size}`,
  );
  assert.ok(ids.size >= acknowledged.size);

  const verify = spawnSync(process.execPath, [VETO_BIN, 'audit', 'verify'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /audit chain OK/);
  console.log(
    `# crash test: ${acknowledged.size} acknowledged before SIGKILL, ${ids.size} in the registry, none lost`,
  );
});
