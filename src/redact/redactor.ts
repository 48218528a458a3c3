import { DEFAULT_CATEGORIES } from './categories.ts';
import { createPseudonymizer } from './pseudonym.ts';
import { addressRecognizer } from './recognizers/address.ts';
import { cardRecognizer } from './recognizers/card.ts';
import { emailRecognizer } from './recognizers/email.ts';
import { handleRecognizer } from './recognizers/handle.ts';
import { ibanRecognizer } from './recognizers/iban.ts';
import { ipRecognizer } from './recognizers/ip.ts';
import { nirRecognizer } from './recognizers/nir.ts';
import { createObjectorRecognizer } from './recognizers/objector-terms.ts';
import { createPersonRecognizer } from './recognizers/person.ts';
import { createPhoneRecognizer } from './recognizers/phone.ts';
import { profileUrlRecognizer } from './recognizers/profile-url.ts';
import type { Recognizer } from './recognizers/recognizer.ts';
import { resolveOverlaps } from './spans.ts';
import type { PiiCategory, PiiSpan, RedactionOptions, Redactor, RedactResult } from './types.ts';
import { compileProfilePatterns, linksAsUnits } from './urls.ts';

const NO_SPANS: PiiSpan[] = [];
Object.freeze(NO_SPANS);

function recognizersFor(options: RedactionOptions): Recognizer[] {
  const wanted = new Set(options.categories ?? DEFAULT_CATEGORIES);
  const all: Recognizer[] = [
    emailRecognizer,
    profileUrlRecognizer,
    ibanRecognizer,
    nirRecognizer,
    cardRecognizer,
    ipRecognizer,
    createPhoneRecognizer({ defaultRegion: options.defaultRegion }),
    handleRecognizer,
    addressRecognizer,
    createPersonRecognizer({
      keepPublicFigures: options.keepPublicFigures,
      publicFigureNames: options.publicFigureNames,
    }),
  ];
  const active = all.filter((r) => r.categories.some((c) => wanted.has(c)));
  if (options.objectorTerms && options.objectorTerms.length > 0) {
    active.unshift(createObjectorRecognizer(options.objectorTerms));
  }
  return active;
}

/**
 * The redactor the gate calls on every kept record. Text in which no recogniser finds a candidate
 * is returned as the same string instance with `changed: false`, so the gate can write the
 * original line untouched.
 */
export function createRedactor(options: RedactionOptions = {}): Redactor {
  const mode = options.mode ?? 'placeholder';
  if (mode !== 'placeholder' && mode !== 'pseudonym') {
    throw new Error(`redaction: mode must be 'placeholder' or 'pseudonym', got '${String(mode)}'`);
  }
  if (mode === 'pseudonym' && !options.pseudonymKey) {
    throw new Error("redaction: mode 'pseudonym' needs pseudonymKey");
  }
  const pseudonym =
    mode === 'pseudonym'
      ? createPseudonymizer(options.pseudonymKey!, options.defaultRegion)
      : undefined;
  const recognizers = recognizersFor(options);
  const profilePatterns = compileProfilePatterns(
    (options.categories ?? DEFAULT_CATEGORIES).includes('PROFILE_URL')
      ? (options.profileUrlPatterns ?? [])
      : [],
  );
  // Operator profile patterns can match any link: every text with a link is looked at.
  const mayHaveLink = (text: string) => text.includes('/') || /www\./i.test(text);
  const replacement = (category: PiiCategory, value: string): string =>
    pseudonym ? pseudonym(category, value) : `<${category}>`;

  return {
    redact(text: string): RedactResult {
      let found: PiiSpan[] | undefined;
      for (const r of recognizers) {
        if (!r.mayMatch(text)) continue;
        found ??= [];
        r.find(text, found);
      }
      if ((found?.length || profilePatterns.length > 0) && mayHaveLink(text)) {
        found = linksAsUnits(text, found ?? [], profilePatterns);
      }
      if (found === undefined || found.length === 0) {
        return { text, changed: false, spans: NO_SPANS };
      }
      const spans = resolveOverlaps(text, found);
      let out = '';
      let at = 0;
      for (const s of spans) {
        out += text.slice(at, s.start) + replacement(s.category, text.slice(s.start, s.end));
        at = s.end;
      }
      out += text.slice(at);
      return { text: out, changed: true, spans };
    },
  };
}

export { DEFAULT_CATEGORIES, STRUCTURED_CATEGORIES } from './categories.ts';
