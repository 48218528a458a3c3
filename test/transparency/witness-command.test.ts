import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { type EventRow, eventFromRow } from '../../src/store/rows.ts';
import { startServer } from '../support/server-process.ts';
import { tempDir } from '../support/temp.ts';
import { runVeto } from '../support/veto-cli.ts';
import { executor, plain, rewriteLog } from './forge-log.ts';

/**
 * `veto witness` run by a third party against a real server: it cosigns the first checkpoint,
 * cosigns the next after a consistency proof, submits to the registry (which then serves the
 * cosignature), and refuses once the operator rewrote history behind the server's back.
 */
const API_KEY = 'witness-test-platform-key-0123456789';

test('veto witness cosigns a growing log and refuses a rewritten one', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t);
  const wdir = tempDir(t);
  const keyFile = path.join(wdir, 'witness.key');
  const state = path.join(wdir, 'state.txt');
  const keygen = runVeto({}, 'witness', 'keygen', 'witness.dpa.example', '--key', keyFile);
  assert.equal(keygen.code, 0, keygen.err);
  const witnessVkey = keygen.out.trim();
  assert.match(witnessVkey, /^witness\.dpa\.example\+[0-9a-f]{8}\+/);

  const env = {
    VETO_DATA_DIR: dir,
    VETO_DATABASE_URL: `sqlite:${path.join(dir, 'veto.db')}`,
    VETO_API_KEYS: `p:${API_KEY}`,
    VETO_SECRET: 'witness-test-secret-0123456789-0123456789',
    VETO_PLATFORM_JWT_SECRET: 'witness-test-jwt-secret-0123456789-0123456789',
    VETO_TRANSPARENCY_WITNESSES: witnessVkey,
  };
  let server = await startServer(env);
  t.after(() => server.kill('SIGTERM'));
  const object = async (accountId: string) => {
    const r = await fetch(`${server.url}/v1/objections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: { accountId } }),
    });
    assert.equal(r.status, 201, await r.text());
  };
  const keys = (await (await fetch(`${server.url}/v1/transparency/keys`)).json()) as {
    log: string;
  };
  const witness = (...extra: string[]) =>
    runVeto(
      {},
      'witness',
      '--log',
      server.url,
      '--log-key',
      keys.log,
      '--key',
      keyFile,
      '--state',
      state,
      ...extra,
    );

  await object('ana');
  await object('ben');
  const first = witness();
  assert.equal(first.code, 0, first.err);
  assert.match(first.err, /cosigned size 2 \(first checkpoint\)/);
  assert.equal(readFileSync(state, 'utf8'), first.out);

  await object('chloé');
  await object('dario');
  const second = witness('--submit');
  assert.equal(second.code, 0, second.err);
  assert.match(second.err, /cosigned size 4 \(consistent with 2\)/);
  assert.match(second.err, /submitted/);
  const served = await (await fetch(`${server.url}/v1/transparency/cosigned-checkpoint`)).text();
  assert.match(served, /^.*\n4\n/);
  assert.ok(served.includes(second.out.trim().split('\n').at(-1)!), served);

  // The operator stops the server, deletes ben's objection and rebuilds the whole log so it
  // still verifies on its own, with more events than the witness saw.
  await server.kill('SIGTERM');
  const db = new Database(path.join(dir, 'veto.db'), { readonly: true });
  const events = (db.prepare('SELECT * FROM audit_events ORDER BY seq').all() as EventRow[]).map(
    eventFromRow,
  );
  db.close();
  const ben = events.find((e) => e.subjectKey?.includes('ben'))!;
  const forged = events.filter((e) => e.objectionId !== ben.objectionId).map(plain);
  forged.push(forged.at(-1)!, forged.at(-1)!);
  await rewriteLog(executor('sqlite', env.VETO_DATABASE_URL, dir), forged);
  server = await startServer(env);
  const plainCheck = runVeto(env, 'audit', 'verify');
  assert.match(plainCheck.out + plainCheck.err, /audit chain OK|registry disagrees/);

  const stateBefore = readFileSync(state, 'utf8');
  const refused = witness();
  assert.equal(refused.code, 1, refused.out + refused.err);
  assert.match(refused.err, /REFUSED: .*history was rewritten/);
  assert.equal(refused.out, '');
  // The state still holds the last good checkpoint, for audit verify --checkpoint.
  assert.equal(readFileSync(state, 'utf8'), stateBefore);
  const caught = runVeto(env, 'audit', 'verify', '--checkpoint', state, '--witness', witnessVkey);
  assert.equal(caught.code, 1);
  assert.match(caught.err, /state\.txt: REWRITTEN/);
});
