import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EMAIL_PATTERNS, emailRecognizer } from '../../src/redact/recognizers/email.ts';
import type { PiiSpan } from '../../src/redact/types.ts';

/** The recogniser as it was written first: every pattern over the whole text with `matchAll`. */
function referenceFind(text: string): PiiSpan[] {
  const out: PiiSpan[] = [];
  const { EMAIL, SPACED, ONE_LABEL } = EMAIL_PATTERNS;
  for (const m of text.matchAll(EMAIL)) {
    out.push({ category: 'EMAIL', start: m.index, end: m.index + m[0].length });
  }
  for (const re of [SPACED, ONE_LABEL]) {
    for (const m of text.matchAll(re)) {
      if (!/\s/.test(m[0]) && re === SPACED) continue;
      out.push({ category: 'EMAIL', start: m.index, end: m.index + m[0].length });
    }
  }
  return out;
}

// What addresses and their neighbours are made of: local-part and domain characters, the
// separators around them, letters beyond ASCII (one outside the BMP) and digits of other scripts.
const PIECES = [
  ...'ab.z_-+%@@ @. ,;:!?()<>"\'/\n\t0789',
  'é',
  'Ω',
  '٣',
  '𝒜',
  'jean.dupont',
  'example',
  '.fr',
  '.com',
  ' . ',
  ' @ ',
  'xn--bcher-kva',
  'mail',
];
const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((p) => p.join(''));

describe('email recogniser: searching from the local part before each "@"', () => {
  it('finds exactly what matchAll over every pattern finds', () => {
    fc.assert(
      fc.property(text, (t) => {
        const out: PiiSpan[] = [];
        emailRecognizer.find(t, out);
        assert.deepEqual(out, referenceFind(t), JSON.stringify(t));
      }),
      { numRuns: 20000 },
    );
  });

  it('finds addresses after an "@" that starts none, and several in one text', () => {
    for (const t of [
      'me @ home, write to jean.dupont@example.fr or a_b@fr',
      '@@a@b.fr x@y.com',
      'tlabelle @ medimail . com and é.x@exemple.fr',
      'écrire à 𝒜lice.b@example.fr',
    ]) {
      const out: PiiSpan[] = [];
      emailRecognizer.find(t, out);
      assert.deepEqual(out, referenceFind(t), t);
      assert.ok(out.length > 0, t);
    }
  });
});
