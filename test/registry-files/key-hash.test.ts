import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  HI,
  hashAccountKeyBytes64,
  hashKey64,
  hashPrintableKeyBytes64,
  keyHash,
  LO,
} from '../../src/registry-files/key-hash.ts';

const hashOf = (key: string) => {
  hashKey64(key);
  return [keyHash[HI], keyHash[LO]];
};

describe('veto-key64', () => {
  it('keeps the values filter files were written with (the format says veto-key64 v1)', () => {
    for (const [key, hi, lo] of [
      ['acct:1', 0x88b17f8e, 0xd00d390a],
      ['acct:123456789', 0x6b9b7c74, 0x60c34882],
      ['email:abc', 0xfa785bc4, 0x06eac7e4],
      ['', 0x6eaa8dfb, 0xf7c158e3],
      ['é☃𝒜', 0x3323973f, 0xc347a1d5],
    ] as const) {
      assert.deepEqual(hashOf(key), [hi, lo], key);
    }
  });
});

describe('veto-key64 over bytes', () => {
  it('hashes an account id given as bytes as the key acct:<id>, at any offset', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
          minLength: 1,
          maxLength: 40,
        }),
        fc.nat({ max: 5 }),
        (id, pad) => {
          const buf = Buffer.from(`${'"'.repeat(pad)}${id}"`, 'latin1');
          hashAccountKeyBytes64(buf, pad, pad + id.length);
          assert.deepEqual([keyHash[HI], keyHash[LO]], hashOf(`acct:${id}`), id);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('hashes a printable ASCII key as its string, at any offset', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
        }),
        fc.nat({ max: 5 }),
        (key, pad) => {
          const buf = Buffer.from(`${'~'.repeat(pad)}${key}\n`, 'latin1');
          assert.equal(hashPrintableKeyBytes64(buf, pad, pad + key.length), true);
          assert.deepEqual([keyHash[HI], keyHash[LO]], hashOf(key));
        },
      ),
    );
  });

  it('refuses a space, a control character, DEL or a non-ASCII byte', () => {
    for (const bad of ['acct:a b', 'acct:\u0001', 'acct:\u007f', 'acct:é']) {
      const buf = Buffer.from(bad, 'utf8');
      assert.equal(hashPrintableKeyBytes64(buf, 0, buf.length), false, JSON.stringify(bad));
    }
  });
});
