import { createRequire } from 'node:module';

/*
 * Country names in English, from i18n-iso-countries (the ISO 3166 names and their usual aliases:
 * "Czechia" and "Czech Republic", "United Kingdom" and "UK"), lower case. A country alone is no
 * personal data: addresses leave it out of their spans, and a country is never a person's name.
 * Loaded once, on first use.
 */
let countries: ReadonlySet<string> | undefined;

export function countryNames(): ReadonlySet<string> {
  if (!countries) {
    const en = createRequire(import.meta.url)('i18n-iso-countries/langs/en.json') as {
      countries: Record<string, string | string[]>;
    };
    countries = new Set(
      Object.values(en.countries)
        .flat()
        .map((n) => n.toLowerCase()),
    );
  }
  return countries;
}
