/**
 * The contract between the gate and the redactor. The gate only needs `redact`; the evaluation
 * harness (`npm run eval:pii`) also reads `spans`.
 */

/** What kind of personal data a span holds. Placeholders are `<EMAIL>`, `<PHONE>`, ... */
export type PiiCategory =
  | 'EMAIL'
  | 'PHONE'
  | 'IBAN'
  | 'CARD'
  | 'IP'
  | 'NIR'
  | 'ADDRESS'
  | 'HANDLE'
  | 'PROFILE_URL'
  | 'PERSON'
  | 'OBJECTOR';

/** A found span. Offsets are UTF-16 code-unit offsets into the input string (JS string indices). */
export interface PiiSpan {
  category: PiiCategory;
  start: number;
  end: number;
}

export interface RedactResult {
  /** The text with every span replaced; the same string instance when nothing was found. */
  text: string;
  /** True when at least one span was replaced. Lets the gate write the original line unchanged. */
  changed: boolean;
  spans: PiiSpan[];
}

export interface RedactionOptions {
  /** Categories to look for; default: all structured ones plus names. */
  categories?: readonly PiiCategory[];
  /** `placeholder` writes `<EMAIL>`; `pseudonym` writes a stable keyed pseudonym per value. */
  mode?: 'placeholder' | 'pseudonym';
  /** Key for pseudonyms (HMAC); required when mode is `pseudonym`. */
  pseudonymKey?: string;
  /** Default region for national phone formats, e.g. 'FR'. */
  defaultRegion?: string;
  /** Names and handles of people who objected as third parties: redacted exactly, everywhere. */
  objectorTerms?: readonly string[];
  /**
   * Keep the names of public figures (src/redact/names/public-figures.ts plus
   * `publicFigureNames`); default false: every name is redacted.
   */
  keepPublicFigures?: boolean;
  publicFigureNames?: readonly string[];
  /**
   * Regular expressions (sources, case-insensitive) of links to a person's profile beyond the
   * common networks, e.g. `^https://forum\\.example/members/`: such links are redacted whole.
   */
  profileUrlPatterns?: readonly string[];
}

export interface Redactor {
  redact(text: string): RedactResult;
}
