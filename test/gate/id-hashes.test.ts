import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { IdHashes, RecentHashes } from '../../src/gate/id-hashes.ts';

/** The hashes that occur more than once, counted with a plain map (the reference). */
function repeatedByMap(pairs: [number, number][]): Set<string> {
  const seen = new Map<string, number>();
  for (const [hi, lo] of pairs) seen.set(`${hi}:${lo}`, (seen.get(`${hi}:${lo}`) ?? 0) + 1);
  return new Set([...seen].filter(([, n]) => n > 1).map(([k]) => k));
}

function repeatedOf(pairs: [number, number][]): Set<string> {
  const ids = new IdHashes(pairs.length);
  for (const [hi, lo] of pairs) ids.push(hi, lo);
  const found = ids.repeated();
  // Every hash the reference finds must be in the set, and the set no bigger.
  return new Set(pairs.filter(([hi, lo]) => found.has(hi, lo)).map(([hi, lo]) => `${hi}:${lo}`));
}

describe('the search for repeated ids (their 64-bit hashes)', () => {
  it('finds exactly the hashes seen more than once, for any number of them', () => {
    // High words 0 and 1 are one in HashSet64 (it stores 0 as 1): the set answers for both,
    // which only asks the strings to confirm. The edges here leave 1 out so the counts are exact.
    const any = fc.integer({ min: 0, max: 0xffffffff });
    const hiWord = fc.oneof(any, fc.constantFrom(0, 0xffffffff, 0x80000000));
    const loWord = fc.oneof(any, fc.constantFrom(0, 1, 0xffffffff, 0x80000000));
    fc.assert(
      fc.property(
        // Up to 20,000 distinct hashes (several buckets), some of them repeated up to 3 times.
        fc.uniqueArray(fc.tuple(hiWord, loWord), {
          maxLength: 20_000,
          selector: ([hi, lo]) => `${hi}:${lo}`,
        }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3 })), { maxLength: 40 }),
        (distinct, repeats) => {
          const pairs = [...distinct] as [number, number][];
          for (const [which, times] of repeats) {
            if (distinct.length === 0) break;
            for (let t = 0; t < times; t++) pairs.push(distinct[which % distinct.length]!);
          }
          // Repeats land anywhere in the order.
          pairs.reverse();
          const expected = repeatedByMap(pairs);
          const ids = new IdHashes(pairs.length);
          for (const [hi, lo] of pairs) ids.push(hi, lo);
          assert.equal(ids.repeated().size, expected.size);
          assert.deepEqual(repeatedOf(pairs), expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('tells apart hashes that differ only in a word that is 0', () => {
    const pairs: [number, number][] = [
      [0, 42],
      [1, 42],
      [42, 0],
      [42, 1],
      [0, 0],
    ];
    assert.equal(repeatedOf(pairs).size, 0);
    assert.deepEqual(repeatedOf([...pairs, [0, 0]]), new Set(['0:0']));
  });

  it('finds a repeat alone in its bucket, and in a list of two', () => {
    assert.deepEqual(
      repeatedOf([
        [7, 9],
        [7, 9],
      ]),
      new Set(['7:9']),
    );
    // 8,193 hashes make two buckets (by the top bit); the second holds only the repeated one.
    const pairs: [number, number][] = [...Array(8_191).keys()].map((i) => [i, i]);
    pairs.push([0x80000005, 3], [0x80000005, 3]);
    assert.deepEqual(repeatedOf(pairs), new Set([`${0x80000005}:3`]));
  });
});

describe('recent hashes (repeats dropped where one missed costs only a second look)', () => {
  it('answers "seen" only for a hash added before, and for an immediate repeat always', () => {
    const word = fc.oneof(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.constantFrom(1, 0xffffffff, 0x80000000),
    );
    // Few low words, so that hashes share slots and push each other out.
    const lowWord = fc.oneof(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 8 }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(word, lowWord), { maxLength: 3000 }), (pairs) => {
        const recent = new RecentHashes();
        const added = new Set<string>();
        for (const [hi, lo] of pairs) {
          const key = `${hi}:${lo}`;
          if (!recent.add(hi, lo)) assert.ok(added.has(key), `${key} "seen" but never added`);
          added.add(key);
          assert.equal(recent.add(hi, lo), false, `${key} added twice in a row`);
        }
      }),
    );
  });
});
