import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Judge } from '../../src/gate/judge.ts';
import { ObjectorTable } from '../../src/gate/objector-set.ts';
import { testPolicy } from './support/judge.ts';

/**
 * The judge writes its decision and inclusion rows byte by byte (no template string per row)
 * and into one buffer it can reuse: the rows must be exactly what the string form gave.
 */
function judge(objectors: string[] = []) {
  const table = new ObjectorTable(objectors.length);
  for (const k of objectors) table.add(k);
  return new Judge({
    policy: testPolicy(),
    mapping: {},
    objectors: table.descriptor(),
    inputs: ['in.jsonl'],
  });
}

const record = (id: string | number, author: string, mentions: string[] = []) =>
  JSON.stringify({
    id,
    author_id: author,
    kind: 'post',
    audience: 'public',
    created_at: '2025-03-01T10:00:00Z',
    text: 'hello',
    author_minor: false,
    region: 'FR',
    mentions,
  });

describe('judge batch rows', () => {
  it('writes line numbers of any size, non-ASCII ids and subjects as the string form did', () => {
    const lines = [
      record('p1', 'u1', ['u2', 'email:abc']),
      record('é€😀', 'ü9'),
      record(12345, 'u3'),
      'not json',
    ];
    const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
    for (const first of [1, 9, 10, 99_999, 2_147_483_646, 2_147_483_648, 9_007_199_254_740_000]) {
      const r = judge(['acct:u3']).processBatch(bytes, 0, bytes.length, 3, first);
      const expectDecisions = [
        `3\t${first}\tkept\tp1\n`,
        `3\t${first + 1}\tkept\té€😀\n`,
        `3\t${first + 2}\tobjected\t12345\n`,
        `3\t${first + 3}\tmalformed\t\n`,
      ].join('');
      assert.equal(Buffer.from(r.decisions).toString('utf8'), expectDecisions, `first ${first}`);
      const expectInclusions = [
        `acct:u1\tp1\tauthor\t3\t${first}\n`,
        `acct:u2\tp1\tmention\t3\t${first}\n`,
        `email:abc\tp1\tmention\t3\t${first}\n`,
        `acct:ü9\té€😀\tauthor\t3\t${first + 1}\n`,
      ].join('');
      assert.equal(Buffer.from(r.inclusions).toString('utf8'), expectInclusions);
    }
  });

  it('writes into a spare buffer when it is big enough, with the same bytes', () => {
    const j = judge();
    const lines = Array.from({ length: 200 }, (_, i) => record(`p${i}`, `u${i}`));
    const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
    const fresh = j.processBatch(bytes, 0, bytes.length, 0, 1);
    const copy = (r: typeof fresh) => ({
      out: Buffer.from(r.out).toString('utf8'),
      inclusions: Buffer.from(r.inclusions).toString('utf8'),
      decisions: Buffer.from(r.decisions).toString('utf8'),
    });
    const before = copy(fresh);
    const spare = fresh.out.buffer as ArrayBuffer;
    new Uint8Array(spare).fill(0x78);
    const reused = j.processBatch(bytes, 0, bytes.length, 0, 1, spare);
    assert.equal(reused.out.buffer, spare);
    assert.deepEqual(copy(reused), before);
    // Too small: a new buffer, same bytes.
    const small = j.processBatch(bytes, 0, bytes.length, 0, 1, new ArrayBuffer(16));
    assert.notEqual(small.out.buffer.byteLength, 16);
    assert.deepEqual(copy(small), before);
  });
});
