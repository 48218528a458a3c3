import { createHmac } from 'node:crypto';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { PiiCategory } from './types.ts';

/**
 * The value as it identifies a person: case, spacing and separators do not make a different
 * person ("+33 6 12 34 56 78" and "+33612345678" get the same pseudonym), nor does a national
 * number written with its country code ("06 12 34 56 78" with region FR is +33612345678).
 */
export function normalizeValue(
  category: PiiCategory,
  value: string,
  defaultRegion?: string,
): string {
  const v = value.normalize('NFKC');
  switch (category) {
    case 'PHONE': {
      const parsed = parsePhoneNumberFromString(v, defaultRegion as CountryCode | undefined);
      if (parsed?.isValid()) return parsed.number;
      return v.replace(/[^\p{L}\p{N}+]/gu, '').toUpperCase();
    }
    case 'CARD':
    case 'NIR':
    case 'IBAN':
      return v.replace(/[^\p{L}\p{N}+]/gu, '').toUpperCase();
    case 'EMAIL':
    case 'IP':
    case 'HANDLE':
    case 'PROFILE_URL':
      return v.toLowerCase();
    default:
      return v.toLowerCase().replace(/\s+/g, ' ').trim();
  }
}

/** Hex characters kept from the HMAC: 40 bits, so collisions are rare even in large datasets. */
const PSEUDONYM_HEX = 10;

/**
 * `<PERSON_3f9a2c81d0>`: HMAC-SHA-256 of the category and the normalised value under the dataset
 * key. Without the key the pseudonym cannot be linked back to the value, and the same value always
 * gets the same pseudonym within one key. Objectors are pseudonymised as PERSON so a name matched
 * from the objector list and by the name recogniser gets the same pseudonym.
 */
export function createPseudonymizer(
  key: string,
  defaultRegion?: string,
): (category: PiiCategory, value: string) => string {
  if (key.length < 16) {
    throw new Error('redaction: pseudonymKey must be at least 16 characters (it keys an HMAC)');
  }
  const cache = new Map<string, string>();
  return (category, value) => {
    const cat = category === 'OBJECTOR' ? 'PERSON' : category;
    const id = `${cat}\u0000${normalizeValue(cat, value, defaultRegion)}`;
    let p = cache.get(id);
    if (p === undefined) {
      const hex = createHmac('sha256', key).update(id).digest('hex').slice(0, PSEUDONYM_HEX);
      p = `<${cat}_${hex}>`;
      // Bounded: a long-running gate sees millions of values; the HMAC is cheap to recompute.
      if (cache.size >= 100_000) cache.clear();
      cache.set(id, p);
    }
    return p;
  };
}
