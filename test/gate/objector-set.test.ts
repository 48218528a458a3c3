import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  hashChunkWasm,
  hashKeys,
  hashSnapshotChunk,
  type KeyHashes,
  loadSnapshotTable,
  ObjectorTable,
  objectorSetFrom,
} from '../../src/gate/objector-set.ts';
import { WorkerPool } from '../../src/gate/worker-pool.ts';
import { RegistryFileError } from '../../src/registry-files/registry-file-error.ts';
import {
  checkSnapshotKeys,
  scanSnapshotFile,
  writeSnapshotFile,
} from '../../src/registry-files/snapshot-file.ts';
import { AS_OF, tempDir } from './support/fixtures.ts';

const key = (i: number) => `acct:${String(i).padStart(7, '0')}`;

describe('objector table', () => {
  it('answers exactly for keys added and others', () => {
    const table = new ObjectorTable(1000);
    for (let i = 0; i < 1000; i += 2) table.add(key(i));
    const shared = objectorSetFrom(table.descriptor());
    for (let i = 0; i < 1000; i++) assert.equal(shared.has(key(i)), i % 2 === 0, key(i));
    assert.equal(shared.count, 500);
  });

  it('takes pre-hashed keys in bulk, and refuses more than it was sized for', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => key(i));
    const table = new ObjectorTable(5000);
    table.addHashes([hashKeys(keys.slice(0, 2000)), hashKeys(keys.slice(2000))]);
    for (const k of keys) assert.ok(table.has(k));
    assert.ok(!table.has(key(5001)));
    const small = new ObjectorTable(10);
    assert.throws(() => small.addHashes([hashKeys(keys)]), /full/);
  });

  it('takes keys staged in parts over several stages, and answers exactly', () => {
    // More keys than one stage holds (1M), in parts that straddle its boundaries.
    const n = 2_200_000;
    const mix = (i: number) => Math.imul(i ^ (i >>> 15), 0x2c1b3c6d) >>> 0;
    const his = Uint32Array.from({ length: n }, (_, i) => i + 1);
    const los = Uint32Array.from({ length: n }, (_, i) => mix(i));
    const table = new ObjectorTable(n);
    for (let from = 0; from < n; from += 300_001) {
      const to = Math.min(n, from + 300_001);
      table.stage(his.subarray(from, to), los.subarray(from, to), to - from);
    }
    table.flush();
    assert.equal(table.count, n);
    const out = new Uint8Array(n);
    table.hasAll(his, los, n, out);
    assert.equal(out.indexOf(0), -1, 'every staged key is found');
    // The same high words with other low words: none was added.
    const others = los.map((lo) => lo ^ 1);
    table.hasAll(his, others, n, out);
    assert.equal(out.indexOf(1), -1, 'no other key is found');
    const small = new ObjectorTable(10);
    assert.throws(() => {
      small.stage(his, los, 100);
      small.flush();
    }, /full/);
  });

  it('keeps keys whose region is full or whose probe runs past their region, and wraps at the end', () => {
    // 131,072 slots: four regions of 32,768 while filling. Region 1 gets more keys than it has
    // slots; others crowd the last slots of region 0 and of the table (their probes run into the
    // next region, or wrap to slot 0); the rest are spread.
    const n = 70_000;
    const table = new ObjectorTable(n);
    assert.equal(table.regions, 4);
    const his = new Uint32Array(n);
    const los = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      his[i] = i + 1;
      const high = (i * 2654435761) & 0xfffe0000;
      let home: number;
      if (i < 40_000) home = 32_768 + (i % 32_768);
      else if (i < 40_500) home = 32_767 - (i % 8);
      else if (i < 41_000) home = 131_071 - (i % 8);
      else home = (i * 40503) & 131_071;
      los[i] = (high | home) >>> 0;
    }
    // In parts, as chunks come; then staged keys of a settled table go in place.
    for (let from = 0; from < n - 1000; from += 7_001) {
      const to = Math.min(n - 1000, from + 7_001);
      table.stage(his.subarray(from, to), los.subarray(from, to), to - from);
    }
    table.flush();
    table.stage(his.subarray(n - 1000), los.subarray(n - 1000), 1000);
    assert.equal(table.count, n);
    const out = new Uint8Array(n);
    table.hasAll(his, los, n, out);
    assert.equal(out.indexOf(0), -1, 'every key is found');
    table.hasAll(
      his,
      los.map((lo) => lo ^ 0x10000),
      n,
      out,
    );
    assert.equal(out.indexOf(1), -1, 'no other key is found');
    const slots = new Uint32Array(table.shared);
    let held = 0;
    for (let i = 0; i < slots.length; i += 2) if (slots[i] !== 0) held++;
    assert.equal(held, n, 'each key held once');
  });

  it('adds keys in place to a table handed over filled, never packed over its keys', () => {
    const keys = Array.from({ length: 3000 }, (_, i) => key(i));
    const table = new ObjectorTable(6000);
    table.addHashes([hashKeys(keys.slice(0, 2000))]);
    // Another thread's view of the same slots (no fill state): what it adds goes in place.
    const view = ObjectorTable.from({ kind: 'table', slots: table.shared, count: 2000 });
    const more = hashKeys(keys.slice(2000));
    view.stage(more.his, more.los, more.los.length);
    view.flush();
    for (const k of keys) assert.ok(table.has(k), k);
  });

  it('is filled from a multi-chunk snapshot by worker threads and this one at once', async () => {
    const dir = await tempDir();
    const path = join(dir, 'big.snap');
    // ~26 MB: 7 reads of 4 MiB, so that each worker takes several chunks for the same table.
    const n = 2_000_000;
    await writeSnapshotFile(
      path,
      { id: 'snap_big', purpose: 'ai-training', asOf: AS_OF },
      (function* () {
        for (let i = 0; i < n; i++) yield key(2 * i);
      })(),
    );
    const table = new ObjectorTable(n);
    const pool = await WorkerPool.start(2);
    try {
      // Every third chunk, from the first, is hashed and added here (its hashes borrowed from
      // the hasher's memory), the rest by the workers, all three threads adding to the shared
      // table, as the gate does; the buffers the workers hand back are read into again.
      table.concurrent = true;
      const jobs: Promise<number>[] = [];
      let chunks = 0;
      let reread = 0;
      await scanSnapshotFile(
        path,
        (chunk, firstLine) => {
          if (chunks++ % 3 === 0) {
            const { his, los } = hashSnapshotChunk(path, chunk, chunk.length, firstLine, {
              borrow: true,
            });
            table.stage(his, los, los.length);
            return;
          }
          const job = pool.hashSnapshotChunk(path, chunk, firstLine, table);
          jobs.push(job);
          // Waited for here, so that its buffer is back before the next read.
          return job.then(() => {});
        },
        {
          takeBuffer: (bytes) => {
            const buffer = pool.takeInput(bytes);
            if (buffer) reread++;
            return buffer;
          },
        },
      );
      const addedByWorkers = (await Promise.all(jobs)).reduce((a, b) => a + b, 0);
      await pool.flushSnapshotChunks(table);
      assert.ok(chunks >= 6, `${chunks} chunks`);
      assert.ok(reread >= 1, 'a buffer a worker handed back was read into again');
      assert.ok(addedByWorkers > 0 && table.count > 0);
      assert.equal(table.count + addedByWorkers, n);
    } finally {
      await pool.close();
    }
    let missing = 0;
    let extra = 0;
    for (let i = 0; i < 2 * n; i++) {
      const has = table.has(key(i));
      if (i % 2 === 0 && !has) missing++;
      if (i % 2 === 1 && has) extra++;
    }
    assert.equal(missing, 0);
    assert.equal(extra, 0);
    // Verify's loading (one thread, one read buffer read into again): the same keys exactly.
    const loaded = (await loadSnapshotTable(path, n)).table;
    assert.equal(loaded.count, n);
    for (let i = 0; i < 2 * n; i++) {
      if (loaded.has(key(i)) !== (i % 2 === 0)) assert.fail(`key ${i}`);
    }
  });

  it('keeps two tables filled at once on one pool apart, each flushed on its own', async () => {
    const dir = await tempDir();
    // Two snapshots of other keys (evens, odds), their chunks sent to the same workers in turn.
    const paths = [join(dir, 'even.snap'), join(dir, 'odd.snap')];
    const n = 3000;
    for (const [parity, path] of paths.entries()) {
      await writeSnapshotFile(
        path,
        { id: `snap_${parity}`, purpose: 'ai-training', asOf: AS_OF },
        Array.from({ length: n }, (_, i) => key(2 * i + parity)).sort(),
      );
    }
    const chunksOf = async (path: string) => {
      const chunks: { chunk: Buffer; firstLine: number }[] = [];
      await scanSnapshotFile(path, (chunk, firstLine) => {
        // Cut in pieces of whole lines, so that each worker gets several of each table.
        let from = 0;
        let line = firstLine;
        while (from < chunk.length) {
          let to = Math.min(chunk.length, from + 4000);
          if (to < chunk.length) to = chunk.indexOf(10, to) + 1;
          // A buffer of its own: the pool transfers the whole buffer, read from its start.
          const own = Buffer.allocUnsafeSlow(to - from);
          chunk.copy(own, 0, from, to);
          chunks.push({ chunk: own, firstLine: line });
          for (let i = from; i < to; i++) if (chunk[i] === 10) line++;
          from = to;
        }
      });
      return chunks;
    };
    const [even, odd] = await Promise.all(paths.map(chunksOf));
    const tables = [new ObjectorTable(n), new ObjectorTable(n)];
    for (const t of tables) t.concurrent = true;
    const pool = await WorkerPool.start(2);
    try {
      const added = [0, 0];
      for (let i = 0; i < Math.max(even!.length, odd!.length); i++) {
        for (const [t, chunks] of [even!, odd!].entries()) {
          const c = chunks[i];
          if (!c) continue;
          added[t]! += await pool.hashSnapshotChunk(paths[t]!, c.chunk, c.firstLine, tables[t]!);
        }
      }
      assert.ok(even!.length >= 4 && odd!.length >= 4, 'several chunks of each table');
      // A chunk that does not start its buffer is refused, not read from the wrong place.
      await assert.rejects(
        pool.hashSnapshotChunk(paths[0]!, Buffer.allocUnsafeSlow(16).subarray(8), 2, tables[0]!),
        /byteOffset 0/,
      );
      // The first table is flushed while the second still has keys staged on the workers.
      await pool.flushSnapshotChunks(tables[0]!);
      await pool.flushSnapshotChunks(tables[1]!);
      assert.deepEqual(added, [n, n]);
    } finally {
      await pool.close();
    }
    for (const [parity, table] of tables.entries()) {
      for (let i = 0; i < 2 * n; i++) {
        if (table.has(key(i)) !== (i % 2 === parity)) assert.fail(`table ${parity}, key ${i}`);
      }
    }
  });
});

describe('snapshot chunk hashing on bytes', () => {
  const chunk = (keys: string[]) => Buffer.from(`${keys.join('\n')}\n`);
  const same = (a: KeyHashes, b: KeyHashes) => {
    assert.deepEqual([...a.his], [...b.his]);
    assert.deepEqual([...a.los], [...b.los]);
  };

  it('gives the hashes of the key strings, for every key length and byte', () => {
    const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) =>
      String.fromCharCode(0x21 + i),
    );
    const keys = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      let k = '';
      const n = 1 + ((i * 7919) % 40);
      for (let j = 0; j < n; j++) k += printable[(i * 31 + j * 17 + (i >> 3)) % printable.length];
      keys.add(k);
    }
    keys.add('x'.repeat(512));
    const sorted = [...keys].sort();
    same(hashSnapshotChunk('s', chunk(sorted), chunk(sorted).length, 2), hashKeys(sorted));
  });

  it('hands non-ASCII keys to the string path, with the same hashes', () => {
    const keys = ['acct:a', 'acct:é', 'email:ß', 'email:€'].sort();
    const bytes = chunk(keys);
    same(hashSnapshotChunk('s', bytes, bytes.length, 2), hashKeys(keys));
  });

  it('fails like checkSnapshotKeys on bad keys and bad order', () => {
    for (const keys of [
      ['acct:1', 'acct:2 x'],
      ['acct:1', ''],
      ['acct:2', 'acct:1'],
      ['acct:1', 'acct:1'],
      ['acct:1', 'x'.repeat(513)],
      ['acct:\u007f'],
    ]) {
      const bytes = chunk(keys);
      const text = bytes.toString('utf8', 0, bytes.length - 1);
      assert.throws(() => checkSnapshotKeys('s', text, 5), RegistryFileError);
      let expected = '';
      try {
        checkSnapshotKeys('s', text, 5);
      } catch (err) {
        expected = (err as Error).message;
      }
      assert.throws(
        () => hashSnapshotChunk('s', bytes, bytes.length, 5),
        (err: Error) => err instanceof RegistryFileError && err.message === expected,
      );
    }
  });
});

describe('snapshot chunks: WebAssembly and JavaScript', () => {
  // Keys near the edges of what the byte path takes: printable ASCII, `!` and `~`, a space, DEL,
  // non-ASCII, lengths around the 16-byte steps and the 512-byte limit.
  const keyText = fc.oneof(
    { weight: 6, arbitrary: fc.stringMatching(/^acct:[!-~]{1,20}$/) },
    { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('a b', 'é', '\u007f', '!', '~', 'x'.repeat(512), 'y'.repeat(513)),
    },
  );
  const chunk = fc
    .tuple(fc.uniqueArray(keyText, { maxLength: 40 }), fc.nat(9), fc.nat())
    .map(([keys, how, at]) => {
      const lines = keys
        .map((k) => Buffer.from(k.replace(/\n/g, '')))
        .filter((b) => b.length > 0)
        .sort(Buffer.compare);
      const i = lines.length === 0 ? 0 : at % lines.length;
      if (how === 0 && lines.length > 1) lines.reverse(); // out of order
      if (how === 1 && lines.length > 0) lines.splice(i, 0, lines[i]!); // a duplicate
      if (how === 2) lines.splice(i, 0, Buffer.alloc(0)); // an empty line
      let bytes = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
      if (how === 3 && bytes.length > 0) bytes = bytes.subarray(0, -1); // no last newline
      return Buffer.from(bytes);
    });

  it('hash plain chunks alike, and WebAssembly leaves every other chunk to JavaScript', () => {
    let byWasm = 0;
    fc.assert(
      fc.property(chunk, (bytes) => {
        let js: KeyHashes | Error;
        try {
          js = hashSnapshotChunk('s.snap', bytes, bytes.length, 2, { engine: 'js' });
        } catch (err) {
          js = err as Error;
        }
        const wasm = hashChunkWasm(bytes, bytes.length);
        if (wasm === undefined) {
          // Refused: only what is not plain printable ASCII in order (the JS path may still
          // read it, e.g. non-ASCII keys, or reject it).
          return;
        }
        byWasm++;
        assert.ok(!(js instanceof Error), `WebAssembly took a chunk JavaScript rejects: ${js}`);
        assert.deepEqual([...wasm.his], [...js.his]);
        assert.deepEqual([...wasm.los], [...js.los]);
        // And the default (WebAssembly) path gives the same.
        assert.deepEqual(hashSnapshotChunk('s.snap', bytes, bytes.length, 2), js);
      }),
      { numRuns: 2000 },
    );
    assert.ok(byWasm > 500, `${byWasm} chunks hashed by WebAssembly`);
  });

  it('refuses in WebAssembly what the JavaScript byte path refuses', () => {
    for (const bad of [
      'b\na\n',
      'a\na\n',
      'a\n\nb\n',
      'a b\n',
      'é\n',
      'a\nb',
      `${'k'.repeat(513)}\n`,
    ]) {
      assert.equal(hashChunkWasm(Buffer.from(bad), Buffer.byteLength(bad)), undefined, bad);
    }
    const ok = Buffer.from(`${'k'.repeat(512)}\n`);
    assert.ok(hashChunkWasm(ok, ok.length));
  });
});
