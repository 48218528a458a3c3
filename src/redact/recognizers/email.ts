import type { PiiSpan } from '../types.ts';
import type { Recognizer } from './recognizer.ts';

/**
 * Local part of letters, digits and `._%+-` (Unicode letters allowed, RFC 6531), a domain of
 * labels and a TLD that is alphabetic or an IDNA `xn--` label. A trailing dot is not part of the
 * address ("write to a@b.fr.").
 */
const EMAIL =
  /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}_%+-](?:[\p{L}\p{N}._%+-]{0,63}[\p{L}\p{N}_%+-])?@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+(?:\p{L}{2,63}|xn--[a-z0-9-]{2,59})(?![\p{L}\p{N}-]|\.[\p{L}\p{N}])/giu;

/**
 * Addresses written to dodge scrapers or cut by an export: spaces around "@" and the dots
 * ("tlabelle @ medimail . com", only with a common top-level domain), or a domain reduced to one
 * label when the local part has a dot or underscore ("abarasse.jl@fr"; "Cont@ct" stays a word).
 */
const SPACED =
  /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+ ?@ ?[\p{L}\p{N}-]+(?: ?\. ?[\p{L}\p{N}-]+)*? ?\. ?(?:com|net|org|fr|eu|be|ch|de|es|it|nl|uk|io|info)(?![\p{L}\p{N}])/giu;
const ONE_LABEL =
  /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}%+-]+[._][\p{L}\p{N}._%+-]*[\p{L}\p{N}]@\p{L}{2,24}(?![\p{L}\p{N}@.-])/gu;

/** The patterns, for the test that checks `find` against `matchAll` over each of them. */
export const EMAIL_PATTERNS = { EMAIL, SPACED, ONE_LABEL } as const;

/**
 * ASCII characters that may stand in a local part (`[\p{L}\p{N}._%+-]`): letters, digits and
 * `._%+-`. Every other ASCII character ends a local part; a non-ASCII one may be a letter.
 */
const LOCAL_ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  LOCAL_ASCII[c] = /[A-Za-z0-9._%+-]/.test(String.fromCharCode(c)) ? 1 : 0;
}

/**
 * Where a match holding the "@" at `at` can start at the earliest: back over the characters a
 * local part may hold (and the one space SPACED allows before "@"), to just after the first ASCII
 * character none of the patterns accepts there. Non-ASCII characters are passed over (they may
 * be letters), so the bound is never too late.
 */
function localPartFloor(text: string, at: number): number {
  let j = at - 1;
  if (j >= 0 && text.charCodeAt(j) === 32) j--;
  while (j >= 0) {
    const c = text.charCodeAt(j);
    if (c < 128 && LOCAL_ASCII[c] === 0) break;
    j--;
  }
  return j + 1;
}

/**
 * Every match of `re` (global) in `text`, as `matchAll` would find them, but each search starts
 * at the local part before the next "@" instead of at every position of the text. Why: the
 * patterns open with a look-behind and Unicode classes that the engine tries at each position; on
 * short posts (~170 characters) with one address, the three patterns cost ~4.4 µs a text that way
 * (the gate benchmark's redaction budget), and every match holds an "@".
 */
function eachMatch(text: string, re: RegExp, each: (m: RegExpExecArray) => void): void {
  let from = 0;
  for (;;) {
    const at = text.indexOf('@', from);
    if (at < 0) break;
    re.lastIndex = Math.max(from, localPartFloor(text, at));
    const m = re.exec(text);
    if (m === null) break;
    each(m);
    // No pattern matches the empty string, but never loop on one.
    from = m[0].length === 0 ? re.lastIndex + 1 : re.lastIndex;
  }
  // The patterns are shared: leave them as `matchAll` and `exec` expect to find them.
  re.lastIndex = 0;
}

export const emailRecognizer: Recognizer = {
  name: 'email',
  categories: ['EMAIL'],
  mayMatch: (text) => text.includes('@'),
  find(text, out: PiiSpan[]) {
    eachMatch(text, EMAIL, (m) => {
      out.push({ category: 'EMAIL', start: m.index, end: m.index + m[0].length });
    });
    for (const re of [SPACED, ONE_LABEL]) {
      eachMatch(text, re, (m) => {
        // The plain form is found above; these only add what it cannot read.
        if (!/\s/.test(m[0]) && re === SPACED) return;
        out.push({ category: 'EMAIL', start: m.index, end: m.index + m[0].length });
      });
    }
  },
};
