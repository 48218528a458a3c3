import type { PiiSpan } from '../types.ts';
import type { Recognizer } from './recognizer.ts';

/**
 * Local part of letters, digits and `._%+-` (Unicode letters allowed, RFC 6531), a domain of
 * labels and a TLD that is alphabetic or an IDNA `xn--` label. A trailing dot is not part of the
 * address ("write to a@b.fr.").
 */
const EMAIL =
  /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}_%+-](?:[\p{L}\p{N}._%+-]{0,63}[\p{L}\p{N}_%+-])?@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+(?:\p{L}{2,63}|xn--[a-z0-9-]{2,59})(?![\p{L}\p{N}-]|\.[\p{L}\p{N}])/giu;

export const emailRecognizer: Recognizer = {
  name: 'email',
  categories: ['EMAIL'],
  mayMatch: (text) => text.includes('@'),
  find(text, out: PiiSpan[]) {
    for (const m of text.matchAll(EMAIL)) {
      out.push({ category: 'EMAIL', start: m.index, end: m.index + m[0].length });
    }
  },
};
