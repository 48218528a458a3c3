import type { PiiCategory } from '../redact/types.ts';

/**
 * The gate's own cheap test before calling the redactor: a record whose text cannot contain any
 * enabled category skips the call entirely (most records, on real corpora), and is then written
 * byte for byte. Each category maps to characters every match of it must contain (the redactor's
 * recognisers look for the same ones in their `mayMatch`). A category not in this table (names,
 * addresses: no such character) disables the pre-check, so the table can only cost speed,
 * never a missed redaction.
 */
const MUST_CONTAIN: Partial<Record<PiiCategory, string>> = {
  EMAIL: '@',
  HANDLE: '@',
  PROFILE_URL: '/',
  IP: '0-9:',
  PHONE: '0-9',
  IBAN: '0-9',
  CARD: '0-9',
  NIR: '0-9',
};

/** A function telling whether `text` may hold something to redact. */
export function redactionPrecheck(categories: readonly PiiCategory[]): (text: string) => boolean {
  let chars = '';
  for (const c of categories) {
    const must = MUST_CONTAIN[c];
    if (must === undefined) return () => true;
    if (!chars.includes(must)) chars += must;
  }
  if (chars === '') return () => false;
  const re = new RegExp(`[${chars.replace(/[\]\\^/]/g, '\\$&')}]`);
  return (text) => re.test(text);
}
