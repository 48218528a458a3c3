import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HI, hashKey64, keyHash, LO } from '../../src/registry-files/key-hash.ts';
import { compareUtf8, SnapshotBody } from '../../src/registry-files/subject-keys.ts';

/** What a body made of `keys` ends as: the first problem, or its bytes, count, digest and hashes. */
function outcome(keys: unknown[], engine: 'wasm' | 'js') {
  const his: number[] = [];
  const los: number[] = [];
  const body = new SnapshotBody({
    engine,
    onHashes: (h, l) => {
      his.push(...h);
      los.push(...l);
    },
  });
  const chunks: Buffer[] = [];
  for (const key of keys) {
    const problem = body.add(key as string);
    if (problem) return { problem };
    // Taken at random moments, as the writers take them when the buffer is full.
    if (body.full || (key as string).length % 7 === 0) {
      const chunk = body.take();
      if (chunk) chunks.push(Buffer.from(chunk));
    }
  }
  const problem = body.end();
  if (problem) return { problem };
  const rest = body.take();
  if (rest) chunks.push(Buffer.from(rest));
  return {
    body: Buffer.concat(chunks).toString('utf8'),
    count: body.count,
    sha256: body.digest(),
    his,
    los,
  };
}

function hashesOf(keys: string[]) {
  const his: number[] = [];
  const los: number[] = [];
  for (const k of keys) {
    hashKey64(k);
    his.push(keyHash[HI]!);
    los.push(keyHash[LO]!);
  }
  return { his, los };
}

const plainKey = fc.stringMatching(/^(acct|email):[!-~]{1,12}$/);
const anyKey = fc.oneof(
  { weight: 8, arbitrary: plainKey },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      'a b',
      'a\nb',
      'x'.repeat(513),
      'x'.repeat(512),
      'é',
      '\u{1F600}',
      '\ud800',
    ),
  },
);

describe('snapshot body', () => {
  it('takes sorted ASCII keys in batches with the same bytes, hashes and digest in both engines', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `acct:${String(i).padStart(7, '0')}`);
    const wasm = outcome(keys, 'wasm');
    const js = outcome(keys, 'js');
    assert.deepEqual(wasm, js);
    assert.equal(wasm.count, keys.length);
    assert.equal(wasm.body, keys.map((k) => `${k}\n`).join(''));
    assert.deepEqual({ his: wasm.his, los: wasm.los }, hashesOf(keys));
  });

  it('gives the same answer in both engines for any keys: sorted, repeated, unsorted or invalid', () => {
    fc.assert(
      fc.property(
        fc.array(anyKey, { maxLength: 9000 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 8999 }),
        (raw, sort, at) => {
          // Mostly sorted (the normal case), with repeats; sometimes one key moved out of place.
          const keys = sort ? [...raw].sort(compareUtf8) : raw;
          if (sort && keys.length > 1 && at % 3 === 0) keys.splice(at % keys.length, 0, keys[0]!);
          const wasm = outcome(keys, 'wasm');
          const js = outcome(keys, 'js');
          assert.deepEqual(wasm, js);
          if (!('problem' in wasm)) {
            const unique = keys.filter((k, i) => i === 0 || k !== keys[i - 1]);
            assert.equal(wasm.count, unique.length);
            assert.deepEqual({ his: wasm.his, los: wasm.los }, hashesOf(unique));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('names the problem of a bad key found in a batch, wherever it is', () => {
    for (const engine of ['wasm', 'js'] as const) {
      const keys = Array.from({ length: 5000 }, (_, i) => `acct:${String(i).padStart(5, '0')}`);
      assert.match(
        outcome([...keys.slice(0, 4500), 'acct:0', ...keys.slice(4500)], engine).problem!,
        /not sorted in byte order \("acct:04499" before "acct:0"\)/,
      );
      assert.match(
        outcome([...keys.slice(0, 10), 'acct:00010 x'], engine).problem!,
        /"acct:00010 x": contains a space/,
      );
      assert.match(outcome([...keys, 'acct:00000é'], engine).problem!, /not sorted/);
      assert.match(outcome([...keys.slice(0, 3), 42], engine).problem!, /42: not a string/);
      assert.match(outcome(['acct:1', 'acct:2\nacct:3'], engine).problem!, /control character/);
    }
  });

  it('refuses a digest before end()', () => {
    const body = new SnapshotBody();
    body.add('acct:1');
    assert.throws(() => body.digest(), /end\(\) not called/);
  });
});
