import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { PiiSpan } from '../types.ts';
import { digitsOf, hasDigit, matchInWindow, numericRuns, type Recognizer } from './recognizer.ts';

/*
 * Phone numbers are found by shape, then counted by digits. Shapes that only phone numbers have
 * (an international prefix, a trunk "0" followed by grouped digits, a parenthesised area code,
 * North-American 3-3-4) are taken as they are: libphonenumber's verdict depends on the default
 * region and on numbering plans that synthetic and foreign numbers do not follow, so it never
 * clears such a candidate. It only *labels* the ambiguous shape (a bare run of 9-12 digits), where
 * a valid number for the default region or the US is taken as a phone.
 *
 * Separators between digits: space, dot, dash, slash, up to three of them ("0 5 . 3 1 . 2 1"),
 * and parentheses around a prefix.
 */
/** Not inside a word, a longer number, a date ("18/02/2019") or a run of spaced single digits. */
const NOT_BEFORE = '(?<![\\p{L}\\p{N}+]|\\d[.\\-/:]|(?<!\\d)\\d[ ])';
/** One separator: a space, or a dot/dash/slash with optional spaces around ("0 5 . 3 1"). */
const SEP = '(?:[ ]?[.\\-/][ ]?|[ ])?';
/** The same, also allowing the parentheses of "+44 (20) 7123 4567" or "+46 (0)179 ...". */
const SEP_P = '(?:[ ]?[.\\-/][ ]?|[ ]?\\([ ]?|[ ]?\\)[ ]?|[ ])?';
const EXT = '(?:[ ]?(?:x|ext\\.?|poste)[ ]?\\d{1,5})?';
/** Not followed by more digits, a date/time continuation ("12:32") or a decimal. */
const TAIL = '(?!\\d|[.\\-/:,]\\d)';
const SHAPES: readonly RegExp[] = [
  // +33 1 42 68 53 00, 0033 1..., +44 (20) 7123 4567, +46 (0)179 459 33, + 3 3 0 1 ...
  new RegExp(
    `(?<![\\p{N}+]|\\d[.\\-/:]|(?<!\\d)\\d[ ])(?:\\+|00)${SEP}[1-9](?:${SEP_P}\\d){6,14}${EXT}${TAIL}`,
    'gu',
  ),
  // (33) 1 02 21 77 12, (415) 555-0132, ( 6 0 ) 6 2 1 6 5 5 0 4 4
  new RegExp(
    `${NOT_BEFORE}\\([ ]?\\+?\\d(?:[ ]?\\d){0,3}[ ]?\\)${SEP}\\d(?:${SEP}\\d){5,11}${EXT}${TAIL}`,
    'gu',
  ),
  // French national: 01 42 68 53 00, 01.42.68.53.00, 0 5 . 3 1 . 2 1 . 6 5 . 0 6, 0142685300
  // (not right after a number of 2+ digits: "039 02 3920 0394" is a table of counts).
  new RegExp(`${NOT_BEFORE}(?<!\\d{2}[ ])0${SEP}[1-9](?:${SEP}\\d){8}${TAIL}`, 'gu'),
  // North American: 415-555-0132, 415.555.0132, 1-415-555-0132, 345-899-3560x4587
  new RegExp(`${NOT_BEFORE}(?:1[ .\\-])?[2-9]\\d{2}[ .\\-]\\d{3}[ .\\-]\\d{4}${EXT}${TAIL}`, 'gu'),
  // Other national forms with a trunk 0: 030 1234567, 020 7123 4567, 06 678 4343, 090-1234-5678
  // (not after another number: "208 04 82 195636" is one identifier, not a phone).
  // The last group has 3+ digits: "0428-4433-41" is a product reference, "020 7123 4567" a phone.
  new RegExp(
    `${NOT_BEFORE}(?<!\\d[ ])0\\d{1,4}(?:[ .\\-/]\\d{2,8}){0,3}[ .\\-/]\\d{3,8}${TAIL}`,
    'gu',
  ),
];
/** A bare run of 10 or 11 digits: a phone only when libphonenumber says so for the US plan. */
const BARE = /(?<![\p{L}\p{N}+.,\-/])1?[2-9]\d{9}(?![\p{L}\p{N}]|[.,\-/]\d)/gu;
/** A keyword announcing a number (before or after it): then any grouping counts. */
const CONTEXT_BEFORE =
  /(?:\bt[ée]l(?:[ée]phone)?\b|\bphone\b|\bmobile\b|\bportable\b|\bfax\b|\bposte\b|\bjoignables?\b|\bcell\b|\bSMS\b|\bwhatsapp\b|\banswering at\b|\bmessages to\b|\bregistered\b|\bcall me (?:at|on)\b|\bappel(?:er|ez)(?:-moi)? au\b)[^\d]{0,20}?(\+?\(?\d(?:[ .\-/()]{0,3}\d){4,14})(?!\d|[.\-/:,]\d)/dgiu;
const CONTEXT_AFTER =
  /(?<![\p{L}\p{N}.\-/])(\+?\(?\d(?:[ .\-/()]{0,3}\d){5,14})[ -]?(?:\(?(?:office|fax|mobile|home|work|cell|bureau|domicile)\b)/dgiu;
/** Shapes that are dates, times or US social security numbers, not phones. */
const NOT_PHONE =
  /^(?:(?:0?[1-9]|[12]\d|3[01])([./-])(?:0?[1-9]|1[0-2])\1(?:19|20)\d{2}|(?:19|20)\d{2}([./-])(?:0?[1-9]|1[0-2])\2(?:0?[1-9]|[12]\d|3[01])|\d{3}-\d{2}-\d{4}$)/;

const GENERIC = SHAPES[4]!;
/** Cheap test before the keyword-context regexes run over the whole text. */
const CONTEXT_WORD =
  /t[ée]l|phone|mobile|portable|fax|poste|joignable|cell|sms|whatsapp|answering|messages to|registered|call me|appel|office|bureau|domicile|home|work/i;

/** "0 5 0 8 2 0 1 4 2 0": a date written digit by digit (05082014) followed by other digits. */
function spacedDate(s: string): boolean {
  if (!/^\d(?: \d){7}/.test(s)) return false;
  const d = digitsOf(s);
  const day = Number(d.slice(0, 2));
  const month = Number(d.slice(2, 4));
  const year = d.slice(4, 6);
  return day >= 1 && day <= 31 && month >= 1 && month <= 12 && (year === '19' || year === '20');
}

/**
 * French numbers are written as one block, in pairs ("01 42 68 53 00") or digit by digit; "0428-
 * 4433-41" is a reference number.
 */
function frenchGrouping(s: string): boolean {
  const groups = s.split(/\D+/).filter((g) => g.length > 0);
  return (
    groups.length === 1 ||
    groups.every((g) => g.length === 2) ||
    groups.every((g) => g.length === 1) ||
    (groups.length === 2 && groups[0]!.length === 1 && groups[1]!.length === 9)
  );
}

export interface PhoneOptions {
  defaultRegion?: string;
}

export function createPhoneRecognizer(options: PhoneOptions = {}): Recognizer {
  // Only the US plan: bare 10-digit runs in French text are identifiers (IPP, NDA, RPPS) far more
  // often than phones, and a French phone is written with its trunk 0 (a shape above).
  const labelAsPhone = (digits: string): boolean =>
    parsePhoneNumberFromString(digits, 'US')?.isValid() === true;
  void options;
  return {
    name: 'phone',
    categories: ['PHONE'],
    mayMatch: hasDigit,
    find(text, out: PiiSpan[]) {
      for (const run of numericRuns(text)) {
        if (run.digits < 9) continue;
        const w = text.slice(Math.max(0, run.start - 4), run.end);
        const hasPlus = w.includes('+') || w.includes('00');
        const hasParen = w.includes('(');
        const hasZero = w.includes('0');
        for (const shape of SHAPES) {
          // Cheap tests first: each shape needs its own marker in the run.
          if (shape === SHAPES[0] && !hasPlus) continue;
          if (shape === SHAPES[1] && !hasParen) continue;
          if ((shape === SHAPES[2] || shape === GENERIC) && !hasZero) continue;
          if (shape === SHAPES[3] && run.digits < 10) continue;
          matchInWindow(text, shape, run.start, run.end, 4, 14, (m, at) => {
            const s = m[0];
            const n = digitsOf(s).length;
            if (n < 9 || n > (shape === GENERIC ? 12 : 17)) return;
            if (NOT_PHONE.test(s) || spacedDate(s)) return;
            if (shape === SHAPES[2] && !frenchGrouping(s)) return;
            out.push({ category: 'PHONE', start: at, end: at + s.length });
          });
        }
        if (run.digits === 10 || run.digits === 11) {
          matchInWindow(text, BARE, run.start, run.end, 2, 2, (m, at) => {
            if (labelAsPhone(m[0]))
              out.push({ category: 'PHONE', start: at, end: at + m[0].length });
          });
        }
      }
      if (!CONTEXT_WORD.test(text)) return;
      for (const re of [CONTEXT_BEFORE, CONTEXT_AFTER]) {
        for (const m of text.matchAll(re)) {
          const [start, end] = m.indices![1]!;
          const s = m[1]!;
          if (NOT_PHONE.test(s)) continue;
          const n = digitsOf(s).length;
          if (n < 5 || n > 15) continue;
          out.push({ category: 'PHONE', start, end });
        }
      }
    },
  };
}
