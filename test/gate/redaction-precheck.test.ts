import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { redactionPrecheck } from '../../src/gate/redaction-precheck.ts';
import { createRedactor } from '../../src/redact/redactor.ts';
import type { PiiCategory } from '../../src/redact/types.ts';

// Characters identifiers are made of, so generated texts come close to every shape.
const ALPHABET = [...'0123456789 .-/()+,:xeEaTélp\u00a0\t'];
const text = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 40 }).map((cs) => cs.join(''));

describe('redaction pre-check', () => {
  for (const categories of [
    ['EMAIL', 'PHONE', 'IBAN', 'CARD', 'IP'],
    ['PHONE'],
    ['IP'],
    ['IBAN'],
    ['CARD'],
    ['NIR'],
    ['EMAIL', 'PHONE', 'IBAN', 'CARD', 'IP', 'NIR'],
  ] as PiiCategory[][]) {
    it(`never skips a text the redactor would change (${categories.join(', ')})`, () => {
      const mayRedact = redactionPrecheck(categories).text;
      const redactor = createRedactor({ categories, defaultRegion: 'FR' });
      fc.assert(
        fc.property(text, (t) => {
          if (!mayRedact(t)) assert.equal(redactor.redact(t).changed, false, JSON.stringify(t));
        }),
        { numRuns: 3000 },
      );
    });
  }

  it('lets identifiers through to the redactor and skips plain text', () => {
    const mayRedact = redactionPrecheck(['EMAIL', 'PHONE', 'IBAN', 'CARD', 'IP']).text;
    for (const t of [
      'a@b.fr',
      'call 06 12 34 56 78',
      '10.0.0.1',
      'fe80::1',
      'FR76 3000 6000 0112 3456 7890 189',
    ]) {
      assert.ok(mayRedact(t), t);
    }
    for (const t of ['hello world', 'in 5 days', 'top 1']) assert.ok(!mayRedact(t), t);
    assert.ok(redactionPrecheck(['PERSON']).text('anything'), 'no rule: always call');
    assert.ok(
      redactionPrecheck(['PERSON']).asciiBytes(Buffer.from('x'), 0, 1),
      'no rule: always call',
    );
    assert.ok(!redactionPrecheck([]).asciiBytes(Buffer.from('a@b.fr'), 0, 6), 'no category: never');
  });

  for (const categories of [
    ['EMAIL', 'PHONE', 'IBAN', 'CARD', 'IP'],
    ['IP'],
    ['PROFILE_URL', 'NIR'],
    ['EMAIL'],
  ] as PiiCategory[][]) {
    it(`answers the same on a text's ASCII bytes as on the text (${categories.join(', ')})`, () => {
      const check = redactionPrecheck(categories);
      const ascii = fc
        .array(fc.constantFrom(...'0123456789 .-/()+,:@xeEaT\t'), { maxLength: 40 })
        .map((cs) => cs.join(''));
      fc.assert(
        fc.property(ascii, fc.nat(8), fc.nat(8), (t, before, after) => {
          // The text sits inside other bytes, as a record's text does in its line.
          const bytes = Buffer.from(`${'9@'.repeat(before)}${t}${':1'.repeat(after)}`, 'latin1');
          const start = before * 2;
          assert.equal(
            check.asciiBytes(bytes, start, start + t.length),
            check.text(t),
            JSON.stringify(t),
          );
        }),
        { numRuns: 3000 },
      );
    });
  }
});
