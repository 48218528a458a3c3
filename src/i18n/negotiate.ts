import { match } from '@formatjs/intl-localematcher';
import Negotiator from 'negotiator';
import { canonicalTag } from './catalogue.ts';

/**
 * Which language to speak to a person, in order of authority:
 *   1. an explicit choice made with the language switcher (`?lang=`, then remembered),
 *   2. the language of their platform account,
 *   3. their browser's `Accept-Language`, by preference weight,
 *   4. the deployment's default.
 * Each candidate is matched with the RFC 4647 "lookup" scheme (`fr-BE` → `fr`), so a regional
 * variant reaches its base language but never a different one. In 2024 French users were shown
 * the notice in English; this order is what prevents that.
 */
export interface LanguageSignals {
  chosen?: string | null | undefined;
  account?: string | null | undefined;
  acceptLanguage?: string | null | undefined;
}

export function acceptedLanguages(header: string | null | undefined): string[] {
  if (!header) return [];
  // Negotiator parses q-values and orders by them (stable for equal weights), dropping q=0.
  return new Negotiator({ headers: { 'accept-language': header } })
    .languages()
    .filter((tag) => tag !== '*');
}

export function negotiateLanguage(
  signals: LanguageSignals,
  available: readonly string[],
  defaultLanguage: string,
): string {
  const requested: string[] = [];
  for (const candidate of [
    signals.chosen,
    signals.account,
    ...acceptedLanguages(signals.acceptLanguage),
  ]) {
    if (!candidate) continue;
    const tag = canonicalTag(candidate.trim());
    if (tag) requested.push(tag);
  }
  if (requested.length === 0) return defaultLanguage;
  // With the "lookup" algorithm the first requested tag that matches (after truncation) wins,
  // which is exactly the priority chain above.
  return match(requested, available, defaultLanguage, { algorithm: 'lookup' });
}

/** The available language that `tag` reaches by RFC 4647 lookup, if any. */
export function lookupLanguage(tag: string, available: readonly string[]): string | undefined {
  const canonical = canonicalTag(tag);
  if (!canonical) return undefined;
  const sentinel = '\u0000none';
  const found = match([canonical], available, sentinel, { algorithm: 'lookup' });
  return found === sentinel ? undefined : found;
}
