import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/server-process.ts';
import { tempDir } from '../support/temp.ts';
import { testApp } from '../support/test-app.ts';

/**
 * `veto serve` as an operator runs it, through `bin/veto.js`: it fails fast on a busy port, and
 * whatever signal the launcher gets, nothing keeps the port afterwards.
 */
const BIN = fileURLToPath(new URL('../../bin/veto.js', import.meta.url));
const API_KEY = 'lifecycle-test-key-0123456789';

function env(dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    VETO_LOG_LEVEL: 'info',
    VETO_DATA_DIR: dir,
    VETO_DATABASE_URL: `sqlite:${path.join(dir, 'veto.db')}`,
    VETO_API_KEYS: `platform:${API_KEY}`,
    VETO_SECRET: 'lifecycle-test-secret-0123456789-0123456789',
    VETO_PLATFORM_JWT_SECRET: 'lifecycle-test-jwt-secret-0123456789-0123456789',
    VETO_PLATFORM_JWT_ISSUER: 'https://platform.example',
    VETO_PLATFORM_JWT_AUDIENCE: 'veto',
  };
}

function launch(dir: string, port: number): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], {
    env: env(dir),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  return { child, output: () => out };
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${output()}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`not healthy in 30 s: ${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** True while something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function portFreedWithin(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await listening(port))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('veto serve lifecycle', { timeout: 120_000 }, () => {
  it('a busy port: non-zero exit with a clear message, before any job starts', async (t) => {
    const dir = tempDir(t);
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    t.after(() => blocker.close());
    const { child, output } = launch(dir, port);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    assert.notEqual(code, 0, output());
    assert.notEqual(code, null, `still running after 30 s: ${output()}`);
    assert.match(output(), new RegExp(`port ${port}.*in use`), output());
    // Jobs log when they take their lease: none may have started.
    assert.doesNotMatch(output(), /job lease taken/, output());
  });

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGKILL'] as const) {
    it(`${signal} to the launcher leaves nothing holding the port`, async (t) => {
      const dir = tempDir(t);
      const port = await freePort();
      const { child, output } = launch(dir, port);
      t.after(() => {
        if (child.exitCode === null) child.kill('SIGKILL');
      });
      await waitHealthy(`http://127.0.0.1:${port}`, child, output);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), {
        ready: true,
        checks: { database: 'ok', migrations: 'ok', jobs: 'ok' },
      });
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code, sig] = (await exited) as [number | null, string | null];
      if (signal !== 'SIGKILL') assert.equal(code, 0, `${sig} ${output()}`);
      assert.ok(await portFreedWithin(port, 10_000), `port ${port} still held: ${output()}`);
    });
  }

  it('SIGTERM drains requests in flight: each gets a whole answer', async (t) => {
    const dir = tempDir(t);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const { child, output } = launch(dir, port);
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await waitHealthy(url, child, output);
    // A request whose body is still arriving when SIGTERM comes: it is in flight, and must be
    // carried out and answered before the process exits.
    const body = JSON.stringify({ subject: { accountId: 'drain-1' } });
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${url}/v1/objections`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${API_KEY}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => {
            text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 500);
      }, 200);
    });
    const { status, text } = await answer;
    assert.equal(status, 201, text);
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0, output());
    assert.match(output(), /shutting down/);
    assert.ok(await portFreedWithin(port, 2_000));
  });
});

describe('/readyz', () => {
  it('says the database is unreachable with a 503', async (t) => {
    const { app, veto } = await testApp(t);
    assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200);
    await veto.store.close();
    const res = await app.inject({ url: '/readyz' });
    assert.equal(res.statusCode, 503);
    const body = res.json() as { ready: boolean; checks: { database: string } };
    assert.equal(body.ready, false);
    assert.match(body.checks.database, /^unreachable/);
  });
});
