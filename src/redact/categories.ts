import type { PiiCategory } from './types.ts';

/**
 * Everything the redactor can find except OBJECTOR, which is on whenever terms are given. A
 * tuple, so the policy schema can offer exactly these as its enum.
 */
export const DEFAULT_CATEGORIES = [
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
] as const satisfies readonly PiiCategory[];

/** The structured categories (format plus checksum), for callers that want no fuzzy matching. */
export const STRUCTURED_CATEGORIES: readonly PiiCategory[] = [
  'EMAIL',
  'PHONE',
  'IBAN',
  'CARD',
  'IP',
  'NIR',
];
