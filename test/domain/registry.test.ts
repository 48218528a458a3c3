import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppError } from '../../src/domain/errors.ts';
import type { RegistryStore } from '../../src/store/registry-store.ts';
import type { SqliteRegistryStore } from '../../src/store/sqlite/sqlite-registry-store.ts';
import { CaptureMailer } from '../support/capture-mailer.ts';
import { testVeto } from '../support/test-veto.ts';

const alice = { kind: 'account', accountId: 'alice' } as const;

function steppingClock(start = '2026-01-31T09:00:00.000Z') {
  let now = Date.parse(start);
  const clock = () => new Date(now).toISOString();
  return Object.assign(clock, {
    advance(ms: number) {
      now += ms;
    },
  });
}

test('an objection is effective when object() resolves, with a receipt queued and an event logged', async (t) => {
  const { veto } = await testVeto(t);
  const { objection, created } = await veto.registry.object({
    subject: alice,
    channel: 'portal',
    language: 'fr',
    email: 'alice@example.org',
  });
  assert.equal(created, true);
  assert.equal(objection.status, 'effective');
  assert.equal(objection.scope, 'account');
  assert.equal(objection.reasonText, null, 'no reason is needed');
  assert.match(objection.reference, /^VT-/);
  assert.equal(await veto.registry.isObjecting(alice), true);
  const due = await veto.store.dueOutbox('9999-01-01T00:00:00.000Z', 10);
  assert.equal(due.length, 1);
  assert.equal((due[0]!.payload as { template: string }).template, 'receipt');
  const events = [];
  for await (const e of veto.store.readEvents()) events.push(e);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.type, 'objection.recorded');
  assert.equal(
    JSON.stringify(events[0]).includes('alice@example.org'),
    false,
    'no email address in the log',
  );
});

test('the due date is one calendar month from receipt', async (t) => {
  const clock = steppingClock('2026-01-31T09:00:00.000Z');
  const { veto } = await testVeto(t, {}, { clock });
  const { objection } = await veto.registry.object({
    subject: alice,
    channel: 'api',
    language: 'en',
  });
  assert.equal(objection.dueAt, '2026-02-28T09:00:00.000Z');
});

test('concurrent double submissions yield one objection, in fewer transactions than requests', async (t) => {
  const { veto } = await testVeto(t);
  const store = veto.store as RegistryStore;
  let transactions = 0;
  const original = store.transaction.bind(store);
  store.transaction = (work) => {
    transactions += 1;
    return original(work);
  };
  const same = await Promise.all(
    Array.from({ length: 20 }, () =>
      veto.registry.object({ subject: alice, channel: 'portal', language: 'en' }),
    ),
  );
  assert.equal(new Set(same.map((r) => r.objection.id)).size, 1);
  assert.equal(same.filter((r) => r.created).length, 1);
  const many = await Promise.all(
    Array.from({ length: 300 }, (_, i) =>
      veto.registry.object({
        subject: { kind: 'account', accountId: `u${i}` },
        channel: 'api',
        language: 'en',
      }),
    ),
  );
  assert.equal(new Set(many.map((r) => r.objection.id)).size, 300);
  assert.ok(transactions < 40, `group commit: ${transactions} transactions for 320 requests`);
  const audit = await veto.registry.verifyAudit();
  assert.equal(audit.ok, true);
  assert.equal(audit.chain.events, 301);
});

test('an Idempotency-Key replays the first answer and refuses a different body', async (t) => {
  const { veto } = await testVeto(t);
  const cmd = {
    subject: alice,
    channel: 'api' as const,
    language: 'en',
    idempotencyKey: 'client:k1',
    requestHash: 'h1',
  };
  const first = await veto.registry.object(cmd);
  await veto.registry.withdraw(first.objection.id, { subjectKey: first.objection.subjectKey });
  const retry = await veto.registry.object(cmd);
  assert.equal(retry.replayed, true);
  assert.equal(
    retry.objection.id,
    first.objection.id,
    'a retry after withdrawal does not create a new objection',
  );
  await assert.rejects(
    veto.registry.object({ ...cmd, requestHash: 'h2' }),
    (e: AppError) => e.code === 'idempotency-mismatch',
  );
});

test('withdrawal by the person keeps history; nobody else can withdraw or see it', async (t) => {
  const { veto } = await testVeto(t);
  const { objection } = await veto.registry.object({
    subject: alice,
    channel: 'portal',
    language: 'en',
  });
  const bobKey = veto.registry.subjectKey({ kind: 'account', accountId: 'bob' });
  await assert.rejects(
    veto.registry.withdraw(objection.id, { subjectKey: bobKey }),
    (e: AppError) => e.code === 'not-found',
  );
  const w = await veto.registry.withdraw(objection.id, { subjectKey: objection.subjectKey });
  assert.equal(w.status, 'withdrawn');
  assert.ok(w.endedAt);
  await assert.rejects(
    veto.registry.withdraw(objection.id, { subjectKey: objection.subjectKey }),
    (e: AppError) => e.code === 'invalid-state',
  );
  assert.equal(await veto.registry.isObjecting(alice), false);
  const again = await veto.registry.object({ subject: alice, channel: 'portal', language: 'en' });
  assert.equal(again.created, true, 'objecting again after a withdrawal is a new objection');
  assert.equal((await veto.registry.objectionsOf(alice)).length, 2);
  assert.equal((await veto.registry.verifyAudit()).ok, true);
});

test('review mode: decisions need reasons, extensions move the due date and notify', async (t) => {
  const clock = steppingClock('2026-03-10T08:00:00.000Z');
  const { veto } = await testVeto(t, { reviewMode: true }, { clock });
  const { objection } = await veto.registry.object({
    subject: alice,
    channel: 'portal',
    language: 'en',
    email: 'a@example.org',
  });
  assert.equal(objection.review, 'pending');
  assert.equal(objection.status, 'effective', 'effective while pending (Art. 18(1)(d))');
  await assert.rejects(
    veto.registry.extend(objection.id, { months: 3, reason: 'x', reviewer: 'dpo' }),
    (e: AppError) => e.code === 'validation',
  );
  await assert.rejects(
    veto.registry.extend(objection.id, { months: 1, reason: ' ', reviewer: 'dpo' }),
    (e: AppError) => e.field === 'reason',
  );
  const extended = await veto.registry.extend(objection.id, {
    months: 2,
    reason: 'many requests this month',
    reviewer: 'dpo',
  });
  assert.equal(extended.dueAt, '2026-06-10T08:00:00.000Z');
  assert.equal(extended.extensionReason, 'many requests this month');
  await assert.rejects(
    veto.registry.extend(objection.id, { months: 1, reason: 'again', reviewer: 'dpo' }),
    (e: AppError) => e.code === 'invalid-state',
  );
  const templates = (await veto.store.dueOutbox('9999-01-01T00:00:00.000Z', 10)).map(
    (m) => (m.payload as { template: string }).template,
  );
  assert.deepEqual(templates.sort(), ['extension', 'receipt']);
  const decided = await veto.registry.decide(objection.id, {
    outcome: 'overridden',
    reason: 'compelling grounds: fraud detection',
    reviewer: 'dpo',
  });
  assert.equal(decided.status, 'overridden');
  assert.equal(await veto.registry.isObjecting(alice), false);
});

test('an extension must be decided within the first month', async (t) => {
  const clock = steppingClock('2026-03-10T08:00:00.000Z');
  const { veto } = await testVeto(t, { reviewMode: true }, { clock });
  const { objection } = await veto.registry.object({
    subject: alice,
    channel: 'portal',
    language: 'en',
  });
  clock.advance(32 * 86_400_000);
  await assert.rejects(
    veto.registry.extend(objection.id, { months: 1, reason: 'late', reviewer: 'dpo' }),
    (e: AppError) => e.code === 'invalid-state',
  );
});

test('without review mode nobody can override an objection', async (t) => {
  const { veto } = await testVeto(t);
  const { objection } = await veto.registry.object({
    subject: alice,
    channel: 'portal',
    language: 'en',
  });
  await assert.rejects(
    veto.registry.decide(objection.id, {
      outcome: 'overridden',
      reason: 'we want the data',
      reviewer: 'x',
    }),
    (e: AppError) => e.code === 'review-disabled',
  );
});

test('non-users: one-time codes expire, limit attempts and are rate limited', async (t) => {
  const clock = steppingClock('2026-05-01T10:00:00.000Z');
  const mailer = new CaptureMailer();
  const { veto } = await testVeto(t, {}, { clock, mailer });
  const email = 'Someone@Example.org';
  await veto.registry.requestEmailCode(email, 'fr');
  const code = /\b(\d{6})\b/.exec(mailer.to('someone@example.org').at(-1)!.text)?.[1];
  assert.ok(code, 'the code is in the email');
  await assert.rejects(
    veto.registry.verifyEmailCode(email, code === '000000' ? '111111' : '000000'),
    (e: AppError) => e.code === 'code-invalid',
  );
  await veto.registry.verifyEmailCode('someone@example.org', code);
  await assert.rejects(
    veto.registry.verifyEmailCode(email, code),
    (e: AppError) => e.code === 'code-invalid',
    'a code works once',
  );

  await veto.registry.requestEmailCode(email, 'fr');
  clock.advance(16 * 60_000);
  const late = /\b(\d{6})\b/.exec(mailer.sent.at(-1)!.text)![1]!;
  await assert.rejects(
    veto.registry.verifyEmailCode(email, late),
    (e: AppError) => e.code === 'code-expired',
  );

  await veto.registry.requestEmailCode(email, 'fr');
  for (let i = 0; i < 4; i++) await assert.rejects(veto.registry.verifyEmailCode(email, 'abcdef'));
  await assert.rejects(
    veto.registry.verifyEmailCode(email, 'abcdef'),
    (e: AppError) => e.code === 'code-attempts',
  );

  await veto.registry.requestEmailCode(email, 'fr');
  await veto.registry.requestEmailCode(email, 'fr');
  await assert.rejects(
    veto.registry.requestEmailCode(email, 'fr'),
    (e: AppError) => e.code === 'rate-limited',
  );
  clock.advance(61 * 60_000);
  await veto.registry.requestEmailCode(email, 'fr');
});

test('non-user subjects are keyed by a keyed hash, never by the address', async (t) => {
  const { veto } = await testVeto(t);
  const { objection } = await veto.registry.object({
    subject: { kind: 'email', email: 'Nina@Example.org ' },
    channel: 'portal',
    language: 'en',
    appearsAt: ['@nina', ' '],
  });
  assert.match(objection.subjectKey, /^email:[0-9a-f]{40}$/);
  assert.equal(objection.subjectKind, 'non-user');
  assert.deepEqual(objection.appearsAt, ['@nina']);
  const same = await veto.registry.object({
    subject: { kind: 'email', email: 'nina@example.org' },
    channel: 'portal',
    language: 'en',
  });
  assert.equal(same.objection.id, objection.id);
  assert.equal((await veto.store.getContact(objection.subjectKey))?.email, 'nina@example.org');
});

test('bad input names the field', async (t) => {
  const { veto } = await testVeto(t);
  await assert.rejects(
    veto.registry.object({
      subject: { kind: 'email', email: 'not-an-address' },
      channel: 'portal',
      language: 'en',
    }),
    (e: AppError) => e.field === 'subject.email',
  );
  await assert.rejects(
    veto.registry.object({
      subject: { kind: 'account', accountId: ' ' },
      channel: 'api',
      language: 'en',
    }),
    (e: AppError) => e.field === 'subject.accountId',
  );
  await assert.rejects(
    veto.registry.object({
      subject: alice,
      purpose: 'marketing-x',
      channel: 'api',
      language: 'en',
    }),
    (e: AppError) => e.field === 'purpose',
  );
});

test('snapshots are "as of" an instant: later and withdrawn objections are handled', async (t) => {
  const clock = steppingClock('2026-06-01T00:00:00.000Z');
  const { veto } = await testVeto(t, {}, { clock });
  const a = await veto.registry.object({ subject: alice, channel: 'api', language: 'en' });
  clock.advance(1000);
  const b = await veto.registry.object({
    subject: { kind: 'account', accountId: 'bob' },
    channel: 'api',
    language: 'en',
  });
  clock.advance(1000);
  const asOf = clock();
  clock.advance(1000);
  await veto.registry.withdraw(b.objection.id, { subjectKey: b.objection.subjectKey });
  await veto.registry.object({
    subject: { kind: 'account', accountId: 'carol' },
    channel: 'api',
    language: 'en',
  });
  const keys: string[] = [];
  for await (const k of veto.store.objectorsAsOf('ai-training', asOf)) keys.push(k);
  assert.deepEqual(keys, ['acct:alice', 'acct:bob']);
  assert.deepEqual(await veto.store.objectorsAddedSince('ai-training', asOf), ['acct:carol']);
  assert.equal(a.objection.status, 'effective');
});

test('audit verify finds an edited objection row and a deleted event', async (t) => {
  const { veto } = await testVeto(t);
  const { objection } = await veto.registry.object({
    subject: alice,
    channel: 'api',
    language: 'en',
  });
  await veto.registry.object({
    subject: { kind: 'account', accountId: 'bob' },
    channel: 'api',
    language: 'en',
  });
  const db = (veto.store as SqliteRegistryStore).db;
  db.prepare(`UPDATE objections SET status = 'withdrawn' WHERE id = ?`).run(objection.id);
  let report = await veto.registry.verifyAudit();
  assert.equal(report.ok, false);
  assert.match(report.mismatches[0]!, /is "withdrawn" but the log says "effective"/);
  db.prepare(`UPDATE objections SET status = 'effective' WHERE id = ?`).run(objection.id);
  db.prepare('DELETE FROM audit_events WHERE seq = 1').run();
  report = await veto.registry.verifyAudit();
  assert.deepEqual(report.chain.problem, { kind: 'gap', seq: 2, expectedSeq: 1 });
});
