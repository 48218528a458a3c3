import { DEFAULT_CATEGORIES } from './categories.ts';

/**
 * `veto redact`'s options and help text, apart from `cli-redact.ts` so the command line knows
 * them without loading the recognizers.
 */
/** `veto redact`'s options (its help text is {@link REDACT_DETAILS}). */
export const REDACT_OPTIONS = {
  out: { type: 'string' },
  field: { type: 'string' },
  categories: { type: 'string' },
  mode: { type: 'string' },
  'pseudonym-key-file': { type: 'string' },
  lang: { type: 'string' },
  region: { type: 'string' },
  'keep-public-figures': { type: 'boolean' },
  'public-figure': { type: 'string', multiple: true },
  'profile-url-pattern': { type: 'string', multiple: true },
} as const;

export const REDACT_SYNOPSIS =
  '[FILE|-] [--out FILE] [--field NAME] [--categories A,B] [--mode placeholder|pseudonym] [--lang LANG] [options]';

export const REDACT_DETAILS = `  FILE (default: standard input) holds one JSON object per line; the output (default: standard
  output) holds the same objects with the field redacted and "spans": [{category, start, end}],
  offsets in UTF-16 code units of the original text.
  --out FILE     where to write (default: standard output)
  --field NAME   the field holding the text (default: text)
  --categories   among ${DEFAULT_CATEGORIES.join(', ')} (default: all)
  --mode         placeholder writes <PERSON>; pseudonym writes a keyed pseudonym per value (key
                 from --pseudonym-key-file or VETO_PSEUDONYM_KEY, at least 32 characters)
  --pseudonym-key-file FILE
                 the pseudonym key
  --lang         language of the text (en, fr, de ...): sets the phone region unless --region
  --region CC    the default phone region
  --keep-public-figures  keep the names on the public-figure list (docs/redaction.md) and those
                 given with --public-figure NAME (repeatable)
  --profile-url-pattern REGEX
                 a profile link pattern of the platform: such links are redacted whole`;
