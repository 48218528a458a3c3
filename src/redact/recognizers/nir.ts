import { luhnValid } from '../checksums/luhn.ts';
import { nirKeyValid } from '../checksums/nir-key.ts';
import type { PiiSpan } from '../types.ts';
import { hasDigit, matchInWindow, numericRuns, type Recognizer } from './recognizer.ts';

/**
 * French social-security number (NIR): sex (1/2, 3/4 provisional, 7/8 foreigners), year, month
 * (01-12, or 20-42 / 50-99 when unknown), department (2 digits or 2A/2B), commune (3), order (3),
 * then the 2-digit key. Written compact, in the printed 1 23 45 67 890 123 45 groups, or with a
 * space between every digit (as on forms).
 */
const NIR =
  /(?<![\p{L}\p{N}])[1-478](?:[ .]?\d){4}[ .]?(?:\d[ .]?\d|2[ .]?[ABab])(?:[ .]?\d){6}(?:[ .]?\d[ .]?\d)?(?![\p{L}\p{N}])/gu;
/** Keyword that makes a bare 13-digit (key-less) number a NIR. */
const NIR_CONTEXT =
  /(?:s[ée]cu(?:rit[ée] sociale)?|\bNIR\b|\bINSEE\b|\bN?SS\b|assur(?:[ée]|ance maladie)|immatriculation|identification)/iu;
/** A run of digits written one by one ("1 8 5 0 5 ..."), as forms print them. */
const SPACED_RUN = /(?<![\p{L}\p{N}])\d(?: \d){12,}(?![\p{L}\p{N}])/gu;
const CORSICA = /2[ .]?[AB][ .]?\d/i;
const MONTH_OK = (mm: number) => (mm >= 1 && mm <= 12) || (mm >= 20 && mm <= 42) || mm >= 50;

function endOfNthAlnum(s: string, n: number): number {
  let seen = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== ' ' && s[i] !== '.' && ++seen === n) return i + 1;
  }
  return s.length;
}

function isSpacedDate(d: string): boolean {
  const day = Number(d.slice(0, 2));
  const month = Number(d.slice(2, 4));
  const century = d.slice(4, 6);
  return (
    day >= 1 && day <= 31 && month >= 1 && month <= 12 && (century === '19' || century === '20')
  );
}

/**
 * Forms print dates and the NIR digit by digit, often in one run ("1 5 0 3 2 0 2 4 4 5 2 ...":
 * a date 15/03/2024, then the NIR). Leading dates are skipped, then 15 digits with a valid key or
 * 13 digits of NIR structure are taken.
 */
function findInSpacedRun(run: string, offset: number, out: PiiSpan[]): void {
  const d = run.replace(/ /g, '');
  let i = 0;
  while (d.length - i > 13 && isSpacedDate(d.slice(i, i + 8))) i += 8;
  if (d.length - i < 13 || !/[1-478]/.test(d[i]!)) return;
  if (!MONTH_OK(Number(d.slice(i + 3, i + 5)))) return;
  const len = d.length - i >= 15 && nirKeyValid(d.slice(i, i + 15)) ? 15 : 13;
  // Digit k of the run sits at character 2k.
  out.push({ category: 'NIR', start: offset + 2 * i, end: offset + 2 * (i + len) - 1 });
}

function compactOf(s: string): string {
  return s.replace(/[ .]/g, '').toUpperCase();
}

export const nirRecognizer: Recognizer = {
  name: 'nir',
  categories: ['NIR'],
  mayMatch: hasDigit,
  find(text, out: PiiSpan[]) {
    const spacedRuns: [number, number][] = [];
    const candidates: { m: RegExpExecArray; at: number }[] = [];
    const corsica = CORSICA.test(text);
    if (corsica) {
      // 2A/2B departments break the numeric run: scan the whole text (rare).
      NIR.lastIndex = 0;
      for (const m of text.matchAll(NIR)) candidates.push({ m, at: m.index });
    }
    for (const run of numericRuns(text)) {
      if (run.digits < 13 || corsica) continue;
      matchInWindow(text, SPACED_RUN, run.start, run.end, 1, 1, (m, at) => {
        spacedRuns.push([at, at + m[0].length]);
        findInSpacedRun(m[0], at, out);
      });
      matchInWindow(text, NIR, run.start, run.end, 1, 2, (m, at) => candidates.push({ m, at }));
    }
    for (const { m, at } of candidates) {
      m.index = at;
      const raw = m[0];
      if (spacedRuns.some(([s, e]) => m.index >= s && m.index < e)) continue;
      const c = compactOf(raw);
      if (!MONTH_OK(Number(c.slice(3, 5)))) continue;
      const ctx = NIR_CONTEXT.test(text.slice(Math.max(0, m.index - 40), m.index));
      // An Amex number (34/37, 15 digits, Luhn) can also carry a valid key with the rare
      // provisional sex digit 3: seen twice in the presidio set, so the card reading wins.
      const amex = /^3[47]\d{13}$/.test(raw) && luhnValid(c);
      // A keyword ("n° de sécurité sociale") is enough even when the key is wrong: the writer
      // says what the number is, and a mistyped NIR still identifies its holder.
      if (c.length === 15 && ((nirKeyValid(c) && !amex) || ctx)) {
        out.push({ category: 'NIR', start: m.index, end: m.index + raw.length });
        continue;
      }
      // Without a valid key, the first 13 characters are taken as a key-less NIR only when they
      // are written like one (the sex digit set apart: "1 85 05 ...") or a keyword says so. A
      // compact 13- or 15-digit number with a bad key is not a NIR.
      const end13 = endOfNthAlnum(raw, 13);
      const setApart = raw[1] === ' ' || raw[1] === '.';
      if (!setApart && !ctx) continue;
      out.push({ category: 'NIR', start: m.index, end: m.index + end13 });
    }
  },
};
