import type { PiiCategory } from './types.ts';

/** Everything the redactor can find except OBJECTOR, which is on whenever terms are given. */
export const DEFAULT_CATEGORIES: readonly PiiCategory[] = [
  'EMAIL',
  'PHONE',
  'IBAN',
  'CARD',
  'IP',
  'NIR',
  'ADDRESS',
  'HANDLE',
  'PROFILE_URL',
  'PERSON',
];

/** The structured categories (format plus checksum), for callers that want no fuzzy matching. */
export const STRUCTURED_CATEGORIES: readonly PiiCategory[] = [
  'EMAIL',
  'PHONE',
  'IBAN',
  'CARD',
  'IP',
  'NIR',
];
