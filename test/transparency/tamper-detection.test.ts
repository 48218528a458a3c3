import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { AuditEvent } from '../../src/domain/types.ts';
import {
  COSIGNATURE_V1,
  cosignatureLine,
  generateSigner,
  parseNote,
} from '../../src/transparency/signed-note.ts';
import { collect } from '../store/registry-store.suite.ts';
import { runVeto } from '../support/veto-cli.ts';
import { ADAPTERS, adapterAvailable, testVetoOn } from '../support/veto-on.ts';
import { type Exec, executor, plain, rewriteLog } from './forge-log.ts';

/**
 * Every way of rewriting the registry's history tried so far, each performed on a real
 * database (an SQLite file, a PostgreSQL schema) the way someone with write access would, and
 * each caught by the spawned `veto audit verify` against a checkpoint fetched before
 * (`--checkpoint FILE`) and against a witness's cosignature (`--witness KEY`). The forgeries
 * that rewrite the whole log consistently (chain, head, tiles, objections) pass the plain check:
 * only what was published or cosigned outside the database can catch them.
 */

const SECRET = 'test-secret-0123456789-0123456789-0123456789';

interface Case {
  name: string;
  /** Whether the plain `audit verify` is fooled (the forgery is consistent in itself). */
  consistent?: boolean;
  tamper(exec: Exec, events: AuditEvent[], victim: string): Promise<void>;
}

const CASES: Case[] = [
  {
    name: 'edit an event',
    tamper: (exec) => exec(`UPDATE audit_events SET type = 'objection.edited' WHERE seq = 2`),
  },
  { name: 'delete an event', tamper: (exec) => exec('DELETE FROM audit_events WHERE seq = 3') },
  {
    name: 'swap two events',
    async tamper(exec) {
      await exec('UPDATE audit_events SET seq = 1000 WHERE seq = 2');
      await exec('UPDATE audit_events SET seq = 2 WHERE seq = 3');
      await exec('UPDATE audit_events SET seq = 3 WHERE seq = 1000');
    },
  },
  { name: 'truncate the log', tamper: (exec) => exec('DELETE FROM audit_events WHERE seq > 2') },
  {
    name: 'purpose edit (row and event, chain re-hashed)',
    consistent: true,
    async tamper(exec, events, victim) {
      await exec(`UPDATE objections SET purpose = 'direct-marketing' WHERE id = ?`, [victim]);
      await rewriteLog(
        exec,
        events.map((e) =>
          e.objectionId === victim
            ? { ...plain(e), data: { ...e.data, purpose: 'direct-marketing' } }
            : plain(e),
        ),
      );
    },
  },
  {
    name: 'date edit (row and event, chain re-hashed)',
    consistent: true,
    async tamper(exec, events, victim) {
      const later = '2031-01-01T00:00:00.000Z';
      await exec('UPDATE objections SET received_at = ? WHERE id = ?', [later, victim]);
      await rewriteLog(
        exec,
        events.map((e) =>
          e.objectionId === victim && e.type === 'objection.recorded'
            ? { ...plain(e), at: later }
            : plain(e),
        ),
      );
    },
  },
  {
    name: "full re-hash after deleting one person's events",
    consistent: true,
    async tamper(exec, events, victim) {
      await exec('DELETE FROM objections WHERE id = ?', [victim]);
      await rewriteLog(exec, events.filter((e) => e.objectionId !== victim).map(plain));
    },
  },
  {
    name: 'consistent truncation of events, objections and head',
    consistent: true,
    async tamper(exec, events) {
      const keep = events.slice(0, 2);
      const ids = new Set(keep.map((e) => e.objectionId));
      for (const e of events) {
        if (e.objectionId && !ids.has(e.objectionId)) {
          await exec('DELETE FROM objections WHERE id = ?', [e.objectionId]);
        }
      }
      await rewriteLog(exec, keep.map(plain));
    },
  },
];

for (const adapter of ADAPTERS) {
  for (const c of CASES) {
    test(`${adapter}: ${c.name} is caught against a kept checkpoint and a witness`, {
      timeout: 120_000,
    }, async (t) => {
      if (!(await adapterAvailable(adapter))) return t.skip('PostgreSQL unavailable');
      const witness = generateSigner('witness.example', COSIGNATURE_V1);
      const { veto, config, dir } = await testVetoOn(adapter, t, {
        transparencyWitnesses: [witness.vkey],
      });
      const ids: string[] = [];
      for (const who of ['ana', 'ben', 'chloé', 'dario']) {
        const { objection } = await veto.registry.object({
          subject: { kind: 'account', accountId: who },
          channel: 'api',
          language: 'en',
        });
        ids.push(objection.id);
      }
      await veto.registry.withdraw(ids[3]!, { admin: 'admin' });
      // What was published and cosigned: the log as it stood then.
      const { note } = await veto.transparency.checkpoint();
      const published = path.join(dir, 'published-checkpoint.txt');
      writeFileSync(published, note);
      const text = parseNote(note).text;
      await veto.transparency.addCosignatures(
        note + cosignatureLine(witness, text, Math.floor(Date.now() / 1000)),
      );
      // The log goes on growing afterwards.
      await veto.registry.object({
        subject: { kind: 'account', accountId: 'eve' },
        channel: 'api',
        language: 'en',
      });
      const events = await collect(veto.store.readEvents());
      const env = {
        VETO_DATA_DIR: dir,
        VETO_DATABASE_URL: config.databaseUrl,
        VETO_SECRET: SECRET,
      };

      const before = runVeto(
        env,
        'audit',
        'verify',
        '--checkpoint',
        published,
        '--witness',
        witness.vkey,
      );
      assert.equal(before.code, 0, before.out + before.err);
      assert.match(before.out, /still holds its \d+ events unchanged/);

      // The victim: the second person (not the first event, so a prefix survives truncation).
      await c.tamper(executor(adapter, config.databaseUrl, dir), events, ids[1]!);

      if (c.consistent) {
        const fooled = runVeto(env, 'audit', 'verify');
        assert.equal(fooled.code, 0, `the forgery should pass the plain check: ${fooled.err}`);
      }
      const byCheckpoint = runVeto(env, 'audit', 'verify', '--checkpoint', published);
      assert.equal(byCheckpoint.code, 1, byCheckpoint.out + byCheckpoint.err);
      assert.match(
        byCheckpoint.err,
        /transparency log: checkpoint .*published-checkpoint\.txt: (REWRITTEN|TRUNCATED)/,
      );
      const byWitness = runVeto(env, 'audit', 'verify', '--witness', witness.vkey);
      assert.equal(byWitness.code, 1, byWitness.out + byWitness.err);
      assert.match(byWitness.err, /cosigned by witness\.example \(stored\): (REWRITTEN|TRUNCATED)/);
    });
  }
}

test('sqlite: deleting the stored cosignatures too does not help: the witness check fails closed', {
  timeout: 60_000,
}, async (t) => {
  const witness = generateSigner('witness.example', COSIGNATURE_V1);
  const { veto, config, dir } = await testVetoOn('sqlite', t, {
    transparencyWitnesses: [witness.vkey],
  });
  await veto.registry.object({
    subject: { kind: 'account', accountId: 'ana' },
    channel: 'api',
    language: 'en',
  });
  const { note } = await veto.transparency.checkpoint();
  await veto.transparency.addCosignatures(
    note + cosignatureLine(witness, parseNote(note).text, Math.floor(Date.now() / 1000)),
  );
  const exec = executor('sqlite', config.databaseUrl, dir);
  await exec('DELETE FROM transparency_cosignatures');
  const env = { VETO_DATA_DIR: dir, VETO_DATABASE_URL: config.databaseUrl, VETO_SECRET: SECRET };
  const r = runVeto(env, 'audit', 'verify', '--witness', witness.vkey);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.err, /witness witness\.example: no checkpoint it cosigned/);
});
