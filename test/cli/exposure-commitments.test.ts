import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { readNoticeDirectory } from '../../src/domain/notices/notice-files.ts';
import { buildApp } from '../../src/http/app.ts';
import { queryOnce } from '../store/postgres-test-db.ts';
import { TEST_API_KEY } from '../support/test-veto.ts';
import { runVeto } from '../support/veto-cli.ts';
import { ADAPTERS, adapterAvailable, testVetoOn } from '../support/veto-on.ts';

/**
 * Who was shown which notice cannot be rewritten quietly: exposures recorded over HTTP are
 * committed in batches (a `notice.exposures` event: count and Merkle root), and the spawned
 * `veto audit verify` fails, naming the batch, when a committed row is edited, deleted or added
 * to, and when rows appear that no batch commits.
 */

const NOTICE_DIR = new URL('../../notices/2026-01', import.meta.url).pathname;

for (const adapter of ADAPTERS) {
  test(`notice exposures are committed, and audit verify catches every edit (${adapter})`, {
    timeout: 120_000,
  }, async (t) => {
    if (!(await adapterAvailable(adapter))) return t.skip(`${adapter} unavailable`);
    const { veto, config, dir } = await testVetoOn(adapter, t);
    await veto.notices.publish(readNoticeDirectory(NOTICE_DIR), 'test');
    const app = await buildApp(veto);
    t.after(() => app.close());
    const post = async (accounts: string[], shownAt: string) => {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/notices/exposures',
        headers: { authorization: `Bearer ${TEST_API_KEY}` },
        payload: {
          exposures: accounts.map((accountId) => ({
            accountId,
            version: '2026-01',
            language: 'fr',
            channel: 'in-app',
            shownAt,
          })),
        },
      });
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as { recorded: number };
    };
    const t1 = new Date(Date.parse(veto.clock()) + 1).toISOString();
    const t2 = new Date(Date.parse(t1) + 1).toISOString();
    assert.equal((await post(['a1', 'a2', 'a3'], t1)).recorded, 3);
    assert.equal((await post(['b1', 'b2'], t2)).recorded, 2);
    // A repeat records nothing new and commits nothing.
    assert.equal((await post(['b1'], t2)).recorded, 0);

    const env = {
      VETO_DATA_DIR: dir,
      VETO_DATABASE_URL: config.databaseUrl,
      VETO_SECRET: config.secret,
    };
    const verify = () => runVeto(env, 'audit', 'verify');
    const clean = verify();
    assert.equal(clean.code, 0, clean.out + clean.err);

    const sql = async (statement: string) => {
      if (adapter === 'sqlite') {
        const db = new Database(path.join(dir, 'veto.db'));
        db.prepare(statement).run();
        db.close();
      } else await queryOnce(config.databaseUrl, statement);
    };
    const batchOf = async (accountSuffix: string): Promise<string> => {
      const key = veto.registry.subjectKey({ kind: 'account', accountId: accountSuffix });
      if (adapter === 'sqlite') {
        const db = new Database(path.join(dir, 'veto.db'), { readonly: true });
        const r = db
          .prepare('SELECT batch_id FROM notice_exposures WHERE subject_key = ?')
          .get(key) as { batch_id: string };
        db.close();
        return r.batch_id;
      }
      const rows = (await queryOnce(
        config.databaseUrl,
        `SELECT batch_id FROM notice_exposures WHERE subject_key = '${key}'`,
      )) as { batch_id: string }[];
      return rows[0]!.batch_id;
    };
    const first = await batchOf('a1');
    const second = await batchOf('b1');
    assert.notEqual(first, second);
    const a2 = veto.registry.subjectKey({ kind: 'account', accountId: 'a2' });
    const b2 = veto.registry.subjectKey({ kind: 'account', accountId: 'b2' });

    // Each tamper alone fails verify and names its batch; undone, verify passes again.
    const cases = [
      {
        name: 'a showing moved in time',
        batch: first,
        tamper: `UPDATE notice_exposures SET shown_at = '2026-01-01T00:00:00.000Z' WHERE subject_key = '${a2}'`,
        undo: `UPDATE notice_exposures SET shown_at = '${t1}' WHERE subject_key = '${a2}'`,
      },
      {
        name: 'a showing deleted',
        batch: second,
        tamper: `DELETE FROM notice_exposures WHERE subject_key = '${b2}'`,
        undo: `INSERT INTO notice_exposures (subject_key, version_id, channel, shown_at, language, source, recorded_at, batch_id) SELECT '${b2}', version_id, channel, shown_at, language, source, recorded_at, batch_id FROM notice_exposures WHERE batch_id = '${second}'`,
      },
      {
        name: 'a showing added to a committed batch',
        batch: first,
        tamper: `INSERT INTO notice_exposures (subject_key, version_id, channel, shown_at, language, source, recorded_at, batch_id) SELECT 'acct:forged', version_id, channel, shown_at, language, source, recorded_at, batch_id FROM notice_exposures WHERE subject_key = '${a2}'`,
        undo: `DELETE FROM notice_exposures WHERE subject_key = 'acct:forged'`,
      },
      {
        name: 'a batch nobody committed',
        batch: 'forged-batch',
        tamper: `INSERT INTO notice_exposures (subject_key, version_id, channel, shown_at, language, source, recorded_at, batch_id) SELECT 'acct:forged', version_id, channel, shown_at, language, source, recorded_at, 'forged-batch' FROM notice_exposures WHERE subject_key = '${a2}'`,
        undo: `DELETE FROM notice_exposures WHERE subject_key = 'acct:forged'`,
      },
      {
        name: 'a showing in no batch',
        batch: 'belong to no batch, 0 did',
        tamper: `INSERT INTO notice_exposures (subject_key, version_id, channel, shown_at, language, source, recorded_at) SELECT 'acct:forged', version_id, channel, shown_at, language, source, recorded_at FROM notice_exposures WHERE subject_key = '${a2}'`,
        undo: `DELETE FROM notice_exposures WHERE subject_key = 'acct:forged'`,
      },
    ];
    for (const c of cases) {
      await sql(c.tamper);
      const caught = verify();
      assert.equal(caught.code, 1, `${c.name}: ${caught.out}${caught.err}`);
      assert.match(caught.err, /notice exposures: /, c.name);
      assert.ok(caught.err.includes(c.batch), `${c.name}: ${caught.err}`);
      await sql(c.undo);
      const again = verify();
      assert.equal(again.code, 0, `${c.name} undone: ${again.out}${again.err}`);
    }
  });
}
