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

export const emailRecognizer: Recognizer = {
  name: 'email',
  categories: ['EMAIL'],
  mayMatch: (text) => text.includes('@'),
  find(text, out: PiiSpan[]) {
    for (const m of text.matchAll(EMAIL)) {
      out.push({ category: 'EMAIL', start: m.index, end: m.index + m[0].length });
    }
    for (const re of [SPACED, ONE_LABEL]) {
      for (const m of text.matchAll(re)) {
        // The plain form is found above; these only add what it cannot read.
        if (!/\s/.test(m[0]) && re === SPACED) continue;
        out.push({ category: 'EMAIL', start: m.index, end: m.index + m[0].length });
      }
    }
  },
};
