import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/*
 * The language resources behind person-name recognition:
 * - first and last names: every Latin-script locale of @faker-js/faker (about 24k first names
 *   and 19k last names from 70+ locales), because the people named in a French or English post
 *   come from everywhere;
 * - common words: the lower-case entries of the Hunspell dictionaries for English and French
 *   (dictionary-en, dictionary-fr) and the stop words of stopwords-iso, so that a name that is
 *   also a word ("Will", "Rose", "Pierre") needs more evidence than a capital letter.
 * Built once per process, on first use, and loaded only then: a redactor without names or
 * addresses (the gate's workers under most policies) never pays for it. Importing the faker
 * locales alone cost ~0.25 CPU-s in every gate worker at start. Hence `require` (faker is ESM
 * without top-level await, which Node ≥ 20.19 can require) and the dictionaries' `.dic` files
 * read directly (their modules read them with top-level await, which `require` cannot wait for).
 */
export interface NameLexicon {
  firstNames: ReadonlySet<string>;
  lastNames: ReadonlySet<string>;
  commonWords: ReadonlySet<string>;
  stopwords: ReadonlySet<string>;
  /**
   * Words of well-known people's names: the musical artists and book authors of every locale of
   * @faker-js/faker ("Rihanna", "Drake", "Agatha Christie"), which posts name by one word or in
   * lower case; bands and pairs ("The Beatles", "Simon & Garfunkel") and dictionary words left
   * out.
   */
  famous: ReadonlySet<string>;
}

const require = createRequire(import.meta.url);

/** A Hunspell dictionary package's word list (`index.dic` beside its entry point). */
export function dictionaryFile(pkg: string): Uint8Array {
  return readFileSync(join(dirname(require.resolve(pkg)), 'index.dic'));
}

const LATIN = /^[\p{Script=Latin}\p{M}' .-]+$/u;

type Tree = unknown;
function collect(node: Tree, into: Set<string>): void {
  if (typeof node === 'string') {
    for (const part of node.split(/\s+/)) {
      const w = part.normalize('NFC').toLowerCase();
      if (w.length >= 2 && LATIN.test(w)) into.add(w);
    }
  } else if (Array.isArray(node)) {
    for (const n of node) collect(n, into);
  } else if (node && typeof node === 'object') {
    for (const n of Object.values(node)) collect(n, into);
  }
}

/** Adds the lower-case entries of a Hunspell word list (`dictionaryFile`) to `into`. */
export function dictionaryWords(dic: Uint8Array, into: Set<string>): void {
  const text = new TextDecoder().decode(dic);
  for (const line of text.split('\n')) {
    const word = line.split('/')[0]!.trim();
    // Lower-case entries are common words; capitalised ones are proper nouns (names included).
    if (word.length >= 2 && word[0] === word[0]!.toLowerCase() && /^\p{L}/u.test(word)) {
      into.add(word.normalize('NFC').toLowerCase());
    }
  }
}

/** Calendar words that double as first names ("May", "June", "Août"). */
export const CALENDAR_WORDS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
  'janvier',
  'février',
  'mars',
  'avril',
  'mai',
  'juin',
  'juillet',
  'août',
  'septembre',
  'octobre',
  'novembre',
  'décembre',
  'lundi',
  'mardi',
  'mercredi',
  'jeudi',
  'vendredi',
  'samedi',
  'dimanche',
];

let cached: NameLexicon | undefined;

export function nameLexicon(): NameLexicon {
  if (cached) return cached;
  const { allLocales } = require('@faker-js/faker') as typeof import('@faker-js/faker');
  const firstNames = new Set<string>();
  const lastNames = new Set<string>();
  const famousNames: string[] = [];
  for (const locale of Object.values(allLocales)) {
    const l = locale as {
      person?: { first_name?: Tree; last_name?: Tree };
      music?: { artist?: string[] };
      book?: { author?: string[] };
    };
    famousNames.push(...(l.music?.artist ?? []), ...(l.book?.author ?? []));
    if (!l.person) continue;
    collect(l.person.first_name, firstNames);
    collect(l.person.last_name, lastNames);
  }
  const commonWords = new Set<string>(CALENDAR_WORDS);
  dictionaryWords(dictionaryFile('dictionary-en'), commonWords);
  dictionaryWords(dictionaryFile('dictionary-fr'), commonWords);
  const stopwords = new Set<string>();
  // stopwords-iso ships its lists as a JSON main file.
  const iso = require('stopwords-iso') as Record<string, string[]>;
  for (const w of [...(iso.en ?? []), ...(iso.fr ?? [])]) stopwords.add(w.toLowerCase());
  const famous = new Set<string>();
  for (const name of famousNames) {
    const words = name.split(/\s+/);
    if (
      words.length > 3 ||
      /^the$|&|\+|\band\b|\d/i.test(name) ||
      words[0]!.toLowerCase() === 'the'
    )
      continue;
    for (const w of words) {
      const low = w.normalize('NFC').toLowerCase();
      // A dictionary word ("Pink", "Future", "Drake") says nothing on its own.
      if (low.length >= 3 && LATIN.test(low) && !stopwords.has(low) && !commonWords.has(low))
        famous.add(low);
    }
  }
  cached = { firstNames, lastNames, commonWords, stopwords, famous };
  return cached;
}
