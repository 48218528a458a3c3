import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { openRemovalStore, type Veto } from '../../src/app/wire.ts';
import type { AuditEvent } from '../../src/domain/types.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import type { InclusionRow } from '../../src/gate/registry-port.ts';
import type { RemovalStore } from '../../src/store/removal-store.ts';
import { type Adapter, testVetoOn } from '../support/veto-on.ts';

/**
 * The RemovalStore contract, run against every adapter through the production wiring
 * (test/store/*-removal-store.test.ts). Each test gets a fresh database (SQLite file, or
 * PostgreSQL schema). Datasets are recorded through the wired gate port, objections through the
 * registry, so the planner reads real audit events and a real inclusion index.
 */
export function removalStoreSuite(adapter: Adapter): void {
  let clockAt = Date.parse('2026-11-28T12:00:00.000Z');
  const clock = () => {
    clockAt += 1000;
    return new Date(clockAt).toISOString();
  };

  async function fresh(t: TestContext): Promise<{ veto: Veto; store: RemovalStore }> {
    const { veto } = await testVetoOn(adapter, t, {}, { clock });
    const store = await openRemovalStore(veto.store);
    assert.ok(store, `a removal store on ${adapter}`);
    return { veto, store };
  }

  function manifest(datasetId: string, purpose = 'ai-training'): DatasetManifest {
    const hash = 'a'.repeat(64);
    return {
      datasetId,
      purpose,
      policy: { id: 'p', sha256: hash },
      snapshot: { id: 'snap', sha256: hash },
      output: { sha256: hash, records: 1 },
    } as unknown as DatasetManifest;
  }

  const row = (datasetId: string, subjectKey: string, itemId: string, role = 'author') =>
    ({ datasetId, subjectKey, itemId, role }) as InclusionRow;

  const object = (veto: Veto, accountId: string, extra: Record<string, unknown> = {}) =>
    veto.registry.object({
      subject: { kind: 'account', accountId },
      channel: 'api',
      language: 'en',
      ...extra,
    });

  describe(`RemovalStore contract: ${adapter}`, () => {
    test('an objection after the build: one removal per dataset, nothing planned twice', async (t) => {
      const { veto, store } = await fresh(t);
      await veto.gate.recordDataset(manifest('ds_a'), [
        row('ds_a', 'acct:u1', 'p2'),
        row('ds_a', 'acct:u1', 'p1'),
        row('ds_a', 'acct:u1', 'p1', 'mention'),
        row('ds_a', 'acct:u2', 'p3'),
      ]);
      await veto.gate.recordDataset(manifest('ds_b'), [row('ds_b', 'acct:u1', 'q1')]);
      await veto.gate.recordDataset(manifest('ds_other', 'other'), [
        row('ds_other', 'acct:u1', 'z1'),
      ]);
      assert.equal(await veto.removalPlanner!.drain(), 0, 'no objection yet');
      await object(veto, 'u1', { email: 'u1@example.org' });
      assert.equal(await veto.removalPlanner!.drain(), 2);
      assert.equal(await veto.removalPlanner!.drain(), 0, 'the cursor moved');
      const [a, ...moreA] = await store.removalsOf('ds_a');
      assert.equal(moreA.length, 0);
      assert.deepEqual(a!.itemIds, ['p1', 'p2']);
      assert.equal(a!.subjectKey, 'acct:u1');
      assert.equal(a!.purpose, 'ai-training');
      assert.deepEqual(
        (await store.removalsOf('ds_b')).map((r) => r.itemIds),
        [['q1']],
      );
      assert.deepEqual(await store.removalsOf('ds_other'), [], 'another purpose');
      // Clearance reads the objections effective now: each item once, sorted, purpose-bound.
      assert.deepEqual(await store.objectedItemsOf('ds_a'), ['p1', 'p2']);
      assert.deepEqual(await store.objectedItemsOf('ds_b'), ['q1']);
      assert.deepEqual(await store.objectedItemsOf('ds_other'), [], 'another purpose');
      assert.deepEqual(await store.objectedItemsOf('ds_none'), []);
      // One email for the person, however many datasets.
      const due = await veto.store.dueOutbox('9999-01-01T00:00:00.000Z', 100);
      assert.equal(due.filter((m) => m.payload.template === 'removal').length, 1);
      const report = await veto.registry.verifyAudit();
      assert.ok(report.ok, JSON.stringify(report));

      const seen = await store.subjectDatasets('acct:u1');
      assert.deepEqual(
        seen.map((d) => [d.datasetId, d.purpose, d.items, d.removal?.items ?? null]),
        [
          ['ds_a', 'ai-training', 2, 2],
          ['ds_b', 'ai-training', 1, 1],
          ['ds_other', 'other', 1, null],
        ],
      );
      assert.match(seen[0]!.recordedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(seen[0]!.replacedBy, null);
    });

    test('models, recipients and their outbox: byte order, delivery, failure', async (t) => {
      const { veto, store } = await fresh(t);
      await veto.gate.recordDataset(manifest('ds_a'), [row('ds_a', 'acct:u1', 'p1')]);
      assert.equal(await store.datasetExists('ds_a'), true);
      assert.equal(await store.datasetExists('nope'), false);
      const at = '2026-11-28T10:00:00.000Z';
      // Byte order puts upper case first ("B" < "a"), whatever the database's locale.
      for (const [id, name] of [
        ['rcp_a', 'alpha'],
        ['rcp_B', 'Beta'],
      ] as const) {
        await store.addRecipient({
          id,
          datasetId: 'ds_a',
          name,
          webhookUrl: id === 'rcp_a' ? 'http://127.0.0.1:9/hook' : null,
          webhookSecret: id === 'rcp_a' ? 'whsec_x' : null,
          natsSubject: 'partner.removals',
          receivedAt: at,
          createdAt: at,
        });
      }
      await store.addModel({
        id: 'mdl_b',
        datasetId: 'ds_a',
        name: 'b-model',
        trainedAt: null,
        recordedAt: at,
      });
      await store.addModel({
        id: 'mdl_A',
        datasetId: 'ds_a',
        name: 'a-model',
        trainedAt: at,
        recordedAt: at,
      });
      assert.deepEqual(
        (await store.listRecipients('ds_a')).map((r) => r.id),
        ['rcp_B', 'rcp_a'],
      );
      assert.deepEqual(
        (await store.listRecipients()).map((r) => r.id),
        ['rcp_B', 'rcp_a'],
      );
      assert.deepEqual(await store.listRecipients('nope'), []);
      assert.deepEqual(
        (await store.listModels()).map((m) => m.id),
        ['mdl_A', 'mdl_b'],
      );
      assert.deepEqual(await store.getModel('mdl_b'), {
        id: 'mdl_b',
        datasetId: 'ds_a',
        name: 'b-model',
        trainedAt: null,
        recordedAt: at,
      });
      assert.equal(await store.getModel('nope'), undefined);

      await object(veto, 'u1');
      assert.equal(await veto.removalPlanner!.drain(), 1);
      const due = await store.dueRecipientMessages('9999-01-01T00:00:00.000Z', 10);
      // rcp_a: webhook + nats; rcp_B: nats.
      assert.equal(due.length, 3);
      assert.deepEqual(due.map((m) => m.channel).sort(), ['nats', 'nats', 'webhook']);
      assert.ok(due.every((m) => m.attempts === 0 && m.payload.type === 'dataset.removal'));
      const hook = due.find((m) => m.channel === 'webhook')!;
      assert.equal(hook.recipient.webhookSecret, 'whsec_x');
      assert.deepEqual((hook.payload.data as { itemIds: string[] }).itemIds, ['p1']);
      assert.deepEqual(await store.dueRecipientMessages('2000-01-01T00:00:00.000Z', 10), []);

      await store.markRecipientMessageFailed(hook.id, 'x'.repeat(600), '2100-01-01T00:00:00.000Z');
      await store.markRecipientMessagesDelivered(
        due.filter((m) => m !== hook).map((m) => m.id),
        '2026-11-28T12:30:00.000Z',
      );
      await store.markRecipientMessagesDelivered([], '2026-11-28T12:30:00.000Z');
      // Each acknowledgement is a logged event, once per message: marking again adds none.
      await store.markRecipientMessagesDelivered(
        due.filter((m) => m !== hook).map((m) => m.id),
        '2026-11-28T12:31:00.000Z',
      );
      const acknowledged: AuditEvent[] = [];
      for await (const e of veto.store.readEvents()) {
        if (e.type === 'removal.acknowledged') acknowledged.push(e);
      }
      assert.deepEqual(
        acknowledged.map((e) => [e.at, e.data.messageId, e.data.datasetId, e.subjectKey]).sort(),
        due
          .filter((m) => m !== hook)
          .map((m) => ['2026-11-28T12:30:00.000Z', m.id, 'ds_a', 'acct:u1'])
          .sort(),
      );
      assert.ok((await veto.registry.verifyAudit()).ok);
      assert.deepEqual(await store.dueRecipientMessages('2099-01-01T00:00:00.000Z', 10), []);
      const later = await store.dueRecipientMessages('2100-01-01T00:00:00.000Z', 10);
      assert.deepEqual(
        later.map((m) => [m.id, m.attempts]),
        [[hook.id, 1]],
      );
      // The backlog: one undelivered message, failing, listed once the threshold has passed.
      const backlog = await store.recipientBacklog('9999-01-01T00:00:00.000Z', 10);
      assert.equal(backlog.pending, 1);
      assert.equal(backlog.oldestCreatedAt, hook.createdAt);
      assert.deepEqual(
        backlog.failing.map((m) => [m.id, m.attempts, m.channel, m.lastError?.length]),
        [[hook.id, 1, 'webhook', 500]],
      );
      assert.deepEqual((await store.recipientBacklog('2000-01-01T00:00:00.000Z', 10)).failing, []);

      const [held] = await store.subjectDatasets('acct:u1');
      assert.deepEqual(
        held!.recipients.map((r) => r.name),
        ['Beta', 'alpha'],
      );
      assert.deepEqual(
        held!.models.map((m) => m.name),
        ['a-model', 'b-model'],
      );
      assert.deepEqual(held!.removal!.deliveries, [
        { recipient: 'Beta', channel: 'nats', deliveredAt: '2026-11-28T12:30:00.000Z' },
        { recipient: 'alpha', channel: 'nats', deliveredAt: '2026-11-28T12:30:00.000Z' },
        { recipient: 'alpha', channel: 'webhook', deliveredAt: null },
      ]);
    });

    test('memorisation reports are stored with their email, per subject', async (t) => {
      const { veto, store } = await fresh(t);
      await veto.gate.recordDataset(manifest('ds_a'), [row('ds_a', 'acct:u1', 'p1')]);
      await store.addModel({
        id: 'mdl_1',
        datasetId: 'ds_a',
        name: 'm',
        trainedAt: null,
        recordedAt: '2026-11-28T10:00:00.000Z',
      });
      const report = {
        id: 'mem_1',
        reference: 'VT-MEM-1',
        subjectKey: 'acct:u1',
        modelId: 'mdl_1',
        description: 'It quoted my address «verbatim»',
        language: 'fr',
        receivedAt: '2026-11-28T11:00:00.000Z',
        dueAt: '2026-12-28T11:00:00.000Z',
      };
      await store.addMemorisationReport(report, {
        id: 'mail_1',
        kind: 'email',
        createdAt: report.receivedAt,
        payload: { template: 'memorisation', to: 'u1@example.org' },
      });
      await store.addMemorisationReport({ ...report, id: 'mem_2', reference: 'VT-MEM-2' }, null);
      assert.deepEqual(
        (await store.memorisationReportsOf('acct:u1')).map((r) => r.id),
        ['mem_1', 'mem_2'],
      );
      assert.deepEqual((await store.memorisationReportsOf('acct:u1'))[0], {
        ...report,
        answer: null,
      });
      assert.deepEqual(await store.memorisationReportsOf('acct:u2'), []);
      const due = await veto.store.dueOutbox('9999-01-01T00:00:00.000Z', 10);
      assert.deepEqual(
        due.map((m) => m.id),
        ['mail_1'],
      );
      await assert.rejects(store.addMemorisationReport({ ...report, id: 'mem_3' }, null));
    });

    test('memorisation reports are listed by due date and answered once, the answer email with it', async (t) => {
      const { veto, store } = await fresh(t);
      await veto.gate.recordDataset(manifest('ds_a'), [row('ds_a', 'acct:u1', 'p1')]);
      await store.addModel({
        id: 'mdl_1',
        datasetId: 'ds_a',
        name: 'm',
        trainedAt: null,
        recordedAt: '2026-11-28T10:00:00.000Z',
      });
      const report = {
        id: 'mem_1',
        reference: 'VT-MEM-1',
        subjectKey: 'acct:u1',
        modelId: 'mdl_1',
        description: 'It quoted my address',
        language: 'fr',
        receivedAt: '2026-11-28T11:00:00.000Z',
        dueAt: '2026-12-28T11:00:00.000Z',
      };
      await store.addMemorisationReport(report, null, 'u1@example.org');
      await store.addMemorisationReport(
        { ...report, id: 'mem_0', reference: 'VT-MEM-0', dueAt: '2026-12-20T00:00:00.000Z' },
        null,
      );
      assert.deepEqual(
        (await store.listMemorisationReports()).map((r) => r.reference),
        ['VT-MEM-0', 'VT-MEM-1'],
      );
      assert.equal(await store.memorisationContact('mem_1'), 'u1@example.org');
      assert.equal(await store.memorisationContact('mem_0'), null);
      const answer = {
        answeredAt: '2026-12-01T09:00:00.000Z',
        answeredBy: 'staff:remi',
        outcome: 'mitigated' as const,
        text: 'Filtered.',
      };
      const mail = {
        id: 'mail_answer',
        kind: 'email' as const,
        createdAt: answer.answeredAt,
        payload: { template: 'memorisation-answer', to: 'u1@example.org' },
      };
      assert.equal(await store.answerMemorisationReport('mem_1', answer, mail), true);
      assert.equal(
        await store.answerMemorisationReport(
          'mem_1',
          { ...answer, text: 'again' },
          {
            ...mail,
            id: 'mail_again',
          },
        ),
        false,
        'answered once',
      );
      assert.deepEqual((await store.memorisationReportByReference('VT-MEM-1'))?.answer, answer);
      assert.equal(await store.memorisationReportByReference('VT-NONE'), undefined);
      const due = await veto.store.dueOutbox('9999-01-01T00:00:00.000Z', 10);
      assert.deepEqual(
        due.map((m) => m.id),
        ['mail_answer'],
      );
    });

    test('a dataset still being recorded is not read; once sealed it is caught up with, once', async (t) => {
      const { veto, store } = await fresh(t);
      let release!: () => void;
      const released = new Promise<void>((r) => {
        release = r;
      });
      let reached!: () => void;
      const paused = new Promise<void>((r) => {
        reached = r;
      });
      // u1's first item, then enough rows for the SQLite store to commit a partial index, then a
      // pause (the objection arrives), then u1's second item.
      async function* rows(): AsyncGenerator<InclusionRow> {
        yield row('ds_late', 'acct:u1', 'p1');
        for (let i = 0; i < 50_000; i++) yield row('ds_late', `acct:f${i}`, `f${i}`);
        reached();
        await released;
        yield row('ds_late', 'acct:u1', 'p2');
      }
      const recording = veto.gate.recordDataset(manifest('ds_late'), rows());
      await paused;
      await object(veto, 'u1', { email: 'u1@example.org' });
      // Two objections of people in nobody's dataset yet, one withdrawn before the seal.
      await object(veto, 'f7');
      const withdrawn = await object(veto, 'f8');
      assert.equal(await veto.removalPlanner!.drain(), 0, 'an unsealed dataset is not read');
      assert.deepEqual(await store.subjectDatasets('acct:u1'), [], 'nor shown');
      assert.equal(await store.datasetExists('ds_late'), false, 'no model can name it yet');
      await veto.registry.withdraw(withdrawn.objection.id, { subjectKey: 'acct:f8' });
      release();
      await recording;

      assert.equal(await store.datasetExists('ds_late'), true);
      assert.equal(await veto.removalPlanner!.drain(), 2, 'u1 and f7, not the withdrawn f8');
      const removals = await store.removalsOf('ds_late');
      assert.deepEqual(removals.map((r) => [r.subjectKey, r.itemIds]).sort(), [
        ['acct:f7', ['f7']],
        ['acct:u1', ['p1', 'p2']],
      ]);
      assert.equal(await veto.removalPlanner!.drain(), 0, 'caught up once');
      // Durably: a new store over the same database plans nothing more.
      const again = await openRemovalStore(veto.store);
      const pass = await again!.planRemovals('removal-planner', 100, () => ({
        removals: [],
        messages: [],
        emails: [],
        events: [],
      }));
      assert.equal(pass.scanned, 0);
      const mails = (await veto.store.dueOutbox('9999-01-01T00:00:00.000Z', 100)).filter(
        (m) => m.payload.template === 'removal',
      );
      assert.equal(mails.length, 1, 'u1 is told once (f7 left no address)');
      assert.ok((await veto.registry.verifyAudit()).ok);
    });

    test('an objection and a newly sealed dataset in the same pass: one removal', async (t) => {
      const { veto, store } = await fresh(t);
      await object(veto, 'u1');
      await veto.gate.recordDataset(manifest('ds_a'), [row('ds_a', 'acct:u1', 'p1')]);
      // The event (after the cursor) and the catch-up (dataset sealed since) both find u1.
      assert.equal(await veto.removalPlanner!.drain(), 1);
      assert.equal((await store.removalsOf('ds_a')).length, 1);
      assert.equal(await veto.removalPlanner!.drain(), 0);
    });
  });
}
