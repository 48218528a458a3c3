import { existsSync } from 'node:fs';
import path from 'node:path';
import { LOCALES_DIR } from '../../src/i18n/catalogue.ts';

/** The 24 official languages of the European Union: every one must ship. */
export const EU_LANGUAGES = [
  'bg',
  'cs',
  'da',
  'de',
  'el',
  'en',
  'es',
  'et',
  'fi',
  'fr',
  'ga',
  'hr',
  'hu',
  'it',
  'lt',
  'lv',
  'mt',
  'nl',
  'pl',
  'pt',
  'ro',
  'sk',
  'sl',
  'sv',
] as const;

/** Fails with a message naming the missing file, rather than with a confusing later error. */
export function requireLocaleFile(lang: string): void {
  const file = path.join(LOCALES_DIR, `${lang}.json`);
  if (!existsSync(file)) {
    throw new Error(
      `src/i18n/locales/${lang}.json is missing: every official EU language must ship (copy en.json and translate every value)`,
    );
  }
}
