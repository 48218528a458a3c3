import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RegistryFileError } from '../../src/registry-files/registry-file-error.ts';
import {
  readSnapshotAnchor,
  readSnapshotFile,
  readSnapshotHeader,
  snapshotKeys,
  writeSnapshotFile,
} from '../../src/registry-files/snapshot-file.ts';
import { compareUtf8 } from '../../src/registry-files/subject-keys.ts';
import { signCheckpoint } from '../../src/transparency/checkpoint.ts';
import { generateSigner } from '../../src/transparency/signed-note.ts';
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
    assert.ok(header!.startsWith('#veto-snapshot v3 {'));
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
    // Read in 4 MiB chunks into one buffer read into again: every key, in order, once.
    let n = 0;
    let wrong = 0;
    await readSnapshotFile(path, (batch) => {
      for (const k of batch) if (k !== `acct:${String(n++).padStart(7, '0')}`) wrong++;
    });
    assert.equal(n, 1_000_000);
    assert.equal(wrong, 0);
  });

  it('carries the log checkpoint given once the keys are hashed; any byte of it edited is refused', async () => {
    const dir = await tempDir();
    const path = join(dir, 'anchored.snap');
    const signer = generateSigner('veto.test/veto-log');
    const root = Buffer.alloc(32, 7);
    const anchor = {
      size: 41,
      root: root.toString('base64'),
      checkpoint: signCheckpoint(signer, 41, root),
    };
    let seen: unknown;
    const meta = await writeSnapshotFile(path, META, ['acct:1', 'acct:2'], {
      anchor: async (written) => {
        seen = written;
        return anchor;
      },
    });
    assert.deepEqual(seen, meta, 'the callback sees the count and hash the registry records');
    assert.deepEqual(await readSnapshotAnchor(path), { meta, anchor });
    assert.deepEqual(await readAll(path), ['acct:1', 'acct:2']);
    // Unanchored files say so (null), and have the same header width: one spelling.
    await writeSnapshotFile(join(dir, 'plain.snap'), META, ['acct:1', 'acct:2']);
    assert.equal((await readSnapshotAnchor(join(dir, 'plain.snap'))).anchor, null);
    const plainHeader = (await readFile(join(dir, 'plain.snap'))).indexOf(10);
    const good = await readFile(path);
    assert.equal(good.indexOf(10), plainHeader);

    // Every byte of the anchor's JSON, flipped: refused (checksum, form or JSON).
    const text = good.toString('latin1');
    const from = text.indexOf('"anchor":');
    const to = text.indexOf(',"checksum"');
    assert.ok(from > 0 && to > from);
    const bad = join(dir, 'flipped.snap');
    for (let i = from; i < to; i++) {
      const edited = Buffer.from(good);
      edited[i] = edited[i]! ^ 0x01;
      await writeFile(bad, edited);
      await assert.rejects(readSnapshotAnchor(bad), RegistryFileError, `byte ${i}`);
    }
    // The anchor removed and the checksum recomputed by hand would need the checksum's rule; a
    // header naming no anchor where one was is refused by its checksum.
    await writeFile(
      bad,
      text.replace(/"anchor":\{.*?\},"checksum"/, '"anchor":null,"checksum"'),
      'latin1',
    );
    await assert.rejects(readSnapshotAnchor(bad), /checksum does not match/);
    // A callback answering something that is not an anchor: nothing written.
    await assert.rejects(
      writeSnapshotFile(join(dir, 'odd.snap'), META, [], {
        anchor: async () => ({ ...anchor, size: 0 }),
      }),
      /anchor\.size/,
    );
    await assert.rejects(readFile(join(dir, 'odd.snap')), { code: 'ENOENT' });
  });

  it('refuses the earlier formats, saying how to get a new file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'old.snap');
    await writeSnapshotFile(path, META, ['acct:1']);
    const text = await readFile(path, 'utf8');
    for (const version of ['v1', 'v2']) {
      await writeFile(path, text.replace('#veto-snapshot v3 ', `#veto-snapshot ${version} `));
      await assert.rejects(
        readAll(path),
        new RegExp(
          `snapshot format ${version} is no longer read: .*take a new snapshot \\(veto registry snapshot\\)`,
        ),
      );
    }
    await assert.rejects(
      readSnapshotHeader(path),
      /does not carry the transparency log's checkpoint/,
    );
  });
});
