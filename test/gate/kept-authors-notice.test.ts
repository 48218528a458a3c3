import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeptAuthorsNoticeCheck } from '../../src/gate/kept-authors-notice.ts';

describe('the notice-period check of kept authors', () => {
  it('asks about every key, at most a batch a call, and gathers the authors not shown', async () => {
    const calls: number[] = [];
    const check = new KeptAuthorsNoticeCheck(async (keys) => {
      calls.push(keys.length);
      return keys.filter((k) => k.endsWith('7'));
    }, 10);
    // Batch summaries of 6 keys each: the pending keys pass the batch size before a flush.
    for (let b = 0; b < 5; b++) {
      check.addKeys(Array.from({ length: 6 }, (_, i) => `acct:${b * 6 + i}`).join('\n'));
    }
    // Inclusion rows (a runner's): only `author` rows count.
    const rows = Buffer.from('acct:47\tp1\tauthor\t0\t1\nacct:57\tp1\tmention\t0\t1\n');
    check.scanRows(rows, 0, rows.length);
    const missing = await check.missing();
    assert.deepEqual([...missing].sort(), ['acct:17', 'acct:27', 'acct:47', 'acct:7']);
    assert.ok(Math.max(...calls) <= 10, `calls of ${calls.join(', ')} keys`);
    assert.equal(
      calls.reduce((n, c) => n + c, 0),
      31,
    );
  });

  it('a registry that cannot answer fails the check', async () => {
    const check = new KeptAuthorsNoticeCheck(async () => {
      throw new Error('registry down');
    }, 10);
    check.addKeys('acct:1\nacct:2');
    await assert.rejects(check.missing(), /registry down/);
  });
});
