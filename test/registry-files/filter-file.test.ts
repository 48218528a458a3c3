import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BinaryFuse8 } from '../../src/registry-files/binary-fuse8.ts';
import {
  FILTER_FALSE_POSITIVE_RATE,
  filterHas,
  filterHasAll,
  readFilterFile,
  writeFilterFile,
} from '../../src/registry-files/filter-file.ts';
import { sharedFingerprints } from '../../src/registry-files/fingerprint-memory.ts';
import { WasmFuseConstruction } from '../../src/registry-files/fuse-populate.ts';
import { HI, hashKey64, keyHash, LO } from '../../src/registry-files/key-hash.ts';
import { RegistryFileError } from '../../src/registry-files/registry-file-error.ts';
import { writeSnapshotFile } from '../../src/registry-files/snapshot-file.ts';
import { signCheckpoint } from '../../src/transparency/checkpoint.ts';
import { generateSigner } from '../../src/transparency/signed-note.ts';
import { tempDir } from '../gate/support/fixtures.ts';

const META = { id: 'snap_f', purpose: 'ai-training', asOf: '2025-05-27T00:00:00.000Z' };
const key = (i: number) => `acct:${String(i).padStart(8, '0')}`;
function* keys(n: number) {
  for (let i = 0; i < n; i++) yield key(i);
}

/** The hashes of `key(0)` to `key(n - 1)`, as two lanes. */
function keyLanes(n: number) {
  const his = new Uint32Array(n);
  const los = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    hashKey64(key(i));
    his[i] = keyHash[HI]!;
    los[i] = keyHash[LO]!;
  }
  return { his, los };
}

/**
 * Distinct 64-bit hashes as two lanes, the first half of them a filter's members. Lanes of 0 and
 * 0xffffffff reach the remix's remapped corner.
 */
function hashSets(maxLength: number) {
  const lane = fc.oneof(fc.constantFrom(0, 1, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
  return fc.uniqueArray(fc.tuple(lane, lane), { minLength: 1, maxLength }).map((pairs) => ({
    his: Uint32Array.from(pairs, ([h]) => h),
    los: Uint32Array.from(pairs, ([, l]) => l),
    members: Math.ceil(pairs.length / 2),
  }));
}

describe('filter file', () => {
  it('has zero false negatives on 1M keys and a false-positive rate within its bound', async () => {
    const dir = await tempDir();
    const path = join(dir, 'objectors.vfilter');
    const n = 1_000_000;
    const meta = await writeFilterFile(path, META, keys(n));
    assert.ok(meta.bitsPerKey <= 10, `bits/key ${meta.bitsPerKey}`);
    const { filter, meta: read } = await readFilterFile(path);
    assert.deepEqual(read, meta);
    let falseNegatives = 0;
    for (let i = 0; i < n; i++) if (!filterHas(filter, key(i))) falseNegatives++;
    assert.equal(falseNegatives, 0);
    let falsePositives = 0;
    const trials = 1_000_000;
    for (let i = 0; i < trials; i++)
      if (filterHas(filter, `email:${i.toString(16)}`)) falsePositives++;
    const rate = falsePositives / trials;
    // 1/256 expected; the binomial standard deviation at 1M trials is ~0.006 %, allow 0.05 %.
    assert.ok(rate <= FILTER_FALSE_POSITIVE_RATE + 0.0005, `false-positive rate ${rate}`);
    assert.ok(rate > 0.002, `suspiciously low false-positive rate ${rate}`);
  });

  it('looks many keys up at once with the answers of one by one', async () => {
    const dir = await tempDir();
    const path = join(dir, 'many.vfilter');
    await writeFilterFile(path, META, keys(20_000));
    const { filter } = await readFilterFile(path);
    // Members, strangers and false positives, across more than two batches of 4,096.
    const probe = Array.from({ length: 10_000 }, (_, i) =>
      i % 3 === 0 ? `email:${i}` : key(i * 2),
    );
    const out = new Uint8Array(probe.length);
    filterHasAll(filter, probe, out);
    for (const [i, k] of probe.entries()) assert.equal(out[i], filterHas(filter, k) ? 1 : 0, k);
    assert.ok(out.includes(0) && out.includes(1));
    assert.throws(() => filterHasAll(filter, probe, new Uint8Array(9_999)), /shorter/);
  });

  it('writes the same file without WebAssembly, and when its memory fills up mid-way', async () => {
    const dir = await tempDir();
    const n = 30_000;
    await writeFilterFile(join(dir, 'wasm.vfilter'), META, keys(n));
    const saved = process.env.VETO_WASM;
    process.env.VETO_WASM = '0';
    try {
      await writeFilterFile(join(dir, 'js.vfilter'), META, keys(n));
    } finally {
      if (saved === undefined) delete process.env.VETO_WASM;
      else process.env.VETO_WASM = saved;
    }
    // The memory refuses the fourth batch of hashes: the writer goes on in JavaScript.
    const add = WasmFuseConstruction.prototype.add;
    let calls = 0;
    WasmFuseConstruction.prototype.add = function (his, los) {
      return ++calls <= 3 && add.call(this, his, los);
    };
    try {
      await writeFilterFile(join(dir, 'full.vfilter'), META, keys(n));
    } finally {
      WasmFuseConstruction.prototype.add = add;
    }
    assert.equal(calls, 4);
    const wasm = await readFile(join(dir, 'wasm.vfilter'));
    assert.deepEqual(await readFile(join(dir, 'js.vfilter')), wasm);
    assert.deepEqual(await readFile(join(dir, 'full.vfilter')), wasm);
  });

  it('carries the snapshot id and the same body hash as the snapshot file of the same keys', async () => {
    const dir = await tempDir();
    const snap = await writeSnapshotFile(join(dir, 's.snap'), META, keys(1000));
    const meta = await writeFilterFile(join(dir, 'f.vfilter'), snap, keys(1000));
    assert.deepEqual(meta.snapshot, snap);
    await assert.rejects(writeFilterFile(join(dir, 'g.vfilter'), snap, keys(999)), /snapshot says/);
  });

  it('handles empty and tiny sets, and the sizes where peeling is hard', async () => {
    for (const n of [0, 1, 2, 3, 7, 100, 12_345]) {
      const { his, los } = keyLanes(n);
      const f = BinaryFuse8.build(his, los, n);
      for (let i = 0; i < n; i++) assert.ok(f.has(his[i]!, los[i]!), `n=${n} i=${i}`);
      if (n === 0) assert.equal(f.has(1, 2), false);
    }
  });

  it('builds the same fingerprints in WebAssembly and JavaScript, repeated hashes included', () => {
    fc.assert(
      fc.property(hashSets(3000), fc.nat(), ({ his, los, members }, r) => {
        // Repeat a few hashes (the writers never do, the construction tolerates it).
        const n = members + (r % 4);
        const h = Uint32Array.from({ length: n }, (_, i) => his[i % members]!);
        const l = Uint32Array.from({ length: n }, (_, i) => los[i % members]!);
        const wasm = BinaryFuse8.build(h, l, n);
        const js = BinaryFuse8.build(h, l, n, undefined, 'js');
        assert.deepEqual(wasm.params, js.params);
        assert.deepEqual(wasm.fingerprints, js.fingerprints);
      }),
      { numRuns: 100 },
    );
    // Sizes where the first seeds fail, and one with big segments and many segment blocks.
    for (const n of [12_345, 300_000]) {
      const { his, los } = keyLanes(n);
      const wasm = BinaryFuse8.build(his, los, n);
      const js = BinaryFuse8.build(his, los, n, undefined, 'js');
      assert.deepEqual(wasm.params, js.params, `n=${n}`);
      assert.ok(
        wasm.fingerprints.every((v, i) => v === js.fingerprints[i]),
        `n=${n}`,
      );
    }
  });

  it('answers the same one by one and in batches', () => {
    const n = 5000;
    const { his, los } = keyLanes(2 * n);
    const f = BinaryFuse8.build(his, los, n);
    const out = new Uint8Array(2 * n);
    f.hasMany(his, los, 2 * n, out);
    for (let i = 0; i < 2 * n; i++) assert.equal(out[i] === 1, f.has(his[i]!, los[i]!), `key ${i}`);
    assert.ok(out.subarray(0, n).every((v) => v === 1));
  });

  it('answers the same one by one and in batches for any hash, members included', () => {
    // hasMany writes the remix out by hand (see its comment); any drift from `has` would make
    // the batched path miss members.
    fc.assert(
      fc.property(hashSets(300), ({ his, los, members }) => {
        const f = BinaryFuse8.build(his, los, members);
        const out = new Uint8Array(his.length);
        f.hasMany(his, los, his.length, out);
        for (let i = 0; i < his.length; i++) {
          assert.equal(out[i] === 1, f.has(his[i]!, los[i]!), `pair ${i}`);
          if (i < members) assert.equal(out[i], 1, `member ${i}`);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('looks up alike in WebAssembly and JavaScript, in calls of any size', () => {
    fc.assert(
      fc.property(hashSets(9000), ({ his, los, members }) => {
        const js = BinaryFuse8.build(his, los, members);
        // The same fingerprints, in the shared memory that readFilterFile uses.
        const storage = sharedFingerprints(js.params.arrayLength);
        assert.ok(storage.memory, 'WebAssembly runs here');
        storage.fingerprints.set(js.fingerprints);
        const wasm = new BinaryFuse8(js.params, storage.fingerprints, storage.memory);
        const a = new Uint8Array(his.length);
        const b = new Uint8Array(his.length);
        js.hasMany(his, los, his.length, a);
        wasm.hasMany(his, los, his.length, b);
        assert.deepEqual(b, a);
        assert.ok(b.subarray(0, members).every((v) => v === 1));
      }),
      { numRuns: 60 },
    );
  });

  it('reads its fingerprints into shared WebAssembly memory, looked up there by workers too', async () => {
    const dir = await tempDir();
    const path = join(dir, 'wasm.vfilter');
    await writeFilterFile(path, META, keys(50_000));
    const { filter } = await readFilterFile(path);
    assert.ok(filter.memory, 'in a WebAssembly memory');
    assert.ok(filter.fingerprints.buffer instanceof SharedArrayBuffer);
    const { Worker } = await import('node:worker_threads');
    // A worker gets the memory object, looks keys up in the same fingerprints, and must find
    // every member (and answer like this thread for the others).
    const { his, los } = keyLanes(100_000);
    const here = new Uint8Array(his.length);
    filter.hasMany(his, los, his.length, here);
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       parentPort.postMessage(workerData.memory.buffer === undefined ? 'no buffer' : new Uint8Array(workerData.memory.buffer, workerData.offset, 4).join(','));`,
      { eval: true, workerData: { memory: filter.memory, offset: filter.fingerprints.byteOffset } },
    );
    const seen = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.equal(seen, Array.from(filter.fingerprints.subarray(0, 4)).join(','));
    assert.ok(here.subarray(0, 50_000).every((v) => v === 1));
  });

  it('tolerates a repeated hash', () => {
    const his = new Uint32Array([1, 2, 1, 3]);
    const los = new Uint32Array([5, 6, 5, 7]);
    const f = BinaryFuse8.build(his, los, 4);
    for (let i = 0; i < 4; i++) assert.ok(f.has(his[i]!, los[i]!));
  });

  it('carries the log checkpoint inside its checksum; any byte of it edited is refused; v2 is refused', async () => {
    const dir = await tempDir();
    const path = join(dir, 'anchored.filter');
    const signer = generateSigner('veto.test/veto-log');
    const root = Buffer.alloc(32, 9);
    const anchor = {
      size: 12,
      root: root.toString('base64'),
      checkpoint: signCheckpoint(signer, 12, root),
    };
    const meta = await writeFilterFile(path, META, keys(100), { anchor: async () => anchor });
    assert.deepEqual(meta.anchor, anchor);
    assert.deepEqual((await readFilterFile(path, { shared: false })).meta.anchor, anchor);
    const plain = join(dir, 'plain.filter');
    await writeFilterFile(plain, META, keys(100));
    assert.equal((await readFilterFile(plain, { shared: false })).meta.anchor, null);

    const good = await readFile(path);
    const text = good.toString('latin1');
    const from = text.indexOf('"anchor":');
    const to = text.indexOf(',"checksum"');
    assert.ok(from > 0 && to > from);
    const bad = join(dir, 'flipped.filter');
    for (let i = from; i < to; i++) {
      const edited = Buffer.from(good);
      edited[i] = edited[i]! ^ 0x01;
      await writeFile(bad, edited);
      await assert.rejects(readFilterFile(bad, { shared: false }), RegistryFileError, `byte ${i}`);
    }
    await writeFile(
      bad,
      Buffer.from(text.replace('#veto-filter v3 ', '#veto-filter v2 '), 'latin1'),
    );
    await assert.rejects(
      readFilterFile(bad, { shared: false }),
      /filter format v2 is no longer read: it does not carry the transparency log's checkpoint .*veto registry filter/,
    );
  });

  it('fails closed on a damaged or truncated file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'f.vfilter');
    await writeFilterFile(path, META, keys(5000));
    const good = await readFile(path);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 10]! ^= 0xff;
    const cases: [string, Buffer, RegExp][] = [
      ['flipped', flipped, /checksum mismatch/],
      ['truncated', good.subarray(0, good.length - 1), /truncated or padded/],
      ['padded', Buffer.concat([good, Buffer.from('x')]), /truncated or padded/],
      [
        'magic',
        Buffer.from(good.toString('latin1').replace('#veto-filter', '#other-filt'), 'latin1'),
        /not a Veto filter/,
      ],
      [
        'count',
        Buffer.from(good.toString('latin1').replace('"count":5000', '"count":5001'), 'latin1'),
        /checksum mismatch|parameters/,
      ],
    ];
    for (const [name, bytes, error] of cases) {
      const bad = join(dir, `${name}.vfilter`);
      await writeFile(bad, bytes);
      await assert.rejects(readFilterFile(bad), (err: Error) => {
        assert.ok(err instanceof RegistryFileError, name);
        assert.match(err.message, error, name);
        return true;
      });
    }
  });
});
