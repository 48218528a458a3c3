/**
 * The one rule for subject keys: which keys a snapshot or filter file can hold, and which account
 * ids the intake accepts (the API, the portal's platform token, `objections import`, the notice
 * API and campaigns). It lives here, beside the file formats, because the files are what every
 * accepted id must fit: {@link accountIdProblem} ends with the files' own check of the key the id
 * becomes, so an id the intake accepts can always be written to a snapshot and a filter.
 *
 * Subject keys are `acct:<platform account id>` and `email:<40 hex digits>` (an HMAC of a
 * non-user's address). An account id is taken exactly as the platform gives it: never trimmed,
 * case-folded or Unicode-normalised, because the gate matches it byte for byte against the
 * authors of the platform's export. Non-ASCII ids are legitimate (usernames in any script); what
 * is refused is what no platform id needs and what would make one id look like, or be, another:
 *
 * - control characters (C0, DEL, C1): they break line-based files and terminals;
 * - whitespace of any kind (including no-break and zero-width spaces, and the byte order mark):
 *   invisible, and usually left over from a form or a CSV cell;
 * - bidirectional controls: they make an id display as a different one ("Trojan Source");
 * - lone UTF-16 surrogates and Unicode noncharacters: not characters, not valid UTF-8 once
 *   written to a file;
 * - U+FFFD, the replacement character: the trace of bytes that were not valid UTF-8 somewhere
 *   upstream, so the id is not the one the platform meant;
 * - more than {@link ACCOUNT_ID_MAX_LENGTH} characters (Unicode code points, as JSON Schema's
 *   `maxLength` counts them).
 *
 * No module imports here: the gate's workers, the HTTP schemas and the CLI all load it.
 */

/** The longest subject key a registry file holds, in UTF-16 code units. */
export const MAX_KEY_LENGTH = 512;

/** The longest account id the intake accepts, in Unicode code points. */
export const ACCOUNT_ID_MAX_LENGTH = 200;

/** The prefix of an account's subject key. */
export const ACCOUNT_KEY_PREFIX = 'acct:';

/**
 * The account id rule as one regular expression (flag `u`), published as the `pattern` of every
 * `accountId` in /openapi.json so that clients can check ids before sending them.
 */
export const ACCOUNT_ID_PATTERN = `^[^\\p{Cc}\\p{White_Space}\\p{Cs}\\p{Bidi_Control}\\p{Noncharacter_Code_Point}\\u{FEFF}\\u{200B}\\u{FFFD}]{1,${ACCOUNT_ID_MAX_LENGTH}}$`;

/** One sentence for documentation (OpenAPI descriptions, command help). */
export const ACCOUNT_ID_RULE =
  `1 to ${ACCOUNT_ID_MAX_LENGTH} characters, taken exactly as given (not trimmed or normalised); ` +
  'any script, but no control characters, whitespace, bidirectional controls, lone surrogates, ' +
  'noncharacters or U+FFFD';

const ACCOUNT_ID = new RegExp(ACCOUNT_ID_PATTERN, 'u');

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
const FORBIDDEN_IN_KEY = /[\u0000-\u0020\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why a key cannot go in a registry file, or undefined when it can: one key per line, so no
 * control characters or spaces; at most {@link MAX_KEY_LENGTH} UTF-16 code units; valid UTF-16.
 * Readers of older files apply the same rule, so it stays as wide as the files always were.
 */
export function subjectKeyProblem(key: string): string | undefined {
  if (typeof key !== 'string') return 'not a string';
  if (key.length === 0) return 'empty key';
  if (key.length > MAX_KEY_LENGTH) return `longer than ${MAX_KEY_LENGTH} characters`;
  if (FORBIDDEN_IN_KEY.test(key)) return 'contains a space or a control character';
  if (LONE_SURROGATE.test(key)) return 'contains a lone UTF-16 surrogate';
  return undefined;
}

const CONTROL = /\p{Cc}/u;
const BLANK = /[\p{White_Space}\u{FEFF}\u{200B}]/u;
const BIDI = /\p{Bidi_Control}/u;
const NONCHARACTER = /\p{Noncharacter_Code_Point}/u;

/**
 * Why the intake refuses an account id, or undefined when it accepts it (see the module's
 * comment). The reason names the first offending character and its position (1-based, in
 * characters), for problem documents and `FILE:LINE: account_id: reason` lines.
 */
export function accountIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return 'must be a string';
  if (ACCOUNT_ID.test(id)) {
    // The files' own check of the key: true by construction today, and kept so that a future
    // widening of the pattern cannot let through an id the snapshot writers would refuse.
    return subjectKeyProblem(`${ACCOUNT_KEY_PREFIX}${id}`);
  }
  if (id.length === 0) return 'must not be empty';
  let position = 0;
  // `for...of` walks code points, and yields a lone surrogate on its own.
  for (const c of id) {
    position++;
    const cp = c.codePointAt(0)!;
    const what =
      cp >= 0xd800 && cp <= 0xdfff
        ? 'a lone UTF-16 surrogate, not a character'
        : CONTROL.test(c)
          ? 'a control character'
          : BLANK.test(c)
            ? 'whitespace (ids are taken exactly as given, never trimmed)'
            : BIDI.test(c)
              ? 'a bidirectional control (it makes an id display as another)'
              : NONCHARACTER.test(c)
                ? 'a Unicode noncharacter'
                : cp === 0xfffd
                  ? 'the replacement character: the id was decoded from bytes that were not valid UTF-8'
                  : undefined;
    if (what) return `${codePoint(cp)} at character ${position} is ${what}`;
  }
  return `must be at most ${ACCOUNT_ID_MAX_LENGTH} characters (this one has ${position})`;
}

function codePoint(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}
