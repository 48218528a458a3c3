import { luhnValid } from '../checksums/luhn.ts';
import type { PiiSpan } from '../types.ts';
import { digitsOf, hasDigit, matchInWindow, numericRuns, type Recognizer } from './recognizer.ts';

/**
 * Payment card numbers: 13-19 digits written contiguously, or in the printed groupings
 * (4-4-4-4[-3], Amex 4-6-5, Diners 4-6-4) with one consistent separator. Free-form groupings
 * are not accepted: a run of spaced single digits passes Luhn one time in ten.
 */
const CARD =
  /(?<![\p{L}\p{N}.,-])(?:\d{12,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{3})?|\d{4}([ -])\d{6}\2\d{4,5})(?![\p{L}\p{N}]|[.,-]\d)/gu;

const CARD_CONTEXT = /\b(?:card|cc|credit|debit|visa|master\s?card|maestro|amex|carte|CB)\b/i;

export const cardRecognizer: Recognizer = {
  name: 'card',
  categories: ['CARD'],
  mayMatch: hasDigit,
  find(text, out: PiiSpan[]) {
    for (const run of numericRuns(text)) {
      if (run.digits >= 12)
        matchInWindow(text, CARD, run.start, run.end, 2, 2, (m, at) => check(text, m, at, out));
    }
  },
};

function check(text: string, m: RegExpExecArray, at: number, out: PiiSpan[]): void {
  {
    const digits = digitsOf(m[0]);
    if (digits.length < 12 || digits.length > 19) return;
    // 12-digit (Maestro) numbers look like any reference number: only with a card keyword.
    if (digits.length === 12 && !CARD_CONTEXT.test(text.slice(Math.max(0, at - 40), at))) return;
    // 13-digit cards only exist as old Visa numbers.
    if (digits.length === 13 && digits[0] !== '4') return;
    if (!luhnValid(digits)) return;
    out.push({ category: 'CARD', start: at, end: at + m[0].length });
  }
}
