import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { GENESIS_HASH, verifyChain } from '../../src/domain/audit-chain.ts';
import type {
  NewEvent,
  Objection,
  ObjectionFilter,
  OutboxMessage,
} from '../../src/domain/types.ts';
import type { RegistryStore } from '../../src/store/registry-store.ts';
import { CompactRange } from '../../src/transparency/compact-range.ts';
import { eventLeafHash } from '../../src/transparency/event-leaves.ts';
import { verifyConsistency, verifyInclusion } from '../../src/transparency/merkle.ts';
import { TransparencyLog } from '../../src/transparency/transparency-log.ts';

/**
 * The storage contract, run against every adapter (test/store/*-store.test.ts). Each test gets a
 * fresh, empty store from `open` and hands it to `cleanup`, which closes it and deletes its data.
 */
export interface StoreInspector {
  /** The stored outbox payload, read past the interface (delivered messages are not listed). */
  outboxPayload(store: RegistryStore, id: string): Promise<unknown>;
}

export function registryStoreSuite(
  name: string,
  open: () => Promise<RegistryStore>,
  cleanup: (store: RegistryStore) => Promise<void>,
  inspect: StoreInspector,
): void {
  async function fresh(t: TestContext): Promise<RegistryStore> {
    const store = await open();
    t.after(() => cleanup(store));
    return store;
  }

  describe(`RegistryStore contract: ${name}`, () => {
    test('a new registry is empty, with the genesis chain head', async (t) => {
      const store = await fresh(t);
      assert.deepEqual(await store.chainHead(), { seq: 0, hash: GENESIS_HASH });
      assert.equal(await store.getObjection('nope'), undefined);
      assert.equal(await store.getObjectionByReference('VT-NOPE'), undefined);
      assert.deepEqual(await store.objectionsOfSubject('acct:nobody'), []);
      assert.deepEqual(await store.listObjections({ limit: 10 }), []);
      assert.equal(await store.getContact('acct:nobody'), undefined);
      assert.equal(await store.getSnapshot('nope'), undefined);
      assert.deepEqual(await collect(store.readEvents()), []);
      assert.deepEqual(await collect(store.readObjections()), []);
      assert.deepEqual(await collect(store.objectorsAsOf('ai-training', at(0))), []);
      assert.deepEqual(await store.objectorsAddedSince('ai-training', at(0)), []);
      assert.deepEqual(await store.dueOutbox(at(0), 10), []);
      assert.equal(await store.latestVerificationCode('h'), undefined);
      assert.equal(await store.countVerificationCodesSince('h', at(0)), 0);
      assert.ok((await verifyChain(store.readEvents(), await store.chainHead())).ok);
    });

    test('a committed transaction stores every kind of row, exactly as given', async (t) => {
      const store = await fresh(t);
      const o = objection({
        subjectKey: 'email:ab12',
        subjectKind: 'non-user',
        channel: 'api',
        // Quotes, backslashes, braces, commas, "NULL" and non-ASCII: array-literal escaping.
        reasonText: 'NULL',
        appearsAt: ['@zoë', 'https://x.test/p?a="b"&c=\\d', '{x,y}', 'NULL', '日本 😀'],
        receivedAt: '2026-03-31T23:59:59.999Z',
        dueAt: '2026-04-30T23:59:59.999Z',
      });
      const payload = { template: 'receipt', to: 'zoë@example.test', vars: { n: 1, ok: true } };
      const result = await store.transaction(async (tx) => {
        await tx.insertObjections([o]);
        await tx.insertIdempotency([
          { key: 'platform:k1', requestHash: 'h1', objectionId: o.id, createdAt: o.receivedAt },
        ]);
        await tx.upsertContacts([
          { subjectKey: o.subjectKey, email: 'zoë@example.test', language: 'fr' },
        ]);
        await tx.enqueueOutbox([{ id: 'm1', kind: 'email', payload, createdAt: o.receivedAt }]);
        const events = await tx.appendEvents([recorded(o)]);
        return { seq: events[0]!.seq };
      });
      assert.deepEqual(result, { seq: 1 });

      assert.deepEqual(await store.getObjection(o.id), o);
      assert.deepEqual(await store.getObjectionByReference(o.reference), o);
      assert.deepEqual(await store.objectionsOfSubject(o.subjectKey), [o]);
      assert.deepEqual(await store.getContact(o.subjectKey), {
        subjectKey: o.subjectKey,
        email: 'zoë@example.test',
        language: 'fr',
      });
      const due = await store.dueOutbox(o.receivedAt, 10);
      assert.deepEqual(due, [
        { id: 'm1', kind: 'email', payload, createdAt: o.receivedAt, attempts: 0 },
      ]);
      assert.deepEqual(await store.outboxBacklog(), { pending: 1, oldestCreatedAt: o.receivedAt });
      const idem = await store.transaction((tx) => tx.idempotencyRecords(['platform:k1']));
      assert.deepEqual(idem, [
        { key: 'platform:k1', requestHash: 'h1', objectionId: o.id, createdAt: o.receivedAt },
      ]);
      const [event] = await collect(store.readEvents());
      assert.equal(event?.seq, 1);
      assert.deepEqual(event?.data, recorded(o).data);
    });

    test('a transaction that throws leaves nothing behind, and the chain continues', async (t) => {
      const store = await fresh(t);
      await store.transaction((tx) => tx.appendEvents([note('first')]));
      const headBefore = await store.chainHead();
      const o = objection();
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.insertObjections([o]);
          await tx.insertIdempotency([
            { key: 'c:k', requestHash: 'h', objectionId: o.id, createdAt: o.receivedAt },
          ]);
          await tx.upsertContacts([
            { subjectKey: o.subjectKey, email: 'a@b.test', language: 'en' },
          ]);
          await tx.enqueueOutbox([{ id: 'm', kind: 'email', payload: {}, createdAt: at(0) }]);
          await tx.insertSnapshot(snapshot('s'));
          await tx.appendEvents([note('lost 1'), note('lost 2')]);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.deepEqual(await store.chainHead(), headBefore);
      assert.equal(await store.getObjection(o.id), undefined);
      assert.equal(await store.getContact(o.subjectKey), undefined);
      assert.deepEqual(await store.dueOutbox(at(10), 10), []);
      assert.equal(await store.getSnapshot('s'), undefined);
      assert.deepEqual(await store.transaction((tx) => tx.idempotencyRecords(['c:k'])), []);

      const [next] = await store.transaction((tx) => tx.appendEvents([note('second')]));
      assert.equal(next?.seq, headBefore.seq + 1);
      assert.equal(next?.prevHash, headBefore.hash);
      const check = await verifyChain(store.readEvents(), await store.chainHead());
      assert.equal(check.ok, true, JSON.stringify(check.problem));
      assert.equal(check.events, 2);
    });

    test('a transaction sees its own writes', async (t) => {
      const store = await fresh(t);
      const o = objection();
      await store.transaction(async (tx) => {
        await tx.insertObjections([o]);
        assert.deepEqual(await tx.effectiveObjections([o.subjectKey]), [o]);
        assert.deepEqual(await tx.objectionForUpdate(o.id), o);
        await tx.updateObjection({ ...o, status: 'withdrawn', endedAt: at(5) });
        assert.deepEqual(await tx.effectiveObjections([o.subjectKey]), []);
        await tx.insertIdempotency([
          { key: 'c:k', requestHash: 'h', objectionId: o.id, createdAt: at(1) },
        ]);
        assert.equal((await tx.idempotencyRecords(['c:k'])).length, 1);
      });
      assert.equal((await store.getObjection(o.id))?.status, 'withdrawn');
    });

    test('the database allows one effective objection per subject and purpose', async (t) => {
      const store = await fresh(t);
      const first = objection({ subjectKey: 'acct:u1' });
      await store.transaction((tx) => tx.insertObjections([first]));

      // A second effective one for the same subject and purpose is rejected, in its own
      // transaction or in the same batch, and the rejected transaction leaves nothing behind.
      const dup = objection({ subjectKey: 'acct:u1' });
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.appendEvents([recorded(dup)]);
          await tx.insertObjections([dup]);
        }),
      );
      const a = objection({ subjectKey: 'acct:u2' });
      const b = objection({ subjectKey: 'acct:u2' });
      await assert.rejects(store.transaction((tx) => tx.insertObjections([a, b])));
      assert.deepEqual(await store.objectionsOfSubject('acct:u1'), [first]);
      assert.deepEqual(await store.objectionsOfSubject('acct:u2'), []);
      assert.equal((await store.chainHead()).seq, 0);

      // Another purpose, a duplicate reference, and a new objection after a withdrawal.
      const other = objection({ subjectKey: 'acct:u1', purpose: 'profiling' });
      await store.transaction((tx) => tx.insertObjections([other]));
      await assert.rejects(
        store.transaction((tx) =>
          tx.insertObjections([objection({ subjectKey: 'acct:u3', reference: first.reference })]),
        ),
      );
      const again = objection({ subjectKey: 'acct:u1', receivedAt: at(20) });
      await store.transaction(async (tx) => {
        const current = await tx.objectionForUpdate(first.id);
        await tx.updateObjection({ ...current!, status: 'withdrawn', endedAt: at(10) });
        await tx.insertObjections([again]);
      });
      const mine = await store.objectionsOfSubject('acct:u1');
      assert.deepEqual(
        mine.map((o) => [o.id, o.purpose, o.status]),
        [
          [first.id, 'ai-training', 'withdrawn'],
          [other.id, 'profiling', 'effective'],
          [again.id, 'ai-training', 'effective'],
        ],
      );
    });

    test('bulk lookups return exactly the rows asked for', async (t) => {
      const store = await fresh(t);
      const rows = [
        objection({ subjectKey: 'acct:a' }),
        objection({ subjectKey: 'acct:a', purpose: 'profiling' }),
        objection({ subjectKey: 'acct:b', status: 'withdrawn', endedAt: at(3) }),
        objection({ subjectKey: 'acct:c' }),
      ];
      await store.transaction(async (tx) => {
        await tx.insertObjections(rows);
        await tx.insertIdempotency([
          { key: 'p:1', requestHash: 'h1', objectionId: rows[0]!.id, createdAt: at(1) },
          { key: 'p:2', requestHash: 'h2', objectionId: rows[3]!.id, createdAt: at(2) },
        ]);
      });
      await store.transaction(async (tx) => {
        const eff = await tx.effectiveObjections(['acct:a', 'acct:b', 'acct:zz', 'acct:a']);
        assert.deepEqual(byId(eff), byId([rows[0]!, rows[1]!]));
        assert.deepEqual(await tx.effectiveObjections([]), []);
        const idem = await tx.idempotencyRecords(['p:2', 'p:nope']);
        assert.deepEqual(idem, [
          { key: 'p:2', requestHash: 'h2', objectionId: rows[3]!.id, createdAt: at(2) },
        ]);
        assert.deepEqual(await tx.idempotencyRecords([]), []);
        assert.equal(await tx.objectionForUpdate('nope'), undefined);
        // Empty bulk writes are no-ops.
        await tx.insertObjections([]);
        await tx.insertIdempotency([]);
        await tx.upsertContacts([]);
        await tx.enqueueOutbox([]);
        assert.deepEqual(await tx.appendEvents([]), []);
      });
      await assert.rejects(
        store.transaction((tx) =>
          tx.insertIdempotency([
            { key: 'p:1', requestHash: 'x', objectionId: rows[2]!.id, createdAt: at(3) },
          ]),
        ),
      );
      assert.deepEqual(await store.chainHead(), { seq: 0, hash: GENESIS_HASH });
    });

    test('updateObjection rewrites every mutable field', async (t) => {
      const store = await fresh(t);
      const o = objection({ review: 'pending' });
      await store.transaction((tx) => tx.insertObjections([o]));
      const next: Objection = {
        ...o,
        status: 'overridden',
        review: 'overridden',
        dueAt: at(90_000),
        extensionReason: 'complex request',
        decisionReason: 'compelling "grounds"',
        decidedAt: at(100),
        decidedBy: 'reviewer-1',
        endedAt: at(100),
        appearsAt: ['@new'],
        reasonText: null,
        language: 'fr',
      };
      await store.transaction((tx) => tx.updateObjection(next));
      assert.deepEqual(await store.getObjection(o.id), next);
    });

    test('events chain across transactions and read back exactly', async (t) => {
      const store = await fresh(t);
      const first = await store.transaction((tx) => tx.appendEvents([note('a'), note('b')]));
      assert.deepEqual(
        first.map((e) => e.seq),
        [1, 2],
      );
      assert.equal(first[0]!.prevHash, GENESIS_HASH);
      assert.equal(first[1]!.prevHash, first[0]!.hash);
      const second = await store.transaction(async (tx) => {
        const x = await tx.appendEvents([note('c')]);
        const y = await tx.appendEvents([
          {
            at: at(7),
            type: 'objection.withdrawn',
            objectionId: 'o-1',
            subjectKey: 'acct:zoë',
            data: { by: 'subject', nested: { z: 1, a: [1.5, 'é', null, false] }, big: 2 ** 52 },
          },
        ]);
        return [...x, ...y];
      });
      assert.deepEqual(
        second.map((e) => [e.seq, e.prevHash]),
        [
          [3, first[1]!.hash],
          [4, second[0]!.hash],
        ],
      );
      assert.deepEqual(await store.chainHead(), { seq: 4, hash: second[1]!.hash });
      assert.deepEqual(await collect(store.readEvents()), [...first, ...second]);
      const check = await verifyChain(store.readEvents(), await store.chainHead());
      assert.equal(check.ok, true, JSON.stringify(check.problem));
      assert.equal(check.events, 4);
    });

    test('the transparency log grows with the events, in the same transactions', async (t) => {
      const store = await fresh(t);
      const log = new TransparencyLog(store);
      assert.equal((await log.treeHead()).size, 0);
      // Batches crossing a 256-leaf tile and the first level-1 entry.
      for (const n of [1, 254, 3, 300]) {
        await store.transaction(async (tx) => {
          await tx.appendEvents(
            Array.from({ length: n }, (_, i) => ({
              at: at(i),
              type: 'snapshot.created',
              objectionId: null,
              subjectKey: null,
              data: { n, i },
            })),
          );
        });
      }
      // A transaction that fails leaves no leaf behind.
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.appendEvents([
            { at: at(0), type: 'x', objectionId: null, subjectKey: null, data: {} },
          ]);
          throw new Error('rolled back');
        }),
      );
      const events = await collect(store.readEvents());
      const range = new CompactRange();
      for (const e of events) range.push(eventLeafHash(e));
      const head = await log.treeHead();
      assert.equal(head.size, 558);
      assert.deepEqual(Buffer.from(head.root), Buffer.from(range.root()));
      for (const i of [0, 255, 256, 557]) {
        const proof = await log.inclusionProof(i, head.size);
        assert.ok(
          verifyInclusion(i, head.size, eventLeafHash(events[i]!), proof, head.root),
          `#${i}`,
        );
      }
      const old = await log.treeHead(255);
      assert.ok(
        verifyConsistency(255, 558, old.root, head.root, await log.consistencyProof(255, 558)),
      );
      await assert.rejects(log.inclusionProof(0, 559), /holds 558/);
    });

    test('concurrent write transactions are serialised: no gap, no fork', async (t) => {
      const store = await fresh(t);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.transaction(async (tx) => {
            await tx.effectiveObjections([`acct:${i}`]);
            await new Promise((r) => setImmediate(r));
            await tx.appendEvents([note(`t${i}.1`), note(`t${i}.2`)]);
            await new Promise((r) => setImmediate(r));
            await tx.appendEvents([note(`t${i}.3`)]);
          }),
        ),
      );
      const check = await verifyChain(store.readEvents(), await store.chainHead());
      assert.equal(check.ok, true, JSON.stringify(check.problem));
      assert.equal(check.events, 60);
      // Each transaction's events are contiguous.
      const types = (await collect(store.readEvents())).map((e) => e.data.note as string);
      for (let i = 0; i < 60; i += 3) {
        const tag = types[i]!.split('.')[0];
        assert.deepEqual(types.slice(i, i + 3), [`${tag}.1`, `${tag}.2`, `${tag}.3`]);
      }
    });

    test('objectorsAsOf: received at or before T, not ended at T', async (t) => {
      const store = await fresh(t);
      const T = at(100);
      const rows = [
        objection({ subjectKey: 'acct:before', receivedAt: at(99) }),
        objection({ subjectKey: 'acct:exactly-T', receivedAt: T }),
        objection({ subjectKey: 'acct:after', receivedAt: at(101) }),
        objection({
          subjectKey: 'acct:ended-at-T',
          receivedAt: at(10),
          status: 'withdrawn',
          endedAt: T,
        }),
        objection({
          subjectKey: 'acct:ended-after-T',
          receivedAt: at(10),
          status: 'withdrawn',
          endedAt: at(100.001),
        }),
        objection({
          subjectKey: 'acct:overridden',
          receivedAt: at(10),
          status: 'overridden',
          review: 'overridden',
          endedAt: at(50),
        }),
        objection({ subjectKey: 'acct:other-purpose', purpose: 'profiling', receivedAt: at(1) }),
        // Two objections of one subject both covering T: listed once.
        objection({
          subjectKey: 'acct:twice',
          receivedAt: at(5),
          status: 'withdrawn',
          endedAt: at(200),
        }),
        objection({ subjectKey: 'acct:twice', receivedAt: at(6) }),
      ];
      await store.transaction((tx) => tx.insertObjections(rows));
      assert.deepEqual(await collect(store.objectorsAsOf('ai-training', T)), [
        'acct:before',
        'acct:ended-after-T',
        'acct:exactly-T',
        'acct:twice',
      ]);
      assert.deepEqual(await collect(store.objectorsAsOf('profiling', T)), ['acct:other-purpose']);
      // The same set with effective times (the Parquet snapshot): the earliest objection that
      // still covers T.
      assert.deepEqual(await collect(store.objectorsAsOfWithTimes('ai-training', T)), [
        { subjectKey: 'acct:before', effectiveAt: at(99) },
        { subjectKey: 'acct:ended-after-T', effectiveAt: at(10) },
        { subjectKey: 'acct:exactly-T', effectiveAt: T },
        { subjectKey: 'acct:twice', effectiveAt: at(5) },
      ]);
      assert.deepEqual(await collect(store.objectorsAsOf('ai-training', at(0))), []);
      assert.deepEqual(await collect(store.objectorsAsOf('ai-training', at(300))), [
        'acct:after',
        'acct:before',
        'acct:exactly-T',
        'acct:twice',
      ]);
      // objectorsAddedSince: effective now and received strictly after T.
      assert.deepEqual(await store.objectorsAddedSince('ai-training', at(99)), [
        'acct:after',
        'acct:exactly-T',
      ]);
      assert.deepEqual(await store.objectorsAddedSince('ai-training', T), ['acct:after']);
      assert.deepEqual(await store.objectorsAddedSince('ai-training', at(0)), [
        'acct:after',
        'acct:before',
        'acct:exactly-T',
        'acct:twice',
      ]);
      assert.deepEqual(await store.objectorsAddedSince('profiling', at(1)), []);
    });

    test("third-party terms: from non-users' objections effective at T, each once", async (t) => {
      const store = await fresh(t);
      const T = at(100);
      await store.transaction((tx) =>
        tx.insertObjections([
          objection({
            subjectKey: 'email:a',
            subjectKind: 'non-user',
            appearsAt: ['@nina', 'Nina Roux'],
            receivedAt: at(1),
          }),
          objection({
            subjectKey: 'email:b',
            subjectKind: 'non-user',
            appearsAt: ['@nina', ' https://social.example/u/leo '],
            receivedAt: at(2),
          }),
          objection({
            subjectKey: 'email:late',
            subjectKind: 'non-user',
            appearsAt: ['@late'],
            receivedAt: at(101),
          }),
          objection({
            subjectKey: 'email:gone',
            subjectKind: 'non-user',
            appearsAt: ['@gone'],
            receivedAt: at(3),
            status: 'withdrawn',
            endedAt: at(50),
          }),
          objection({ subjectKey: 'acct:user', appearsAt: ['@account-holder'], receivedAt: at(4) }),
        ]),
      );
      assert.deepEqual(await store.thirdPartyTermsAsOf('ai-training', T), [
        '@nina',
        'Nina Roux',
        'https://social.example/u/leo',
      ]);
      assert.deepEqual(await store.thirdPartyTermsAsOf('profiling', T), []);
      // The objections those terms come from, by receipt reference (the terms commitment's).
      const refs = await store.thirdPartyTermReferencesAsOf('ai-training', T);
      const byKey = new Map<string, string>();
      for (const key of ['email:a', 'email:b', 'email:late', 'email:gone', 'acct:user']) {
        const [o] = await store.objectionsOfSubject(key);
        byKey.set(key, o!.reference);
      }
      assert.deepEqual(refs, [byKey.get('email:a'), byKey.get('email:b')].sort());
      assert.deepEqual(await store.thirdPartyTermReferencesAsOf('profiling', T), []);
    });

    test('terms references: only objections that give a term, each once', async (t) => {
      const store = await fresh(t);
      await store.transaction((tx) =>
        tx.insertObjections([
          objection({
            subjectKey: 'email:none',
            subjectKind: 'non-user',
            appearsAt: [],
            receivedAt: at(1),
          }),
          objection({
            subjectKey: 'email:blank',
            subjectKind: 'non-user',
            appearsAt: ['  '],
            receivedAt: at(1),
          }),
          objection({
            subjectKey: 'email:one',
            subjectKind: 'non-user',
            appearsAt: ['x'],
            receivedAt: at(1),
          }),
        ]),
      );
      const [one] = await store.objectionsOfSubject('email:one');
      assert.deepEqual(await store.thirdPartyTermReferencesAsOf('ai-training', at(2)), [
        one!.reference,
      ]);
    });

    test('objector lists are in byte order, non-ASCII keys included', async (t) => {
      const store = await fresh(t);
      // Byte order differs from JavaScript's UTF-16 order (😀 vs Ａ), from case-insensitive
      // and from locale orders (é vs e\u0301, 'a-b' vs 'ab', ß).
      const keys = [
        'acct:zoë',
        'acct:Zoe',
        'acct:zoe',
        'acct:é',
        'acct:e\u0301',
        'acct:日本',
        'acct:\uFF21',
        'acct:😀',
        'acct:a-b',
        'acct:ab',
        'acct:a_b',
        'acct:A',
        'acct:ß',
        'acct:ss',
        'email:00ff',
        'email:00FF',
        'acct:10',
        'acct:9',
      ];
      await store.transaction((tx) =>
        tx.insertObjections(keys.map((k, i) => objection({ subjectKey: k, receivedAt: at(i) }))),
      );
      const expected = byteSorted(keys);
      assert.notDeepEqual(
        expected,
        [...keys].sort(),
        'the fixture must tell byte from UTF-16 order',
      );
      assert.deepEqual(await collect(store.objectorsAsOf('ai-training', at(1000))), expected);
      assert.deepEqual(await store.objectorsAddedSince('ai-training', at(-1)), expected);
    });

    test('objectorsAsOf reads one snapshot, unaffected by writes committed meanwhile', async (t) => {
      const store = await fresh(t);
      await store.transaction((tx) =>
        tx.insertObjections([
          objection({ subjectKey: 'acct:b', receivedAt: at(1) }),
          objection({ subjectKey: 'acct:d', receivedAt: at(1) }),
        ]),
      );
      const it = store.objectorsAsOf('ai-training', at(50))[Symbol.asyncIterator]();
      assert.deepEqual(await it.next(), { value: 'acct:b', done: false });
      await store.transaction(async (tx) => {
        await tx.insertObjections([
          objection({ subjectKey: 'acct:c', receivedAt: at(2) }),
          objection({ subjectKey: 'acct:e', receivedAt: at(2) }),
        ]);
        const d = (await tx.effectiveObjections(['acct:d']))[0]!;
        await tx.updateObjection({ ...d, status: 'withdrawn', endedAt: at(3) });
      });
      const rest: string[] = [];
      for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
      assert.deepEqual(rest, ['acct:d']);
      assert.deepEqual(await collect(store.objectorsAsOf('ai-training', at(50))), [
        'acct:b',
        'acct:c',
        'acct:e',
      ]);
    });

    test('streams 20,000 rows in order', { timeout: 120_000 }, async (t) => {
      const store = await fresh(t);
      const N = 20_000;
      const rows = Array.from({ length: N }, (_, i) =>
        objection({
          id: `big-${(N - i).toString(36).padStart(5, '0')}`,
          subjectKey: `acct:${((i * 7919) % N).toString(16)}`,
          receivedAt: at(i % 500),
        }),
      );
      for (let i = 0; i < N; i += 5000) {
        const chunk = rows.slice(i, i + 5000);
        await store.transaction(async (tx) => {
          await tx.insertObjections(chunk);
          await tx.appendEvents(chunk.map(recorded));
        });
      }
      const keys = await collect(store.objectorsAsOf('ai-training', at(1000)));
      assert.equal(keys.length, N);
      assert.deepEqual(keys, byteSorted(rows.map((o) => o.subjectKey)));

      let count = 0;
      let prev = '';
      for await (const o of store.readObjections()) {
        assert.ok(o.id > prev, `${o.id} after ${prev}`);
        prev = o.id;
        count += 1;
      }
      assert.equal(count, N);

      const check = await verifyChain(store.readEvents(), await store.chainHead());
      assert.equal(check.ok, true, JSON.stringify(check.problem));
      assert.equal(check.events, N);
    });

    test('a stream stopped early releases what it held', { timeout: 60_000 }, async (t) => {
      const store = await fresh(t);
      const rows = Array.from({ length: 3000 }, (_, i) =>
        objection({ subjectKey: `acct:${String(i).padStart(5, '0')}`, receivedAt: at(1) }),
      );
      await store.transaction(async (tx) => {
        await tx.insertObjections(rows);
        await tx.appendEvents(rows.map(recorded));
      });
      // More early stops than any pool has connections: a leak would hang what follows.
      for (let i = 0; i < 25; i++) {
        for await (const k of store.objectorsAsOf('ai-training', at(5))) {
          assert.equal(k, 'acct:00000');
          break;
        }
        for await (const o of store.readObjections()) {
          assert.ok(o.id);
          break;
        }
        await assert.rejects(async () => {
          for await (const e of store.readEvents()) if (e.seq === 2) throw new Error('consumer');
        }, /consumer/);
      }
      await within(10_000, 'a write after early stops', async () => {
        await store.transaction((tx) => tx.appendEvents([note('after')]));
        assert.equal((await collect(store.objectorsAsOf('ai-training', at(5)))).length, 3000);
        const check = await verifyChain(store.readEvents(), await store.chainHead());
        assert.equal(check.ok, true);
        assert.equal(check.events, 3001);
      });
    });

    test('outbox: due oldest first, failures retried later, delivery clears the payload', async (t) => {
      const store = await fresh(t);
      const msg = (id: string, createdAt: string): OutboxMessage => ({
        id,
        kind: 'email',
        payload: { template: 'receipt', to: `${id}@example.test`, vars: { reference: id } },
        createdAt,
      });
      await store.transaction((tx) =>
        tx.enqueueOutbox([msg('m2', at(2)), msg('m1', at(1)), msg('m3', at(3))]),
      );
      const ids = async (now: string, limit = 10) =>
        (await store.dueOutbox(now, limit)).map((m) => [m.id, m.attempts]);
      assert.deepEqual(await ids(at(0)), []);
      assert.deepEqual(await ids(at(1)), [['m1', 0]]);
      assert.deepEqual(await ids(at(5)), [
        ['m1', 0],
        ['m2', 0],
        ['m3', 0],
      ]);
      assert.deepEqual(await ids(at(5), 2), [
        ['m1', 0],
        ['m2', 0],
      ]);
      assert.deepEqual((await store.dueOutbox(at(1), 1))[0], { ...msg('m1', at(1)), attempts: 0 });

      await store.markOutboxFailed('m1', `smtp said: ${'x'.repeat(1000)}`, at(10));
      assert.deepEqual(await ids(at(5)), [
        ['m2', 0],
        ['m3', 0],
      ]);
      assert.deepEqual(await ids(at(10)), [
        ['m2', 0],
        ['m3', 0],
        ['m1', 1],
      ]);
      await store.markOutboxFailed('m1', 'again', at(20));
      assert.deepEqual(await ids(at(20), 1), [['m2', 0]]);

      await store.markOutboxDelivered('m2', at(21));
      assert.deepEqual(await ids(at(30)), [
        ['m3', 0],
        ['m1', 2],
      ]);
      assert.deepEqual(await inspect.outboxPayload(store, 'm2'), {});
      assert.deepEqual(await inspect.outboxPayload(store, 'm3'), msg('m3', at(3)).payload);
    });

    test('verification codes: latest, count since, attempts and consumption', async (t) => {
      const store = await fresh(t);
      const code = (id: string, emailHash: string, createdAt: string) => ({
        id,
        emailHash,
        codeHash: `hash-of-${id}`,
        createdAt,
        expiresAt: at(Date.parse(createdAt) / 60_000 - BASE_MINUTES + 15),
        attempts: 0,
        consumedAt: null,
      });
      await store.putVerificationCode(code('c2', 'h1', at(2)));
      await store.putVerificationCode(code('c1', 'h1', at(1)));
      await store.putVerificationCode(code('c3', 'h1', at(3)));
      await store.putVerificationCode(code('x1', 'h2', at(4)));
      assert.deepEqual(await store.latestVerificationCode('h1'), code('c3', 'h1', at(3)));
      assert.deepEqual(await store.latestVerificationCode('h2'), code('x1', 'h2', at(4)));
      assert.equal(await store.latestVerificationCode('h3'), undefined);
      assert.equal(await store.countVerificationCodesSince('h1', at(0)), 3);
      assert.equal(await store.countVerificationCodesSince('h1', at(2)), 2);
      assert.equal(await store.countVerificationCodesSince('h1', at(3.5)), 0);

      await store.updateVerificationCode('c3', { attempts: 2 });
      assert.deepEqual(await store.latestVerificationCode('h1'), {
        ...code('c3', 'h1', at(3)),
        attempts: 2,
      });
      await store.updateVerificationCode('c3', { consumedAt: at(4) });
      await store.updateVerificationCode('c3', {});
      assert.deepEqual(await store.latestVerificationCode('h1'), {
        ...code('c3', 'h1', at(3)),
        attempts: 2,
        consumedAt: at(4),
      });
      await store.updateVerificationCode('c2', { attempts: 5, consumedAt: at(9) });
      await store.putVerificationCode(code('c4', 'h1', at(10)));
      assert.equal((await store.latestVerificationCode('h1'))?.id, 'c4');
    });

    test('verification codes within a limit: parallel requests store at most the limit', async (t) => {
      const store = await fresh(t);
      const code = (id: string) => ({
        id,
        emailHash: 'h1',
        codeHash: `hash-of-${id}`,
        createdAt: at(10),
        expiresAt: at(25),
        attempts: 0,
        consumedAt: null,
      });
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store.putVerificationCodeWithinLimit(code(`p${i}`), at(0), 5),
        ),
      );
      assert.equal(results.filter(Boolean).length, 5);
      assert.equal(await store.countVerificationCodesSince('h1', at(0)), 5);
      // Codes older than `since` do not count.
      assert.equal(await store.putVerificationCodeWithinLimit(code('late'), at(11), 5), true);
    });

    test('job leases: one holder at a time, renewed by its holder, taken over once expired or released', async (t) => {
      const store = await fresh(t);
      const taken = await Promise.all(
        ['a', 'b', 'c'].map((h) => store.tryJobLease('outbox', h, at(0), at(1))),
      );
      assert.equal(taken.filter(Boolean).length, 1);
      const holder = ['a', 'b', 'c'][taken.indexOf(true)]!;
      const other = holder === 'a' ? 'b' : 'a';
      assert.equal(await store.tryJobLease('outbox', holder, at(0.5), at(1.5)), true);
      assert.equal(await store.tryJobLease('outbox', other, at(1), at(2)), false);
      assert.equal(await store.tryJobLease('planner', other, at(1), at(2)), true);
      assert.equal(await store.tryJobLease('outbox', other, at(1.6), at(2.6)), true);
      assert.equal(await store.tryJobLease('outbox', holder, at(1.7), at(2.7)), false);
      await store.releaseJobLease('outbox', holder);
      assert.equal(await store.tryJobLease('outbox', holder, at(1.8), at(2.8)), false);
      await store.releaseJobLease('outbox', other);
      assert.equal(await store.tryJobLease('outbox', holder, at(1.9), at(2.9)), true);
    });

    test('rate hits: counted atomically per key and window, old windows pruned', async (t) => {
      const store = await fresh(t);
      const counts = await Promise.all(
        Array.from({ length: 30 }, () => store.countRateHit('ip:1', at(1), at(0))),
      );
      assert.deepEqual(
        [...counts].sort((x, y) => x - y),
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
      assert.equal(await store.countRateHit('ip:2', at(1), at(0)), 1);
      assert.equal(await store.countRateHit('ip:1', at(2), at(1)), 1);
      assert.equal(await store.countRateHit('ip:1', at(2), at(1)), 2);
      assert.deepEqual(await store.pendingMigrations(), []);
    });

    test('listObjections filters, and keyset pagination visits every row once', async (t) => {
      const store = await fresh(t);
      const rows = [
        objection({ id: 'o-05', receivedAt: at(1), channel: 'api' }),
        objection({ id: 'o-03', receivedAt: at(2), subjectKind: 'non-user', channel: 'portal' }),
        objection({ id: 'o-04', receivedAt: at(2), status: 'withdrawn', endedAt: at(9) }),
        objection({ id: 'o-01', receivedAt: at(2), purpose: 'profiling', review: 'pending' }),
        objection({ id: 'o-02', receivedAt: at(3), channel: 'import' }),
        objection({ id: 'o-06', receivedAt: at(4), channel: 'email', review: 'upheld' }),
        objection({ id: 'o-07', receivedAt: at(4.5), status: 'overridden', endedAt: at(5) }),
      ];
      await store.transaction((tx) => tx.insertObjections(rows));
      const list = async (f: Omit<ObjectionFilter, 'limit'>, limit = 100) =>
        (await store.listObjections({ ...f, limit })).map((o) => o.id);
      const all = ['o-05', 'o-01', 'o-03', 'o-04', 'o-02', 'o-06', 'o-07'];
      assert.deepEqual(await list({}), all);
      assert.deepEqual(await list({}, 3), all.slice(0, 3));
      assert.deepEqual(await list({ status: 'effective' }), [
        'o-05',
        'o-01',
        'o-03',
        'o-02',
        'o-06',
      ]);
      assert.deepEqual(await list({ status: 'withdrawn' }), ['o-04']);
      assert.deepEqual(await list({ purpose: 'profiling' }), ['o-01']);
      assert.deepEqual(await list({ channel: 'api' }), ['o-05']);
      assert.deepEqual(await list({ review: 'pending' }), ['o-01']);
      assert.deepEqual(await list({ subjectKind: 'non-user' }), ['o-03']);
      assert.deepEqual(await list({ receivedFrom: at(2) }), all.slice(1));
      assert.deepEqual(await list({ receivedTo: at(2) }), ['o-05']);
      assert.deepEqual(await list({ receivedFrom: at(2), receivedTo: at(4) }), [
        'o-01',
        'o-03',
        'o-04',
        'o-02',
      ]);
      assert.deepEqual(
        await list({ status: 'effective', channel: 'portal', purpose: 'ai-training' }),
        ['o-03'],
      );
      assert.deepEqual(await list({ after: { receivedAt: at(2), id: 'o-01' } }), all.slice(2));
      assert.deepEqual(await list({ after: { receivedAt: at(2), id: 'o-04' } }), all.slice(4));

      for (const size of [1, 2, 3]) {
        const seen: string[] = [];
        let after: ObjectionFilter['after'];
        for (;;) {
          const page = await store.listObjections({ limit: size, ...(after ? { after } : {}) });
          if (page.length === 0) break;
          assert.ok(page.length <= size);
          seen.push(...page.map((o) => o.id));
          const last = page[page.length - 1]!;
          after = { receivedAt: last.receivedAt, id: last.id };
        }
        assert.deepEqual(seen, all, `page size ${size}`);
      }
      const full = await store.listObjections({ channel: 'email', limit: 10 });
      assert.deepEqual(full, [rows[5]]);
    });

    test('contacts: insert, then update in place; the last of a batch wins', async (t) => {
      const store = await fresh(t);
      await store.transaction((tx) =>
        tx.upsertContacts([
          { subjectKey: 'acct:a', email: 'a@example.test', language: 'en' },
          { subjectKey: 'email:b', email: 'b@example.test', language: 'fr' },
        ]),
      );
      await store.transaction((tx) =>
        tx.upsertContacts([
          { subjectKey: 'acct:a', email: 'a1@example.test', language: 'fr' },
          { subjectKey: 'acct:c', email: 'c@example.test', language: 'en' },
          { subjectKey: 'acct:a', email: 'a2@example.test', language: 'de' },
        ]),
      );
      assert.deepEqual(await store.getContact('acct:a'), {
        subjectKey: 'acct:a',
        email: 'a2@example.test',
        language: 'de',
      });
      assert.deepEqual(await store.getContact('email:b'), {
        subjectKey: 'email:b',
        email: 'b@example.test',
        language: 'fr',
      });
      assert.equal((await store.getContact('acct:c'))?.email, 'c@example.test');
      assert.equal(await store.getContact('acct:d'), undefined);
    });

    test('snapshots are stored and read back', async (t) => {
      const store = await fresh(t);
      const s = snapshot('snap-1');
      await store.transaction(async (tx) => {
        await tx.insertSnapshot(s);
        await tx.appendEvents([
          {
            at: s.createdAt,
            type: 'snapshot.created',
            objectionId: null,
            subjectKey: null,
            data: { id: s.id },
          },
        ]);
      });
      assert.deepEqual(await store.getSnapshot('snap-1'), s);
      assert.equal(await store.getSnapshot('snap-2'), undefined);
      await assert.rejects(store.transaction((tx) => tx.insertSnapshot(s)));
      // Its event is found by the snapshot's id (a dataset's anchor is its position), among
      // events of other types naming the same id.
      await store.transaction(async (tx) => {
        await tx.appendEvents([
          {
            at: s.createdAt,
            type: 'dataset.sealed',
            objectionId: null,
            subjectKey: null,
            data: { id: 'snap-2' },
          },
          {
            at: s.createdAt,
            type: 'snapshot.created',
            objectionId: null,
            subjectKey: null,
            data: { id: 'snap-2' },
          },
        ]);
      });
      assert.equal((await store.snapshotEvent('snap-1'))?.seq, 1);
      const second = await store.snapshotEvent('snap-2');
      assert.deepEqual(
        [second?.seq, second?.type, second?.data],
        [3, 'snapshot.created', { id: 'snap-2' }],
      );
      assert.equal(await store.snapshotEvent('snap-3'), undefined);
    });
  });
}

// ---- fixtures --------------------------------------------------------------------------------

const BASE_MINUTES = Date.UTC(2026, 0, 1) / 60_000;

/** A fixed-width ISO time, `minutes` after 2026-01-01 (fractions give milliseconds). */
export function at(minutes: number): string {
  return new Date(Math.round((BASE_MINUTES + minutes) * 60_000)).toISOString();
}

let counter = 0;

export function objection(over: Partial<Objection> = {}): Objection {
  counter += 1;
  const n = String(counter).padStart(7, '0');
  const receivedAt = over.receivedAt ?? at(0);
  return {
    id: `obj-${n}`,
    reference: `VT-${n}`,
    subjectKey: `acct:subject-${n}`,
    subjectKind: 'account',
    purpose: 'ai-training',
    scope: 'account',
    channel: 'portal',
    status: 'effective',
    review: 'none',
    reasonText: null,
    appearsAt: [],
    language: 'en',
    receivedAt,
    dueAt: new Date(Date.parse(receivedAt) + 31 * 86_400_000).toISOString(),
    extensionReason: null,
    decisionReason: null,
    decidedAt: null,
    decidedBy: null,
    endedAt: null,
    ...over,
  };
}

export function recorded(o: Objection): NewEvent {
  return {
    at: o.receivedAt,
    type: 'objection.recorded',
    objectionId: o.id,
    subjectKey: o.subjectKey,
    data: { reference: o.reference, purpose: o.purpose, channel: o.channel },
  };
}

export function note(text: string): NewEvent {
  return {
    at: at(1),
    type: 'test.note',
    objectionId: null,
    subjectKey: null,
    data: { note: text },
  };
}

function snapshot(id: string) {
  return {
    id,
    purpose: 'ai-training',
    asOf: at(10),
    count: 42,
    sha256: 'ab'.repeat(32),
    createdAt: at(10.5),
  };
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

/** UTF-8 byte order: what SQLite's BINARY and PostgreSQL's "C" collations sort by. */
export function byteSorted(keys: readonly string[]): string[] {
  return [...new Set(keys)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function byId(rows: readonly Objection[]): Objection[] {
  return [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Fails with a clear message instead of hanging the run when resources leaked. */
async function within(ms: number, what: string, work: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms`)), ms);
  });
  try {
    await Promise.race([work(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
