import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { dropSchema, freshSchemaName, PG_URL, queryOnce } from '../store/postgres-test-db.ts';
import { type ServerProcess, startServer } from '../support/server-process.ts';
import { tempDir } from '../support/temp.ts';
import { runVeto } from '../support/veto-cli.ts';
import { ADAPTERS, type Adapter, adapterAvailable } from '../support/veto-on.ts';

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
const HEADERS = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

/** A registry of its own: a SQLite file in `dir`, or a fresh PostgreSQL schema. */
async function registry(
  t: TestContext,
  adapter: Adapter,
  dir: string,
): Promise<{ databaseUrl: string; schema?: string }> {
  if (adapter === 'sqlite') return { databaseUrl: `sqlite:${path.join(dir, 'veto.db')}` };
  const schema = freshSchemaName();
  await queryOnce(PG_URL, `CREATE SCHEMA "${schema}"`);
  t.after(() => dropSchema(PG_URL, schema));
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { databaseUrl: url.toString(), schema };
}

/** The demo notice shown to both demo accounts, so a build keeps their records. */
async function showDemoNotice(server: ServerProcess): Promise<void> {
  const shown = await fetch(`${server.url}/v1/notices/exposures`, {
    method: 'POST',
    headers: HEADERS,
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
}

/** `veto gate build` of the demo export into `out`. */
function buildDemo(env: Record<string, string>, out: string, ...more: string[]) {
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
    ...more,
  );
  assert.equal(built.code, 0, built.err);
}

/** Amélie objects over HTTP: the planner records removals for every dataset holding her items. */
async function amelieObjects(server: ServerProcess): Promise<void> {
  const objected = await fetch(`${server.url}/v1/objections`, {
    method: 'POST',
    headers: { ...HEADERS, 'idempotency-key': 'erasure-amelie' },
    body: JSON.stringify({ subject: { accountId: 'demo-amelie' } }),
  });
  assert.equal(objected.status, 201, await objected.text());
}

async function waitFor(condition: () => boolean, ms = 60_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  return condition();
}

for (const adapter of ADAPTERS) {
  const delayed = adapter === 'sqlite';
  describe(`automatic erasure through veto serve (${adapter})`, () => {
    it(`rebuilds the sealed version and deletes the replaced files after an objection${delayed ? ', after the configured delay, across a SIGKILL while it waits' : ', at once'}`, {
      timeout: 300_000,
    }, async (t) => {
      if (!(await adapterAvailable(adapter))) return t.skip();
      const dir = tempDir(t, 'veto-erasure-');
      const { databaseUrl } = await registry(t, adapter, dir);
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
      await showDemoNotice(server);

      const out = path.join(dir, 'datasets');
      buildDemo(env, out);
      const [id] = readdirSync(out).filter((d) => !d.startsWith('.'));
      assert.ok(id);
      const sealed = path.join(out, id);
      const before = readFileSync(path.join(sealed, 'data.jsonl'), 'utf8');
      assert.match(before, /"post-1"/, 'Amélie’s public post is in the sealed version');

      await amelieObjects(server);

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

/**
 * A dataset sealed with `--out` outside `VETO_DATASET_DIRS` is reached through the directory the
 * registry recorded for it: rebuilt there and its replaced files erased, the new version's own
 * directory recorded in turn. A second dataset whose recorded directory was deleted is warned
 * about once, and the job carries on.
 */
// On SQLite only: the job's search is the same on both adapters, and each adapter's recording
// of the location is checked where it is written (sealing-recovery, rebuild-recovery).
for (const adapter of ['sqlite'] as const) {
  describe(`automatic erasure at a recorded location through veto serve (${adapter})`, () => {
    it('erases a version sealed outside VETO_DATASET_DIRS, and warns once about one that is gone', {
      timeout: 300_000,
    }, async (t) => {
      if (!(await adapterAvailable(adapter))) return t.skip();
      const dir = tempDir(t, 'veto-erasure-');
      const { databaseUrl, schema } = await registry(t, adapter, dir);
      const folder = path.join(dir, 'datasets');
      mkdirSync(folder);
      const env = {
        VETO_DATA_DIR: dir,
        VETO_DATABASE_URL: databaseUrl,
        VETO_ADMIN_KEY: ADMIN_KEY,
        VETO_NOTICE_FLOOR_DAYS: '0',
        VETO_SUPERSEDED_DELETE_AFTER: '0',
        VETO_DATASET_DIRS: folder,
      };
      const locations = async (): Promise<Map<string, string | null>> => {
        const sql = 'SELECT id, location FROM datasets';
        let rows: { id: string; location: string | null }[];
        if (schema) rows = await queryOnce(PG_URL, sql.replace('datasets', `"${schema}".datasets`));
        else {
          const db = new Database(path.join(dir, 'veto.db'), { readonly: true });
          rows = db.prepare(sql).all() as typeof rows;
          db.close();
        }
        return new Map(rows.map((r) => [r.id, r.location]));
      };
      const server = await startServer(env, ['--demo']);
      t.after(() => server.kill());
      await showDemoNotice(server);

      // Neither folder is under VETO_DATASET_DIRS: only the recorded locations lead there.
      const elsewhere = tempDir(t, 'veto-elsewhere-');
      const gone = tempDir(t, 'veto-gone-');
      buildDemo(env, elsewhere, '--dataset-id', 'ds_elsewhere');
      buildDemo(env, gone, '--dataset-id', 'ds_gone');
      const sealed = path.join(elsewhere, 'ds_elsewhere');
      assert.deepEqual(
        await locations(),
        new Map([
          ['ds_elsewhere', sealed],
          ['ds_gone', path.join(gone, 'ds_gone')],
        ]),
        'veto gate build records the directory it sealed into',
      );
      assert.match(readFileSync(path.join(sealed, 'data.jsonl'), 'utf8'), /"post-1"/);
      rmSync(path.join(gone, 'ds_gone'), { recursive: true });

      await amelieObjects(server);

      assert.ok(
        await waitFor(() => existsSync(path.join(sealed, 'SUPERSEDED.json'))),
        `the version outside the configured folders is erased; serve said:\n${server.output().slice(-3000)}`,
      );
      assert.equal(existsSync(path.join(sealed, 'data.jsonl')), false, 'its data is deleted');
      assert.equal(existsSync(path.join(sealed, 'inclusions.tsv')), false);
      const superseded = JSON.parse(readFileSync(path.join(sealed, 'SUPERSEDED.json'), 'utf8'));
      assert.equal(superseded.replacedBy, 'ds_elsewhere.v2');
      const next = path.join(elsewhere, 'ds_elsewhere.v2');
      assert.doesNotMatch(readFileSync(path.join(next, 'data.jsonl'), 'utf8'), /"post-1"|"post-6"/);
      assert.equal(
        (await locations()).get('ds_elsewhere.v2'),
        next,
        'the erasure job records where it sealed the new version',
      );
      assert.deepEqual(readdirSync(folder), [], 'nothing was written to the configured folder');
      const verified = runVeto(env, 'dataset', 'verify', next);
      assert.equal(verified.code, 0, `${verified.out}\n${verified.err}`);

      // The missing one: said once however many passes meet it, and no pass fails over it.
      const warning = 'the recorded location of a dataset with removals is gone';
      assert.ok(
        await waitFor(() => server.output().includes(warning)),
        `warned about the deleted directory; serve said:\n${server.output().slice(-3000)}`,
      );
      await new Promise((r) => setTimeout(r, 5_000)); // two more passes of the job (every 2 s)
      assert.equal(server.output().split(warning).length - 1, 1, server.output().slice(-3000));
      assert.ok(server.output().includes(path.join(gone, 'ds_gone')), 'the warning names it');
      assert.doesNotMatch(server.output(), /automatic erasure pass failed/);
    });
  });
}
