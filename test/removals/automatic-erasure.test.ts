import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { dropSchema, freshSchemaName, PG_URL, queryOnce } from '../store/postgres-test-db.ts';
import { startServer } from '../support/server-process.ts';
import { tempDir } from '../support/temp.ts';
import { runVeto } from '../support/veto-cli.ts';
import { ADAPTERS, adapterAvailable } from '../support/veto-on.ts';

/**
 * Erasure without a command, through `veto serve` as a process: a dataset is built, a person
 * whose content is in it objects over HTTP, and within the erasure job's interval the sealed
 * version is rebuilt without her items, the replaced version's record files are deleted, and the
 * new version passes `veto dataset verify`. On PostgreSQL the deletion is at once
 * (VETO_SUPERSEDED_DELETE_AFTER=0); on SQLite it waits 4 s, and the server is SIGKILLed while it
 * waits (after the rebuild, before the erasure): the restarted server erases on schedule.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ADMIN_KEY = 'erasure-admin-key-0123456789';

for (const adapter of ADAPTERS) {
  const delayed = adapter === 'sqlite';
  describe(`automatic erasure through veto serve (${adapter})`, () => {
    it(`rebuilds the sealed version and deletes the replaced files after an objection${delayed ? ', after the configured delay, across a SIGKILL while it waits' : ', at once'}`, {
      timeout: 300_000,
    }, async (t) => {
      if (!(await adapterAvailable(adapter))) return t.skip();
      const dir = tempDir(t, 'veto-erasure-');
      let databaseUrl = `sqlite:${path.join(dir, 'veto.db')}`;
      if (adapter === 'postgres') {
        const schema = freshSchemaName();
        await queryOnce(PG_URL, `CREATE SCHEMA "${schema}"`);
        t.after(() => dropSchema(PG_URL, schema));
        const url = new URL(PG_URL);
        url.searchParams.set('options', `-c search_path=${schema}`);
        databaseUrl = url.toString();
      }
      const env = {
        VETO_DATA_DIR: dir,
        VETO_DATABASE_URL: databaseUrl,
        VETO_ADMIN_KEY: ADMIN_KEY,
        VETO_NOTICE_FLOOR_DAYS: '0',
        VETO_SUPERSEDED_DELETE_AFTER: delayed ? '4' : '0',
      };
      // `--demo` publishes the demo notice and records the demo policy's assessment.
      let server = await startServer(env, ['--demo']);
      t.after(() => server.kill());
      const headers = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
      const shown = await fetch(`${server.url}/v1/notices/exposures`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          exposures: ['demo-amelie', 'demo-oliver'].map((accountId) => ({
            accountId,
            version: '2026-01',
            language: 'en',
            channel: 'in-app',
            shownAt: new Date().toISOString(),
          })),
        }),
      });
      assert.equal(shown.status, 200, await shown.text());

      const out = path.join(dir, 'datasets');
      const built = runVeto(
        env,
        'gate',
        'build',
        '--policy',
        path.join(ROOT, 'policies/demo.yaml'),
        '--input',
        path.join(ROOT, 'examples/demo-export.jsonl'),
        '--out',
        out,
        '--workers',
        '0',
      );
      assert.equal(built.code, 0, built.err);
      const [id] = readdirSync(out).filter((d) => !d.startsWith('.'));
      assert.ok(id);
      const sealed = path.join(out, id);
      const before = readFileSync(path.join(sealed, 'data.jsonl'), 'utf8');
      assert.match(before, /"post-1"/, 'Amélie’s public post is in the sealed version');

      const objected = await fetch(`${server.url}/v1/objections`, {
        method: 'POST',
        headers: { ...headers, 'idempotency-key': 'erasure-amelie' },
        body: JSON.stringify({ subject: { accountId: 'demo-amelie' } }),
      });
      assert.equal(objected.status, 201, await objected.text());

      // The planner records the removal (every second), the erasure job acts on it (every 2 s).
      const next = path.join(out, `${id}.v2`);
      if (delayed) {
        const pending = path.join(sealed, 'ERASURE-PENDING.json');
        const waitUntil = Date.now() + 60_000;
        while (!existsSync(pending) && Date.now() < waitUntil)
          await new Promise((r) => setTimeout(r, 100));
        assert.ok(
          existsSync(pending),
          `erasure scheduled; serve said:\n${server.output().slice(-3000)}`,
        );
        const schedule = JSON.parse(readFileSync(pending, 'utf8'));
        assert.equal(schedule.replacedBy, `${id}.v2`);
        assert.ok(Date.parse(schedule.deleteAt) > Date.now(), 'the deletion is still due');
        assert.ok(existsSync(path.join(sealed, 'data.jsonl')), 'kept until the deletion is due');
        assert.ok(existsSync(path.join(next, 'manifest.json')), 'the new version is in place');
        // A crash between the rebuild and the erasure: the next server finishes the work.
        await server.kill('SIGKILL');
        server = await startServer(env, ['--demo']);
      }
      const deadline = Date.now() + 60_000;
      while (!existsSync(path.join(sealed, 'SUPERSEDED.json')) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 250));
      assert.ok(
        existsSync(path.join(sealed, 'SUPERSEDED.json')),
        `the replaced version is erased; serve said:\n${server.output().slice(-3000)}`,
      );
      assert.equal(existsSync(path.join(sealed, 'data.jsonl')), false, 'its data is deleted');
      assert.equal(existsSync(path.join(sealed, 'inclusions.tsv')), false);
      const superseded = JSON.parse(readFileSync(path.join(sealed, 'SUPERSEDED.json'), 'utf8'));
      assert.equal(superseded.replacedBy, `${id}.v2`);
      assert.equal(superseded.removals.length, 1);

      const after = readFileSync(path.join(next, 'data.jsonl'), 'utf8');
      assert.doesNotMatch(after, /"post-1"|"post-6"/, 'Amélie’s items are not in the new version');
      const verified = runVeto(env, 'dataset', 'verify', next);
      assert.equal(verified.code, 0, `${verified.out}\n${verified.err}`);
      const audit = runVeto(env, 'audit', 'verify');
      assert.equal(audit.code, 0, audit.err);
      if (delayed) {
        const db = new Database(path.join(dir, 'veto.db'), { readonly: true });
        const types = db
          .prepare('SELECT type FROM audit_events')
          .all()
          .map((r) => (r as { type: string }).type);
        db.close();
        assert.equal(types.filter((x) => x === 'dataset.erasure-scheduled').length, 1);
        assert.equal(types.filter((x) => x === 'dataset.superseded').length, 1);
      }
    });
  });
}
