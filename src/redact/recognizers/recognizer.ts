import { type NumericRun, scanText } from '../scan.ts';
import type { PiiCategory, PiiSpan } from '../types.ts';

/**
 * One kind of personal data. `mayMatch` is a cheap test (a character search) so that text without
 * candidates costs almost nothing; `find` appends spans in any order (the redactor sorts and
 * resolves overlaps).
 */
export interface Recognizer {
  readonly name: string;
  readonly categories: readonly PiiCategory[];
  mayMatch(text: string): boolean;
  find(text: string, out: PiiSpan[]): void;
}

/**
 * Whether the text has an ASCII digit, from the shared scan: several recognisers ask, and on
 * prose without a digit each question was a pass over the whole text (~10 % of redaction).
 */
export function hasDigit(text: string): boolean {
  return scanText(text).anyDigit;
}

/** Keeps only ASCII digits. */
export function digitsOf(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) out += s[i];
  }
  return out;
}

export type { NumericRun } from '../scan.ts';

/**
 * The numeric runs of `text`, from the shared scan (computed once per text). The number-shaped
 * regexes then only run on short windows around runs long enough to hold what they look for: on
 * digit-heavy text, running them over the whole string (lookbehinds tried at every digit) measured
 * 7.7 MB/s for phones alone, windows make it > 60.
 */
export function numericRuns(text: string): NumericRun[] {
  return scanText(text).runs;
}

/**
 * Runs `re` (global) over the window [start - before, end + after) of `text` and calls `each` with
 * absolute offsets. A window gives look-behinds a few characters of context without scanning the
 * rest of the text.
 */
export function matchInWindow(
  text: string,
  re: RegExp,
  start: number,
  end: number,
  before: number,
  after: number,
  each: (m: RegExpExecArray, at: number) => void,
): void {
  const ws = Math.max(0, start - before);
  const w = text.slice(ws, Math.min(text.length, end + after));
  re.lastIndex = 0;
  for (let m = re.exec(w); m !== null; m = re.exec(w)) {
    if (m.index + ws >= start - 1 || m.index + m[0].length + ws > start) each(m, m.index + ws);
    if (m[0].length === 0) re.lastIndex++;
  }
}
