import type { PiiCategory } from '../redact/types.ts';

/**
 * The gate's own cheap test before calling the redactor: a record whose text cannot contain any
 * enabled category skips the call entirely, and is then written byte for byte. Measured on the
 * benchmark corpus, calling the redactor on every text with a digit cost ~30 % of the judge's
 * time (108 vs 139 MB/s); most such texts hold one or two digits ("in 5 days").
 *
 * Each category states what every match of it must contain: a character, or a number of ASCII
 * digits (a phone number has at least 5 in every shape the redactor accepts, an IPv4 address 4,
 * a card 12, a NIR 13, an IBAN its 2 check digits). A category without such a rule (names,
 * addresses) disables the pre-check. `test/gate/redaction-precheck.test.ts` checks these rules
 * against the redactor itself with generated texts, so a recogniser that starts matching
 * shorter forms fails the build instead of leaking identifiers.
 */
interface Need {
  chars?: string;
  digits?: number;
}

const NEEDS: Partial<Record<PiiCategory, Need[]>> = {
  EMAIL: [{ chars: '@' }],
  HANDLE: [{ chars: '@' }],
  PROFILE_URL: [{ chars: '/' }],
  IP: [{ chars: ':' }, { digits: 4 }],
  PHONE: [{ digits: 5 }],
  IBAN: [{ digits: 2 }],
  CARD: [{ digits: 12 }],
  NIR: [{ digits: 13 }],
};

/**
 * Whether a text may hold something to redact: `text` for a string, `asciiBytes` for a text
 * given as its bytes when they are plain ASCII (the scanner's strings without escapes or
 * non-ASCII bytes, whose characters are those bytes). Both give the same answer for such a text
 * (`test/gate/redaction-precheck.test.ts`). Why bytes: 9 in 10 kept records of the gate benchmark
 * need no redaction, and deciding on the bytes spares building their text as a string (a copy
 * and ~170 bytes of garbage a record) only to find that out.
 */
export interface RedactionPrecheck {
  text(text: string): boolean;
  asciiBytes(bytes: Uint8Array, start: number, end: number): boolean;
  /**
   * What `asciiBytes` looks for, for engines that do the same test their own way (the record
   * scanner's WebAssembly): any of these characters, or at least `digits` ASCII digits. Absent
   * when the answer does not depend on the text.
   */
  readonly needs?: { chars: string; digits: number };
}

const ALWAYS: RedactionPrecheck = { text: () => true, asciiBytes: () => true };
const NEVER: RedactionPrecheck = { text: () => false, asciiBytes: () => false };

/** The pre-check for these categories. */
export function redactionPrecheck(categories: readonly PiiCategory[]): RedactionPrecheck {
  let chars = '';
  let digits = Number.POSITIVE_INFINITY;
  for (const c of categories) {
    const needs = NEEDS[c];
    if (needs === undefined) return ALWAYS;
    for (const need of needs) {
      if (need.chars && !chars.includes(need.chars)) chars += need.chars;
      if (need.digits !== undefined) digits = Math.min(digits, need.digits);
    }
  }
  const parts: string[] = [];
  if (chars) parts.push(`[${chars.replace(/[\]\\^/-]/g, '\\$&')}]`);
  // `\D*` and `\d` never overlap, so this runs in linear time.
  if (Number.isFinite(digits)) parts.push(digits === 1 ? '\\d' : `\\d(?:\\D*\\d){${digits - 1}}`);
  if (parts.length === 0) return NEVER;
  const re = new RegExp(parts.join('|'));
  // Per byte: 1 for a character some category needs, 2 for an ASCII digit.
  const classOf = new Uint8Array(256);
  for (const ch of chars) classOf[ch.charCodeAt(0)] = 1;
  if (Number.isFinite(digits)) for (let d = 48; d <= 57; d++) classOf[d] = 2;
  const need = digits;
  return {
    needs: { chars, digits },
    text: (text) => re.test(text),
    asciiBytes(bytes, start, end) {
      let seen = 0;
      for (let i = start; i < end; i++) {
        const k = classOf[bytes[i]!]!;
        if (k === 0) continue;
        if (k === 1 || ++seen >= need) return true;
      }
      return false;
    },
  };
}
