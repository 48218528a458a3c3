import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HashedWriter } from '../../src/gate/line-files.ts';

const dir = await mkdtemp(join(tmpdir(), 'veto-line-files-'));
after(() => rm(dir, { recursive: true, force: true }));

describe('HashedWriter', () => {
  it('writes buffered and direct bytes in order, syncing along the way, and hashes them', async () => {
    const path = join(dir, 'synced.bin');
    // A sync every 1 KiB: dozens of them start while the writes go on.
    const w = await HashedWriter.create(path, { syncEvery: 1024 });
    const expected: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const chunk = Buffer.from(`line ${i} ${'x'.repeat(i % 50)}\n`);
      expected.push(chunk);
      if (i % 3 === 0) await w.write(chunk);
      else {
        w.push(chunk);
        await w.flushIfFull();
      }
    }
    const digest = await w.close();
    const all = Buffer.concat(expected);
    assert.deepEqual(await readFile(path), all);
    assert.equal(w.bytes, all.length);
    assert.equal(digest, createHash('sha256').update(all).digest('hex'));
  });

  it('hashes nothing when asked not to, and still writes everything', async () => {
    const path = join(dir, 'unhashed.bin');
    const w = await HashedWriter.create(path, { hash: false, syncEvery: 16 });
    w.pushString('a\tb\n');
    await w.write(Buffer.from('c\td\n'));
    assert.equal(await w.close(), '');
    assert.equal(await readFile(path, 'utf8'), 'a\tb\nc\td\n');
  });

  it('refuses to overwrite a file', async () => {
    const path = join(dir, 'once.bin');
    await (await HashedWriter.create(path)).close();
    await assert.rejects(HashedWriter.create(path), { code: 'EEXIST' });
  });
});
