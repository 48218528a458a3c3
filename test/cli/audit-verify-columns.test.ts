import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { compareRegistryWithLog } from '../../src/domain/audit-registry-check.ts';
import type { Objection } from '../../src/domain/types.ts';
import type { RegistryStore } from '../../src/store/registry-store.ts';
import type { SqliteRegistryStore } from '../../src/store/sqlite/sqlite-registry-store.ts';
import { queryOnce } from '../store/postgres-test-db.ts';
import { runVeto } from '../support/veto-cli.ts';
import { ADAPTERS, adapterAvailable, testVetoOn } from '../support/veto-on.ts';

/**
 * `veto audit verify` compares every column the log records with the objections table: one
 * column tampered on each of as many objections, in a real registry on each adapter, and the
 * spawned command names every objection and its column.
 */

const SECRET = 'test-secret-0123456789-0123456789-0123456789';

function verify(databaseUrl: string, dataDir: string) {
  return runVeto(
    { VETO_DATA_DIR: dataDir, VETO_DATABASE_URL: databaseUrl, VETO_SECRET: SECRET },
    'audit',
    'verify',
  );
}

/** Each column, the objection state it needs, and the edit (SQL SET clause) that tampers with it. */
const TAMPERS = [
  { column: 'subject_key', set: `subject_key = 'acct:somebody-else'` },
  { column: 'subject_kind', set: `subject_kind = 'non-user'` },
  { column: 'reference', set: `reference = 'VT-AAAA-BBBB-CCCC'` },
  // The edit that took a person out of the `ai-training` snapshot.
  { column: 'purpose', set: `purpose = 'direct-marketing'` },
  { column: 'scope', set: `scope = 'posts'` },
  { column: 'channel', set: `channel = 'portal'` },
  { column: 'language', set: `language = 'de'` },
  // The other one: received after the snapshot's cut-off, so not in it.
  { column: 'received_at', set: `received_at = '2031-01-01T00:00:00.000Z'` },
  { column: 'due_at', set: `due_at = '2031-02-01T00:00:00.000Z'` },
  { column: 'status', set: `status = 'withdrawn'` },
  { column: 'ended_at', set: `ended_at = '2026-01-01T00:00:00.000Z'` },
  { column: 'review', set: `review = 'upheld'` },
  { column: 'decided_at', set: `decided_at = '2026-01-02T00:00:00.000Z'`, state: 'decided' },
  { column: 'decided_by', set: `decided_by = 'mallory'`, state: 'decided' },
  { column: 'decision_reason', set: `decision_reason = 'edited grounds'`, state: 'decided' },
  { column: 'extension_reason', set: `extension_reason = 'edited reason'`, state: 'extended' },
  { column: 'reason_text', set: `reason_text = 'edited text'` },
  { column: 'appears_at', set: `appears_at = '["@someone-else"]'` },
] as const;

for (const adapter of ADAPTERS) {
  test(`audit verify (${adapter}): every column the log records, tampered, is named with its objection`, {
    timeout: 120_000,
  }, async (t) => {
    if (!(await adapterAvailable(adapter))) return t.skip('PostgreSQL unavailable');
    const { veto, config, dir } = await testVetoOn(adapter, t, { reviewMode: true });
    const registry = veto.registry;
    const ids = new Map<string, string>();
    for (const [i, tamper] of TAMPERS.entries()) {
      const { objection } = await registry.object({
        subject: { kind: 'account', accountId: `user-${i}` },
        channel: 'api',
        reasonText: 'my reasons',
        appearsAt: ['@me', 'https://social.example/p/1'],
        language: 'fr',
      });
      const state = 'state' in tamper ? tamper.state : undefined;
      if (state === 'decided') {
        await registry.decide(objection.id, {
          outcome: 'upheld',
          reason: 'the objection stands',
          reviewer: 'dpo',
        });
      }
      if (state === 'extended') {
        await registry.extend(objection.id, {
          months: 1,
          reason: 'many requests',
          reviewer: 'dpo',
        });
      }
      ids.set(tamper.column, objection.id);
    }
    const untouched = await registry.object({
      subject: { kind: 'account', accountId: 'untouched' },
      channel: 'api',
      language: 'en',
    });
    await registry.withdraw(untouched.objection.id, { admin: 'admin' });

    const databaseUrl = config.databaseUrl;
    const before = verify(databaseUrl, dir);
    assert.equal(before.code, 0, before.err);
    assert.match(before.out, /audit chain OK/);

    for (const { column, set } of TAMPERS) {
      const sql = `UPDATE objections SET ${set} WHERE id = '${ids.get(column)}'`;
      if (adapter === 'sqlite') {
        const db = new Database(path.join(dir, 'veto.db'));
        db.prepare(sql).run();
        db.close();
      } else {
        await queryOnce(databaseUrl, sql);
      }
    }
    const after = verify(databaseUrl, dir);
    assert.equal(after.code, 1, after.out + after.err);
    for (const { column } of TAMPERS) {
      const id = ids.get(column)!;
      const line = after.err.split('\n').find((l) => l.includes(`objection ${id}: ${column} `));
      assert.ok(line, `${column} of ${id} not named:\n${after.err}`);
    }
    // Nothing else is blamed: one line per tampered column, none for the untouched objection.
    const lines = after.err.split('\n').filter((l) => l.startsWith('registry disagrees'));
    assert.equal(lines.length, TAMPERS.length, after.err);
    assert.doesNotMatch(after.err, new RegExp(untouched.objection.id));
    // Free text never reaches the report, only the column's name.
    assert.doesNotMatch(after.err, /edited text|edited grounds|someone-else"/);
  });
}

/** The store's reads that the comparison uses, some replaced. */
function storeWith(store: RegistryStore, replaced: Partial<RegistryStore>): RegistryStore {
  return {
    readObjections: () => store.readObjections(),
    readObjectionEvents: (seq: number) => store.readObjectionEvents(seq),
    eventsOfObjections: (ids: readonly string[]) => store.eventsOfObjections(ids),
    getObjection: (id: string) => store.getObjection(id),
    ...replaced,
  } as RegistryStore;
}

test('audit verify reads a row again before blaming it: a change committed meanwhile is no mismatch', async (t) => {
  const { veto } = await testVetoOn('sqlite', t);
  const { objection } = await veto.registry.object({
    subject: { kind: 'account', accountId: 'racer' },
    channel: 'api',
    language: 'en',
  });
  const head = await veto.store.chainHead();
  // The withdrawal commits after the chain was checked and the rows were read.
  const stale: Objection = { ...objection };
  await veto.registry.withdraw(objection.id, { admin: 'admin' });
  const racing = storeWith(veto.store, {
    async *readObjections() {
      yield stale;
    },
  });
  const report = await compareRegistryWithLog(racing, head.seq, SECRET);
  assert.deepEqual(report.mismatches, []);
  // A row the log does not know is blamed, once read again.
  const ghost: Objection = { ...objection, id: '00000000-0000-7000-8000-000000000000' };
  const haunted = storeWith(veto.store, {
    async *readObjections() {
      yield ghost;
      yield (await veto.store.getObjection(objection.id))!;
    },
    getObjection: async (id: string) => (id === ghost.id ? ghost : veto.store.getObjection(id)),
  });
  const blamed = await compareRegistryWithLog(haunted, (await veto.store.chainHead()).seq, SECRET);
  assert.deepEqual(blamed.mismatches, [`objection ${ghost.id} has no "objection.recorded" event`]);
});

test('audit verify on events from before the log carried language and digests: compared for what they hold, and said', async (t) => {
  const { veto } = await testVetoOn('sqlite', t);
  const { objection } = await veto.registry.object({
    subject: { email: 'nina@example.org', kind: 'email' },
    channel: 'api',
    appearsAt: ['@nina'],
    reasonText: 'why',
    language: 'fr',
  });
  // An objection recorded the way the log recorded them before: no language, no digests.
  const legacy: Objection = {
    ...objection,
    id: '00000000-0000-7000-8000-00000000000a',
    reference: 'VT-LEGA-CY00-0001',
    subjectKey: 'acct:legacy',
    subjectKind: 'account',
  };
  await veto.store.transaction(async (tx) => {
    await tx.insertObjections([legacy]);
    await tx.appendEvents([
      {
        at: legacy.receivedAt,
        type: 'objection.recorded',
        objectionId: legacy.id,
        subjectKey: legacy.subjectKey,
        data: {
          reference: legacy.reference,
          purpose: legacy.purpose,
          scope: legacy.scope,
          channel: legacy.channel,
          subjectKind: legacy.subjectKind,
          review: legacy.review,
          dueAt: legacy.dueAt,
          withReason: true,
        },
      },
    ]);
  });
  const ok = await veto.registry.verifyAudit();
  assert.equal(ok.ok, true, ok.mismatches.join('\n'));
  assert.equal(ok.notes.length, 1);
  assert.match(ok.notes[0]!, /^1 objection\(s\) were recorded before the log carried language/);
  // What the old event does carry is still compared: the reason's presence, the purpose.
  const db = (veto.store as SqliteRegistryStore).db;
  db.prepare(`UPDATE objections SET reason_text = NULL, purpose = 'x' WHERE id = ?`).run(legacy.id);
  const bad = await veto.registry.verifyAudit();
  assert.deepEqual(bad.mismatches, [
    `objection ${legacy.id}: purpose is "x" but the log says "ai-training"`,
    `objection ${legacy.id}: reason_text is empty but the log says it is set`,
  ]);
});
