import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { KW, scanText } from '../scan.ts';
import type { PiiSpan } from '../types.ts';
import { digitsOf, hasDigit, matchInWindow, type Recognizer } from './recognizer.ts';

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
  // "00 02 46 61 63", "0 0 6 5 6 6 1 0 1 6": a second 0 only in strict pairs or single digits.
  new RegExp(`${NOT_BEFORE}(?<!\\d{2}[ ])0${SEP}\\d(?:${SEP}\\d){8}${TAIL}`, 'gu'),
  // North American: 415-555-0132, 415.555.0132, 1-415-555-0132, 345-899-3560x4587
  // (not after another number and a space: "390 493 049 9310" is a table of counts).
  new RegExp(
    `${NOT_BEFORE}(?<!\\d[ ])(?:1[ .\\-])?[2-9]\\d{2}[ .\\-]\\d{3}[ .\\-]\\d{4}${EXT}${TAIL}`,
    'gu',
  ),
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
    // "06.45.0945.87": pairs with two of them run together.
    (groups[0]!.length === 2 && groups.every((g) => g.length % 2 === 0)) ||
    (groups.length === 2 && groups[0]!.length === 1 && groups[1]!.length === 9)
  );
}

/** Five pairs or ten single digits, one separator kind throughout: nothing else looks like this. */
function strictFrenchGrouping(s: string): boolean {
  const groups = s.split(/\D+/).filter((g) => g.length > 0);
  const seps = new Set(s.match(/\D+/g) ?? []);
  // Digit by digit, a wider separator may mark the pairs ("0 0 - 1 4 - 2 1 ...").
  return (
    (seps.size <= 1 && groups.length === 5 && groups.every((g) => g.length === 2)) ||
    (groups.length === 10 && groups.every((g) => g.length === 1))
  );
}

/**
 * A French number glued to the word before it ("Standard04.73.72.17.05", "F07-22-56-05-31"), as
 * extracted forms print them: taken only in the strict grouping.
 */
const FR_GLUED = new RegExp(`(?<=\\p{L})0${SEP}\\d(?:${SEP}\\d){8}${TAIL}`, 'gu');
/** North-American 3-3-4 with dashes glued to a word ("is415-555-0132"). */
const NA_GLUED = /(?<=\p{Ll})[2-9]\d{2}-\d{3}-\d{4}(?!\d|[.\-/:,]\d)/gu;
/** A country code in parentheses glued to a word ("Standard(33) 6 65 41 76 70"). */
const PAREN_GLUED = /(?<=\p{L})\(\d{2,3}\)[ ]?0?[1-9](?:[ .]?\d\d){4}(?!\d|[.\-/:,]\d)/gu;
/** The letter O typed for a zero, next to a digit or a separator inside a phone-shaped run. */
const LETTER_O = /(?<=[\d.\- ]|^)O(?=[\d.\- ])|(?<=\d[.\- ]?)O(?![\p{L}])/gu;

export interface PhoneOptions {
  defaultRegion?: string;
}

function isLetterCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c >= 0xc0;
}

export function createPhoneRecognizer(options: PhoneOptions = {}): Recognizer {
  // Only the US plan: bare 10-digit runs in French text are identifiers (IPP, NDA, RPPS) far more
  // often than phones, and a French phone is written with its trunk 0 (a shape above).
  const labelAsPhone = (digits: string): boolean =>
    parsePhoneNumberFromString(digits, 'US')?.isValid() === true;
  void options;
  const shaped = (shape: RegExp, s: string, at: number, out: PiiSpan[]) => {
    const n = digitsOf(s).length;
    if (n < 9 || n > (shape === GENERIC ? 12 : 17)) return;
    if (NOT_PHONE.test(s) || spacedDate(s)) return;
    if ((shape === SHAPES[2] || shape === FR_GLUED) && !frenchGrouping(s)) return;
    if (
      (shape === FR_GLUED || (shape === SHAPES[2] && digitsOf(s)[1] === '0')) &&
      !strictFrenchGrouping(s)
    )
      return;
    out.push({ category: 'PHONE', start: at, end: at + s.length });
  };
  return {
    name: 'phone',
    categories: ['PHONE'],
    mayMatch: hasDigit,
    find(text, out: PiiSpan[]) {
      const scan = scanText(text);
      for (const run of scan.runs) {
        const before = run.start > 0 ? text.charCodeAt(run.start - 1) : 32;
        // "O1.42.15.93.30", "01.42.16.10.O2": a letter O where a zero belongs, only when the
        // run with it replaced is a French-shaped number (length-preserving, offsets hold).
        if (run.digits >= 8 && run.digits <= 9 && (before === 79 || text[run.end + 1] === 'O')) {
          const ws = Math.max(0, run.start - 1);
          const we = Math.min(text.length, run.end + 3);
          const fixed = text.slice(ws, we).replace(LETTER_O, '0');
          SHAPES[2]!.lastIndex = 0;
          for (let m = SHAPES[2]!.exec(fixed); m !== null; m = SHAPES[2]!.exec(fixed)) {
            if (strictFrenchGrouping(m[0])) shaped(SHAPES[2]!, m[0], ws + m.index, out);
          }
        }
        if (run.digits < 9) continue;
        // Each shape needs its own marker in the run (a phone may start after other numbers of
        // the same run: "source 43 958 - 0743404530"): cheap tests before any regex.
        let plus = false;
        let paren = false;
        let zero = false;
        // North-American 3-3-4 needs those group lengths in a row; a bare number, 10 digits in one.
        let na = false;
        let longest = 0;
        let g1 = 0;
        let g2 = 0;
        let g = 0;
        for (let i = Math.max(0, run.start - 2); i <= run.end; i++) {
          const c = i < run.end ? text.charCodeAt(i) : 32;
          if (c >= 48 && c <= 57) {
            if (g === 0 && c === 48) {
              zero = true;
              if (text.charCodeAt(i + 1) === 48) plus = true;
            }
            g++;
            continue;
          }
          if (g > 0) {
            if (g === 4 && g1 === 3 && g2 === 3) na = true;
            if (g > longest) longest = g;
            g2 = g1;
            g1 = g;
            g = 0;
          }
          if (c === 43) plus = true;
          else if (c === 40) paren = true;
        }
        for (const shape of SHAPES) {
          if (shape === SHAPES[0] && !plus) continue;
          if (shape === SHAPES[1] && !paren) continue;
          if ((shape === SHAPES[2] || shape === GENERIC) && !zero) continue;
          if (shape === SHAPES[3] && !na) continue;
          matchInWindow(text, shape, run.start, run.end, 4, 14, (m, at) =>
            shaped(shape, m[0], at, out),
          );
        }
        if (before === 40 && run.start > 1 && isLetterCode(text.charCodeAt(run.start - 2))) {
          matchInWindow(text, PAREN_GLUED, run.start, run.end, 2, 1, (m, at) =>
            out.push({ category: 'PHONE', start: at, end: at + m[0].length }),
          );
        }
        if (isLetterCode(before) && run.digits <= 10) {
          if (text.charCodeAt(run.start) === 48)
            matchInWindow(text, FR_GLUED, run.start, run.end, 1, 1, (m, at) =>
              shaped(FR_GLUED, m[0], at, out),
            );
          else
            matchInWindow(text, NA_GLUED, run.start, run.end, 1, 1, (m, at) =>
              out.push({ category: 'PHONE', start: at, end: at + m[0].length }),
            );
        }
        if (longest >= 10 && longest <= 11) {
          matchInWindow(text, BARE, run.start, run.end, 2, 2, (m, at) => {
            if (labelAsPhone(m[0]))
              out.push({ category: 'PHONE', start: at, end: at + m[0].length });
          });
        }
      }
      if ((scan.kinds & KW.PHONE) === 0) return;
      // Keyword context: only around the keywords the scan found.
      let doneBefore = -1;
      for (const kw of scan.keywords) {
        if ((kw.kinds & KW.PHONE) === 0) continue;
        // The cue starts at its keyword ("call me at", "appelez-moi au"): one anchored attempt.
        if (kw.start >= doneBefore) {
          CONTEXT_BEFORE_AT.lastIndex = kw.start;
          const m = CONTEXT_BEFORE_AT.exec(text);
          if (m) {
            pushContext(m, 0, out);
            doneBefore = m.index + m[0].length;
          }
        }
        contextMatches(text, CONTEXT_AFTER, Math.max(0, kw.start - 36), kw.end + 1, out);
      }
    },
  };
}

const CONTEXT_BEFORE_AT = new RegExp(CONTEXT_BEFORE.source, 'diuy');

function pushContext(m: RegExpExecArray, ws: number, out: PiiSpan[]): void {
  const [start, end] = m.indices![1]!;
  const s = m[1]!;
  if (NOT_PHONE.test(s)) return;
  const n = digitsOf(s).length;
  if (n < 5 || n > 15) return;
  out.push({ category: 'PHONE', start: ws + start, end: ws + end });
}

function contextMatches(text: string, re: RegExp, ws: number, we: number, out: PiiSpan[]): void {
  const w = text.slice(ws, we);
  re.lastIndex = 0;
  for (const m of w.matchAll(re)) pushContext(m, ws, out);
}
