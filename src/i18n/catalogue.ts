import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Formats, IntlMessageFormat } from 'intl-messageformat';

/**
 * The message catalogue: one JSON file per language in `locales/` (flat keys, ICU MessageFormat
 * values). Adding a language is dropping `xx.json` next to the others: every file found is
 * loaded, and the language list comes from the file names, not from code.
 */
export const LOCALES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'locales');

/** A value a message may interpolate. Dates are formatted by Intl in UTC. */
export type MessageValue = string | number | Date | null | undefined;
export type MessageVars = Record<string, MessageValue>;

/**
 * Dates and times shown to people are in UTC, and the messages say so ("UTC"), because Veto
 * renders on the server and does not know the reader's time zone; a wrong local time would be
 * worse than an explicit UTC one. Where the platform says the reader's zone (the `zoneinfo`
 * claim of its token), pages format in that zone and name it (`{zone}`).
 */
function formatsIn(timeZone: string): Partial<Formats> {
  return {
    date: {
      short: { year: 'numeric', month: 'short', day: 'numeric', timeZone },
      medium: { year: 'numeric', month: 'long', day: 'numeric', timeZone },
      long: { year: 'numeric', month: 'long', day: 'numeric', timeZone },
      full: { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', timeZone },
    },
    time: {
      short: { hour: '2-digit', minute: '2-digit', timeZone },
      medium: { hour: '2-digit', minute: '2-digit', timeZone },
      long: { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone },
      full: { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone },
    },
  };
}

/** An IANA time zone name this runtime knows ("Europe/Paris"); anything else is not one. */
export function isTimeZone(name: string): boolean {
  if (name.length === 0 || name.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export class CatalogueError extends Error {
  override name = 'CatalogueError';
}

export interface FormatOptions {
  /** The IANA zone dates and times are shown in (default UTC; see {@link isTimeZone}). */
  timeZone?: string | undefined;
}

export interface Catalogue {
  /** Canonical language tags with a catalogue file, sorted. */
  readonly languages: readonly string[];
  readonly defaultLanguage: string;
  has(language: string): boolean;
  /** The keys defined for a language (for parity tests and tooling). */
  keys(language: string): string[];
  /** The raw ICU source of a message, or undefined when the language lacks it. */
  source(language: string, key: string): string | undefined;
  /**
   * Formats `key` in `language`; a key missing there falls back to the default language (and
   * the fallback is reported to `onCatalogueFallback` listeners, or thrown in strict mode).
   */
  t(language: string, key: string, vars?: MessageVars, options?: FormatOptions): string;
  /** The language's own name for itself ("Français"), from its `meta.name` key. */
  autonym(language: string): string;
}

export function canonicalTag(tag: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}

/**
 * The language tags that have a catalogue file in `dir`, from the file names alone (sorted):
 * the deployment's languages by default, so adding a language is dropping a file.
 */
export function catalogueLanguages(dir = LOCALES_DIR): string[] {
  const out: string[] = [];
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.json')) continue;
    const tag = canonicalTag(basename(file, '.json'));
    if (tag) out.push(tag);
  }
  return out.sort();
}

/** A message served in another language than the one asked for (see `Catalogue.t`). */
export interface CatalogueFallback {
  /** The language asked for. */
  language: string;
  key: string;
  /** The language actually used. */
  servedIn: string;
  reason: 'language-not-loaded' | 'key-missing';
}

const fallbackListeners = new Set<(fallback: CatalogueFallback) => void>();

/**
 * Observes every fallback of every catalogue in this process; returns the unsubscribe function.
 * Tests use it to prove that a page rendered in language X took no message from another
 * language; a deployment could count them.
 */
export function onCatalogueFallback(listener: (fallback: CatalogueFallback) => void): () => void {
  fallbackListeners.add(listener);
  return () => fallbackListeners.delete(listener);
}

/** Reads every `*.json` in `dir`; throws a CatalogueError naming the file on bad content. */
export function readLocaleFiles(dir = LOCALES_DIR): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.json')) continue;
    const path = join(dir, file);
    const tag = canonicalTag(basename(file, '.json'));
    if (!tag) throw new CatalogueError(`${path}: file name is not a BCP 47 language tag`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new CatalogueError(`${path}: not valid JSON (${(err as Error).message})`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new CatalogueError(`${path}: expected an object of "key": "message" pairs`);
    }
    const messages: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value !== 'string') {
        throw new CatalogueError(`${path}: key "${key}" must be a string message`);
      }
      messages[key] = value;
    }
    out.set(tag, messages);
  }
  return out;
}

export interface LoadOptions {
  dir?: string;
  defaultLanguage?: string;
  /** Restrict to these languages (a deployment's `languages` setting); each must have a file. */
  languages?: readonly string[];
  /** Throw a CatalogueError instead of falling back to the default language (tests, tooling). */
  strict?: boolean;
  /**
   * The locale whose conventions format dates and numbers for a language, where it should not
   * be the language tag itself. Default: English as in Britain and Ireland ("5 December 2026 at
   * 07:12"), for a European audience, instead of the US form ("December 5, 2026 at 07:12 AM").
   */
  formatLocales?: Readonly<Record<string, string>>;
}

/** See `LoadOptions.formatLocales`. */
export const DEFAULT_FORMAT_LOCALES: Readonly<Record<string, string>> = Object.freeze({
  en: 'en-GB',
});

export function loadCatalogue(options: LoadOptions = {}): Catalogue {
  const files = readLocaleFiles(options.dir);
  let messages = files;
  if (options.languages) {
    messages = new Map();
    for (const wanted of options.languages) {
      const tag = canonicalTag(wanted);
      const found = tag ? files.get(tag) : undefined;
      if (!tag || !found) {
        throw new CatalogueError(
          `language "${wanted}" is configured but ${options.dir ?? LOCALES_DIR} has no ${wanted}.json`,
        );
      }
      messages.set(tag, found);
    }
  }
  const defaultLanguage = canonicalTag(options.defaultLanguage ?? 'en') ?? 'en';
  if (!messages.has(defaultLanguage)) {
    throw new CatalogueError(`default language "${defaultLanguage}" has no catalogue file`);
  }
  return new IcuCatalogue(
    messages,
    defaultLanguage,
    options.strict ?? false,
    options.formatLocales ?? DEFAULT_FORMAT_LOCALES,
  );
}

class IcuCatalogue implements Catalogue {
  readonly languages: readonly string[];
  private readonly compiled = new Map<string, IntlMessageFormat>();

  constructor(
    private readonly messages: Map<string, Record<string, string>>,
    readonly defaultLanguage: string,
    private readonly strict: boolean,
    private readonly formatLocales: Readonly<Record<string, string>>,
  ) {
    this.languages = [...messages.keys()].sort();
  }

  has(language: string): boolean {
    return this.messages.has(language);
  }

  keys(language: string): string[] {
    return Object.keys(this.messages.get(language) ?? {}).sort();
  }

  source(language: string, key: string): string | undefined {
    return this.messages.get(language)?.[key];
  }

  t(language: string, key: string, vars: MessageVars = {}, options: FormatOptions = {}): string {
    let lang = this.messages.has(language) ? language : this.defaultLanguage;
    let src = this.source(lang, key);
    if (src === undefined) {
      // The parity test keeps this from happening; at run time a default-language sentence
      // is better than a raw key or a crash in front of someone exercising a right.
      lang = this.defaultLanguage;
      src = this.source(lang, key);
    }
    if (src === undefined) throw new CatalogueError(`unknown message key "${key}"`);
    if (lang !== language) this.fellBack(language, key, lang);
    const zone = options.timeZone ?? 'UTC';
    const cacheKey = `${lang}\u0000${key}\u0000${zone}`;
    let mf = this.compiled.get(cacheKey);
    if (!mf) {
      mf = new IntlMessageFormat(src, this.formatLocales[lang] ?? lang, formatsIn(zone), {
        ignoreTag: true,
      });
      this.compiled.set(cacheKey, mf);
    }
    // `{zone}` names the zone the dates are shown in, so a message can never say one and use another.
    const values: Record<string, string | number | Date> = { zone };
    for (const [name, value] of Object.entries(vars)) {
      if (value !== null && value !== undefined) values[name] = value;
    }
    const out = mf.format(values);
    return typeof out === 'string' ? out : String(out);
  }

  autonym(language: string): string {
    return this.source(language, 'meta.name') ?? language;
  }

  private fellBack(language: string, key: string, servedIn: string): void {
    const reason = this.messages.has(language) ? 'key-missing' : 'language-not-loaded';
    if (this.strict) {
      throw new CatalogueError(
        reason === 'key-missing'
          ? `message "${key}" is missing in ${language}.json`
          : `language "${language}" is not loaded (message "${key}")`,
      );
    }
    for (const listener of fallbackListeners) listener({ language, key, servedIn, reason });
  }
}

let shared: Catalogue | undefined;

/** The catalogue of every shipped language, loaded once (for code without a configured one). */
export function defaultCatalogue(): Catalogue {
  shared ??= loadCatalogue();
  return shared;
}
