import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HashedWriter, textChunks, textLines } from '../../src/gate/line-files.ts';

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

describe('textChunks and textLines', () => {
  // Lines short and long (up to 5 MiB: longer than a piece and than a read), empty ones, and
  // multi-byte characters on either side of where the pieces are cut.
  const lines: string[] = [];
  let seed = 7;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  for (let i = 0; i < 3000; i++) {
    const r = next() % 100;
    const length =
      i === 100 || i === 2000 ? 5 << 20 : r < 5 ? 0 : r < 99 ? next() % 400 : next() % 300_000;
    const unit = ['a', 'é', '€', '😀', '\t'][next() % 5]!;
    lines.push(length === 0 ? '' : `${i}:${unit.repeat(Math.ceil(length / unit.length))}`);
  }

  for (const trailing of [true, false]) {
    it(`gives every line once, in order, decoded (${trailing ? 'with' : 'without'} a last newline)`, async () => {
      const path = join(dir, `lines-${trailing}.txt`);
      await writeFile(path, lines.join('\n') + (trailing ? '\n' : ''));
      const got: string[] = [];
      for await (const batch of textLines(path)) got.push(...batch);
      assert.equal(got.length, lines.length);
      assert.ok(got.every((line, i) => line === lines[i]));
      const pieces: string[] = [];
      for await (const text of textChunks(path)) pieces.push(text);
      assert.ok(pieces.length > 20, `${pieces.length} pieces`);
      assert.equal(pieces.join('\n'), lines.join('\n'));
    });
  }
});
