import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type ChainVerification,
  chainEvents,
  GENESIS_HASH,
  verifyChain,
} from '../../src/domain/audit-chain.ts';
import type { AuditEvent, NewEvent } from '../../src/domain/types.ts';

function events(n: number): AuditEvent[] {
  const raw: NewEvent[] = Array.from({ length: n }, (_, i) => ({
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    type: 'objection.recorded',
    objectionId: `o${i}`,
    subjectKey: `acct:${i}`,
    data: { purpose: 'ai-training', nested: { b: 2, a: 1 } },
  }));
  return chainEvents({ seq: 0, hash: GENESIS_HASH }, raw);
}

async function verify(list: AuditEvent[], head = list.at(-1)!): Promise<ChainVerification> {
  async function* iter() {
    yield* list;
  }
  return verifyChain(iter(), { seq: head.seq, hash: head.hash });
}

test('an untouched chain verifies', async () => {
  const r = await verify(events(10));
  assert.equal(r.ok, true);
  assert.equal(r.events, 10);
});

test('an edited event is found, with its number', async () => {
  const list = events(10);
  list[4] = { ...list[4]!, data: { purpose: 'something-else' } };
  const r = await verify(list);
  assert.equal(r.ok, false);
  assert.deepEqual(r.problem, { kind: 'hash-mismatch', seq: 5 });
});

test('a deleted event is found', async () => {
  const list = events(10);
  const head = list.at(-1)!;
  list.splice(3, 1);
  const r = await verify(list, head);
  assert.deepEqual(r.problem, { kind: 'gap', seq: 5, expectedSeq: 4 });
});

test('reordered events are found', async () => {
  const list = events(10);
  const head = list.at(-1)!;
  const swapped = [...list];
  [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
  const r = await verify(swapped, head);
  assert.equal(r.ok, false);
  assert.equal(r.problem?.seq, 4);
});

test('a re-hashed forgery is caught by the next link', async () => {
  const list = events(10);
  const forged = chainEvents({ seq: 4, hash: list[3]!.hash }, [
    { ...list[4]!, data: { forged: true } },
  ])[0]!;
  list[4] = forged;
  const r = await verify(list);
  assert.deepEqual(r.problem, { kind: 'broken-link', seq: 6 });
});

test('a truncated tail is caught by the stored head', async () => {
  const list = events(10);
  const head = list.at(-1)!;
  const r = await verify(list.slice(0, 8), head);
  assert.equal(r.problem?.kind, 'head-mismatch');
});

test('key order inside data does not change the hash', () => {
  const a = chainEvents({ seq: 0, hash: GENESIS_HASH }, [
    { at: 'x', type: 't', objectionId: null, subjectKey: null, data: { a: 1, b: { c: 1, d: 2 } } },
  ]);
  const b = chainEvents({ seq: 0, hash: GENESIS_HASH }, [
    { at: 'x', type: 't', objectionId: null, subjectKey: null, data: { b: { d: 2, c: 1 }, a: 1 } },
  ]);
  assert.equal(a[0]!.hash, b[0]!.hash);
});
