/** Letter, digit, mark or underscore at `i` (surrogate pairs read as one code point). */
const WORD = /[\p{L}\p{N}\p{M}_]/u;

export function isWordCodePointAt(text: string, i: number): boolean {
  if (i < 0 || i >= text.length) return false;
  const cp = text.codePointAt(i)!;
  if (cp < 128) {
    return (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122) || cp === 95;
  }
  return WORD.test(String.fromCodePoint(cp));
}

/** The code point that ends right before `i` (steps back over a surrogate pair). */
export function isWordCodePointBefore(text: string, i: number): boolean {
  if (i <= 0) return false;
  const low = text.charCodeAt(i - 1);
  const start = low >= 0xdc00 && low <= 0xdfff && i >= 2 ? i - 2 : i - 1;
  return isWordCodePointAt(text, start);
}
