import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RegistryFileError } from '../../src/registry-files/registry-file-error.ts';
import {
  readSnapshotFile,
  readSnapshotHeader,
  snapshotKeys,
  writeSnapshotFile,
} from '../../src/registry-files/snapshot-file.ts';
import { compareUtf8 } from '../../src/registry-files/subject-keys.ts';
import { tempDir } from '../gate/support/fixtures.ts';

const META = { id: 'snap_1', purpose: 'ai-training', asOf: '2025-05-27T00:00:00.000Z' };

async function readAll(path: string): Promise<string[]> {
  const keys: string[] = [];
  await readSnapshotFile(path, (batch) => {
    keys.push(...batch);
  });
  return keys;
}

describe('snapshot file', () => {
  it('round-trips keys with count and body hash in the header', async () => {
    const dir = await tempDir();
    const path = join(dir, 's.snap');
    const keys = ['acct:1', 'acct:10', 'acct:2', 'email:ab12'];
    const meta = await writeSnapshotFile(path, META, keys);
    assert.equal(meta.count, 4);
    assert.match(meta.sha256, /^[0-9a-f]{64}$/);
    const text = await readFile(path, 'utf8');
    const [header, ...body] = text.split('\n');
    assert.ok(header!.startsWith('#veto-snapshot v2 {'));
    assert.deepEqual(body, [...keys, '']);
    assert.deepEqual(await readSnapshotHeader(path), meta);
    assert.deepEqual(await readAll(path), keys);
    const streamed: string[] = [];
    for await (const k of snapshotKeys(path)) streamed.push(k);
    assert.deepEqual(streamed, keys);
  });

  it('streams async iterables, drops repeated keys, writes an empty snapshot', async () => {
    const dir = await tempDir();
    async function* gen() {
      yield 'acct:a';
      yield 'acct:a';
      yield 'acct:b';
    }
    const meta = await writeSnapshotFile(join(dir, 'a.snap'), META, gen());
    assert.equal(meta.count, 2);
    const empty = await writeSnapshotFile(join(dir, 'e.snap'), META, []);
    assert.equal(empty.count, 0);
    assert.deepEqual(await readAll(join(dir, 'e.snap')), []);
  });

  it('orders by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1F600 (F0 9F 98 80) in byte order,
    // although its UTF-16 unit 0xFF5E is above the surrogate 0xD83D.
    assert.ok(compareUtf8('acct:\uff5e', 'acct:\u{1f600}') < 0);
    assert.ok('acct:\uff5e' > 'acct:\u{1f600}');
  });

  it('writes and reads keys beyond U+FFFF in byte order, refuses UTF-16 order', async () => {
    const dir = await tempDir();
    const good = ['acct:a', 'acct:\uff5e', 'acct:\u{1f600}'];
    await writeSnapshotFile(join(dir, 'good.snap'), META, good);
    assert.deepEqual(await readAll(join(dir, 'good.snap')), good);
    await assert.rejects(
      writeSnapshotFile(join(dir, 'bad.snap'), META, ['acct:a', 'acct:\u{1f600}', 'acct:\uff5e']),
      /not sorted in byte order/,
    );
  });

  it('refuses unsorted or invalid keys and leaves no file behind', async () => {
    const dir = await tempDir();
    const path = join(dir, 'bad.snap');
    await assert.rejects(writeSnapshotFile(path, META, ['acct:2', 'acct:1']), /not sorted/);
    await assert.rejects(writeSnapshotFile(path, META, ['acct:1 2']), /space or a control/);
    await assert.rejects(readFile(path), { code: 'ENOENT' });
    await assert.rejects(writeSnapshotFile(path, { ...META, asOf: 'yesterday' }, []), /asOf/);
  });

  it('fails closed on a changed key, a dropped key, a wrong count or a truncated file', async () => {
    const dir = await tempDir();
    const path = join(dir, 's.snap');
    await writeSnapshotFile(path, META, ['acct:1', 'acct:2', 'acct:3']);
    const good = await readFile(path, 'utf8');
    const cases: [string, string, RegExp][] = [
      ['changed', good.replace('acct:2', 'acct:4'), /sha256|order/],
      ['dropped', good.replace('acct:2\n', ''), /header says 3 keys/],
      ['truncated', good.slice(0, -1), /truncated/],
      ['reordered', good.replace('acct:1\nacct:2', 'acct:2\nacct:1'), /order/],
      ['not a snapshot', good.replace('#veto-snapshot', '#other'), /not a Veto snapshot/],
      ['bad header', good.replace('"count":3', '"count":"3"'), /count/],
    ];
    for (const [name, text, error] of cases) {
      const bad = join(dir, `${name}.snap`);
      await writeFile(bad, text);
      await assert.rejects(readAll(bad), (err: Error) => {
        assert.ok(err instanceof RegistryFileError, name);
        assert.match(err.message, error, name);
        return true;
      });
    }
  });

  it('streams 1M keys without holding them as one string', async () => {
    const dir = await tempDir();
    const path = join(dir, 'big.snap');
    function* keys() {
      for (let i = 0; i < 1_000_000; i++) yield `acct:${String(i).padStart(7, '0')}`;
    }
    const meta = await writeSnapshotFile(path, META, keys());
    assert.equal(meta.count, 1_000_000);
    let n = 0;
    await readSnapshotFile(path, (batch) => {
      n += batch.length;
    });
    assert.equal(n, 1_000_000);
  });
});
