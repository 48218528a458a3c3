/**
 * The lower-case words of a text, exactly as `LOWER_WORD` finds them (exported for the test that
 * checks it): a lower-case letter not right after a letter or digit, then lower-case letters and
 * marks, then a possessive "'s". Read with a table of character classes instead of the regex:
 * texts written all in lower case (most of social media) go through this for every record when
 * names are redacted, and `[...text.matchAll(LOWER_WORD)]` cost 0.4-1.3 µs on a short post
 * against 0.13-0.28 µs for this loop (the match objects, and Unicode property tests per
 * character). A text with a surrogate pair (an emoji, a letter beyond the BMP) goes through the
 * regex, whose Unicode mode reads code points.
 */
export const LOWER_WORD = /(?<![\p{L}\p{N}])\p{Ll}[\p{Ll}\p{M}]*(?:['’]s)?/gu;

export interface LowerWord {
  index: number;
  word: string;
}

const LOWER = 1;
const MARK = 2;
const LETTER_OR_DIGIT = 4;
const SURROGATE = 8;
/** Class bits per UTF-16 unit, built on first use (~11 ms). */
let classes: Uint8Array | undefined;

function classTable(): Uint8Array {
  const t = new Uint8Array(65536);
  const ll = /\p{Ll}/u;
  const m = /\p{M}/u;
  const ln = /[\p{L}\p{N}]/u;
  for (let c = 0; c < 65536; c++) {
    if (c >= 0xd800 && c <= 0xdfff) {
      t[c] = SURROGATE;
      continue;
    }
    const ch = String.fromCharCode(c);
    t[c] =
      (ll.test(ch) ? LOWER : 0) | (m.test(ch) ? MARK : 0) | (ln.test(ch) ? LETTER_OR_DIGIT : 0);
  }
  return t;
}

export function lowerWords(text: string): LowerWord[] {
  classes ??= classTable();
  const cls = classes;
  const out: LowerWord[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const k = cls[text.charCodeAt(i)]!;
    if (k & SURROGATE) return viaRegex(text);
    if (k & LOWER && (i === 0 || (cls[text.charCodeAt(i - 1)]! & LETTER_OR_DIGIT) === 0)) {
      const start = i++;
      while (i < n) {
        const k2 = cls[text.charCodeAt(i)]!;
        if (k2 & SURROGATE) return viaRegex(text);
        if ((k2 & (LOWER | MARK)) === 0) break;
        i++;
      }
      const q = text.charCodeAt(i);
      if ((q === 39 || q === 0x2019) && text.charCodeAt(i + 1) === 115) i += 2;
      out.push({ index: start, word: text.slice(start, i) });
      continue;
    }
    i++;
  }
  return out;
}

function viaRegex(text: string): LowerWord[] {
  return Array.from(text.matchAll(LOWER_WORD), (m) => ({ index: m.index, word: m[0] }));
}
