import { ibanMod97Valid } from '../checksums/mod97.ts';
import { scanText } from '../scan.ts';
import type { PiiSpan } from '../types.ts';
import { IBAN_LENGTHS } from './iban-lengths.ts';
import type { Recognizer } from './recognizer.ts';

/**
 * Country code, check digits, then the BBAN written compact or in groups separated by single
 * spaces (or dashes). The candidate is cut to the country's length before the mod-97 check.
 */
const IBAN = /(?<![\p{L}\p{N}])[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]){8,32}/uy;
/** The same typed all in lower case ("gb42nawi04454264788619"): upper-cased before the check. */
const IBAN_LOWER = /(?<![\p{L}\p{N}])[a-z]{2}\d{2}(?:[ -]?[a-z0-9]){8,32}/uy;
const ALNUM = /[A-Za-z0-9]/;

export const ibanRecognizer: Recognizer = {
  name: 'iban',
  categories: ['IBAN'],
  mayMatch: (text) => scanText(text).ibanStarts.length > 0,
  find(text, out: PiiSpan[]) {
    // Anchored at the places where the shared scan saw two letters meet a digit.
    for (const at of scanText(text).ibanStarts) {
      IBAN.lastIndex = at;
      IBAN_LOWER.lastIndex = at;
      const m = IBAN.exec(text) ?? IBAN_LOWER.exec(text);
      if (!m) continue;
      const raw = m[0];
      const len = IBAN_LENGTHS[raw.slice(0, 2).toUpperCase()];
      if (len === undefined) continue;
      // Walk the raw match until `len` alphanumerics have been seen.
      let seen = 0;
      let end = 0;
      let compact = '';
      for (; end < raw.length && seen < len; end++) {
        const c = raw[end]!;
        if (ALNUM.test(c)) {
          seen++;
          compact += c.toUpperCase();
        }
      }
      if (seen !== len) continue;
      // The IBAN must end where its characters end: a longer run is a different (bad-length) code.
      const abs = m.index + end;
      const next = text[abs];
      if (next !== undefined && /[\p{L}\p{N}]/u.test(next)) continue;
      if (/^[ -]\d{1,4}(?![\p{L}\p{N}])/u.test(text.slice(abs, abs + 6))) continue;
      if (!ibanMod97Valid(compact)) continue;
      out.push({ category: 'IBAN', start: m.index, end: abs });
    }
  },
};
