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

    // Every kind of tamper at once (each on its own rows): one run of verify names each.
    const forged = (n: number, batch: string | null) =>
      `INSERT INTO notice_exposures (subject_key, version_id, channel, shown_at, language, source, recorded_at, batch_id) SELECT 'acct:forged-${n}', version_id, channel, shown_at, language, source, recorded_at, ${batch === null ? 'NULL' : `'${batch}'`} FROM notice_exposures WHERE subject_key = '${a2}'`;
    const a3 = veto.registry.subjectKey({ kind: 'account', accountId: 'a3' });
    const tampers = [
      // A showing moved in time, in the first batch.
      `UPDATE notice_exposures SET shown_at = '2026-01-01T00:00:00.000Z' WHERE subject_key = '${a3}'`,
      // A showing deleted from the second.
      `DELETE FROM notice_exposures WHERE subject_key = '${b2}'`,
      // A showing added to the first (already named above), one in a batch nobody committed,
      // and one in no batch.
      forged(1, first),
      forged(2, 'forged-batch'),
      forged(3, null),
    ];
    for (const statement of tampers) await sql(statement);
    const caught = verify();
    assert.equal(caught.code, 1, caught.out + caught.err);
    const problems = caught.err.split('\n').filter((l) => l.startsWith('notice exposures: '));
    const naming = (what: string) => problems.filter((l) => l.includes(what));
    assert.equal(naming(`exposure batch ${first} `).length, 1, caught.err);
    assert.match(naming(`exposure batch ${first} `)[0]!, /table's 4 rows give root/);
    assert.equal(naming(`exposure batch ${second} `).length, 1, caught.err);
    assert.match(naming(`exposure batch ${second} `)[0]!, /table's 1 rows give root/);
    assert.equal(naming('exposure batch forged-batch: 1 rows that no event').length, 1, caught.err);
    assert.equal(naming('1 exposures belong to no batch, 0 did').length, 1, caught.err);
    assert.equal(problems.length, 4, caught.err);
  });
}
