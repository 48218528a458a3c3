import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { nameLexicon } from '../redact/names/lexicon.ts';
import { createObjectorRecognizer } from '../redact/recognizers/objector-terms.ts';
import type { PiiSpan } from '../redact/types.ts';

/**
 * Named objectors: people named in a record's text by handle, display name or profile link,
 * found as if they were in its `mentions`. The platform gives each account's handles and display
 * names in a names file (`gate build --names FILE`, JSONL); profile links come from the policy's
 * `objections.profileUrls` patterns (`https://forum.example/users/{id}`), which name any account
 * by its id. A named account is then one more subject of the record: an objector's name drops it
 * (`objected-mention`, policy `objections.coverMentions`), the inclusion index lists it (so a
 * late objection and "Am I in the dataset?" find it), and `veto dataset verify` finds it again.
 *
 * Display names are ambiguous ("Rose", "The Best"), so one is used only when it looks like a
 * person's full name as written (see {@link displayNameProblem}) and only where the text writes
 * it with the same capitals; handles (`@nina_r`) and profile links match in any case.
 */

/** One account's names, as a line of the names file. */
export interface NamedAccount {
  accountId: string;
  handles: string[];
  displayNames: string[];
}

export class NamesFileError extends Error {
  override name = 'NamesFileError';
}

/** The most accounts a names file may hold (its terms are compiled into one automaton). */
const MAX_ACCOUNTS = 2_000_000;

/**
 * Reads a names file: one JSON object per line, `{"account_id": "42", "handles": ["@nina_r"],
 * "display_names": ["Nina Roux"]}`; blank lines are skipped. Throws {@link NamesFileError}
 * naming `FILE:LINE` and the field for anything else.
 */
export async function readNamesFile(
  path: string,
): Promise<{ accounts: NamedAccount[]; sha256: string }> {
  const bytes = await readFile(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new NamesFileError(`${path}: not valid UTF-8`);
  }
  const accounts: NamedAccount[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `${path}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new NamesFileError(`${where}: not JSON (${(err as Error).message})`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new NamesFileError(`${where}: not a JSON object`);
    }
    const r = v as Record<string, unknown>;
    const id = r.account_id;
    if (!(typeof id === 'string' && /^[!-~]{1,500}$/.test(id)) && !Number.isSafeInteger(id)) {
      throw new NamesFileError(`${where}: account_id: an account id (printable, no spaces)`);
    }
    const list = (field: string): string[] => {
      const x = r[field];
      if (x === undefined) return [];
      if (!Array.isArray(x) || x.some((s) => typeof s !== 'string' || s.trim() === '')) {
        throw new NamesFileError(`${where}: ${field}: a list of non-empty strings`);
      }
      return x as string[];
    };
    accounts.push({
      accountId: String(id),
      handles: list('handles'),
      displayNames: list('display_names'),
    });
    if (accounts.length > MAX_ACCOUNTS) {
      throw new NamesFileError(`${where}: more than ${MAX_ACCOUNTS} accounts`);
    }
  }
  return { accounts, sha256 };
}

const TOKEN = /^\p{Lu}[\p{L}\p{M}'’-]*\p{L}$/u;

/**
 * Why a display name is not used to find its account in texts, or undefined when it is. The
 * rule: at least two words, each capitalised and of letters (a person's name as written, not a
 * lone first name: "Nina" names too many people), and not every word an ordinary word (a common
 * word or stop word of English or French that is not also a known first name: "The Best",
 * "Red Wine"; surnames that are words, "Smith", "Martin", count as ordinary). Measured on ../shared/eval (eval/named-objectors.ts).
 */
export function displayNameProblem(name: string): string | undefined {
  const words = name.normalize('NFC').trim().split(/\s+/);
  if (words.length < 2) return 'a single word (a lone first name or a word names too many people)';
  if (!words.every((w) => TOKEN.test(w)))
    return 'not a name as written (capitalised words of letters)';
  const lex = nameLexicon();
  const ordinary = (w: string) => {
    const l = w.toLowerCase();
    return (lex.commonWords.has(l) || lex.stopwords.has(l)) && !lex.firstNames.has(l);
  };
  if (words.every(ordinary)) return 'ordinary words only';
  return undefined;
}

/** A handle as it is written in texts: `@name` (a handle given without `@` gets one). */
function handleTerm(handle: string): string | undefined {
  const h = handle.trim();
  const term = h.startsWith('@') ? h : `@${h}`;
  return term.length >= 3 ? term : undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Finds the accounts a text names. Built once per run from the names file's accounts and the
 * policy's profile URL patterns; `find` returns subject keys (`acct:<id>`), each once.
 */
export class NamedSubjectFinder {
  readonly #handles: Map<string, string[]>;
  readonly #names: Map<string, { exact: string; keys: string[] }[]>;
  readonly #recognizer: ReturnType<typeof createObjectorRecognizer> | undefined;
  readonly #urls: RegExp | undefined;
  readonly #spans: PiiSpan[] = [];
  /** Display names left out by the rule, with why (for the build's report). */
  readonly skippedDisplayNames: number;
  readonly terms: number;

  constructor(accounts: readonly NamedAccount[], profileUrls: readonly string[]) {
    this.#handles = new Map();
    this.#names = new Map();
    let skipped = 0;
    const add = <T>(map: Map<string, T[]>, term: string, value: T) => {
      const list = map.get(term);
      if (list) list.push(value);
      else map.set(term, [value]);
    };
    for (const a of accounts) {
      const key = `acct:${a.accountId}`;
      for (const h of a.handles) {
        const term = handleTerm(h);
        if (term) add(this.#handles, term.toLowerCase(), key);
      }
      for (const raw of a.displayNames) {
        const name = raw.normalize('NFC').trim().replace(/\s+/g, ' ');
        if (displayNameProblem(name)) {
          skipped++;
          continue;
        }
        const folded = name.toLowerCase();
        const list = this.#names.get(folded) ?? [];
        const same = list.find((e) => e.exact === name);
        if (same) same.keys.push(key);
        else list.push({ exact: name, keys: [key] });
        this.#names.set(folded, list);
      }
    }
    this.skippedDisplayNames = skipped;
    const terms = [...this.#handles.keys(), ...this.#names.keys()];
    this.terms = terms.length;
    this.#recognizer = terms.length > 0 ? createObjectorRecognizer(terms) : undefined;
    // `https://forum.example/users/{id}`: the id is what follows up to a separator.
    const patterns = profileUrls.map((p) =>
      escapeRegExp(p.replace(/^https?:\/\//i, '')).replace('\\{id\\}', '([^\\s/?#"\'<>)]+)'),
    );
    this.#urls =
      patterns.length > 0
        ? new RegExp(`(?:https?://)?(?:${patterns.join('|')})`, 'giu')
        : undefined;
  }

  /** Whether any account can be named (else a run skips the texts). */
  get active(): boolean {
    return this.#recognizer !== undefined || this.#urls !== undefined;
  }

  /** The subject keys of the accounts `text` names. */
  find(text: string): string[] | undefined {
    let out: string[] | undefined;
    const push = (key: string) => {
      out ??= [];
      if (!out.includes(key)) out.push(key);
    };
    if (this.#recognizer) {
      const spans = this.#spans;
      spans.length = 0;
      this.#recognizer.find(text, spans);
      for (const span of spans) {
        const found = text.slice(span.start, span.end).normalize('NFC').replace(/\s+/g, ' ');
        const folded = found.toLowerCase();
        for (const key of this.#handles.get(folded) ?? []) push(key);
        for (const e of this.#names.get(folded) ?? []) {
          if (e.exact === found) for (const key of e.keys) push(key);
        }
      }
    }
    if (this.#urls) {
      this.#urls.lastIndex = 0;
      for (const m of text.matchAll(this.#urls)) {
        // A link at the end of a sentence: its full stop is not part of the id.
        const id = m
          .slice(1)
          .find((g) => g !== undefined)
          ?.replace(/[.,;:!]+$/, '');
        if (id) push(`acct:${id}`);
      }
    }
    return out;
  }
}

/**
 * The terms that name the objectors among `accounts` (accepted display names, handles as `@name`,
 * their profile links with and without scheme), for a policy that does not cover mentions: there
 * a named objector's record is kept and these terms are redacted exactly instead.
 */
export function namedObjectorTerms(
  accounts: readonly NamedAccount[],
  profileUrls: readonly string[],
  isObjector: (subjectKey: string) => boolean,
): string[] {
  const terms = new Set<string>();
  for (const a of accounts) {
    if (!isObjector(`acct:${a.accountId}`)) continue;
    for (const h of a.handles) {
      const term = handleTerm(h);
      if (term) terms.add(term);
    }
    for (const name of a.displayNames) if (!displayNameProblem(name)) terms.add(name.trim());
    for (const pattern of profileUrls) {
      const link = pattern.replace('{id}', a.accountId);
      terms.add(link);
      terms.add(link.replace(/^https?:\/\//i, ''));
    }
  }
  return [...terms];
}
