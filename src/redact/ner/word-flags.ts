import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CALENDAR_WORDS, dictionaryFile, nameLexicon } from '../names/lexicon.ts';
import { peopleNames, placeNames } from '../names/places.ts';
import { decodeHashDeltas, encodeHashDeltas } from './hash-deltas.ts';
import { wordHash } from './tokens.ts';

/*
 * What the word lists say about a word, as bit flags looked up by the token's hash (the
 * tokeniser's FNV-1a of the lower-cased word): an open-addressing table of 32-bit keys. A
 * collision between two words' hashes is possible (about 1 in 20,000 lookups hits a listed word by
 * chance): the flags are only features the model weighs, never a decision on their own.
 */

export const FLAG = {
  /** A first name (every Latin-script locale of @faker-js/faker). */
  FIRST: 1,
  /** A last name (same source). */
  LAST: 2,
  /** A lower-case entry of the English or French Hunspell dictionary. */
  COMMON: 4,
  /** A stop word (stopwords-iso, English and French). */
  STOP: 8,
  /** A country, capital or region alone ("Britain", "Royaume-Uni", "America"). */
  PLACE: 16,
  /** A word of a multi-word place name ("United", "Kingdom"). */
  PLACE_PART: 32,
  /** A nationality or people word ("German", "Français", "Germans"). */
  PEOPLE: 64,
  /** A title or role before a name ("Dr", "Mme", "juge", "président"). */
  TITLE: 128,
  /** A month or a day of the week. */
  CALENDAR: 256,
  /** A capitalised entry of the Hunspell dictionaries (proper nouns: names and places alike). */
  PROPER: 512,
  /** A word of organisation names ("Inc", "FC", "University", "Cour", "Parti"). */
  ORG: 1024,
  /** In the long list of first and last names of the humannames package (about 200k, noisy). */
  LISTED: 2048,
  /** A word of a well-known person's name (faker's artists and authors: "Rihanna", "Bieber"). */
  FAMOUS: 4096,
} as const;

/** Titles after which a capitalised word is a name whatever else it is ("Mme Rose", "juge Westerberg"). */
export const STRONG_TITLE_WORDS = [
  'm',
  'mm',
  'mme',
  'mmes',
  'mlle',
  'mlles',
  'monsieur',
  'madame',
  'mademoiselle',
  'maître',
  'me',
  'juge',
  'juges',
  'docteur',
  'dr',
  'pr',
  'professeur',
  'mr',
  'mrs',
  'ms',
  'miss',
  'prof',
  'sir',
  'herr',
  'frau',
];

/** Titles and roles that announce a name, in English, French and the commonest EU forms. */
export const TITLE_WORDS = [
  ...STRONG_TITLE_WORDS,
  'mx',
  'doctor',
  'professor',
  'dame',
  'lord',
  'lady',
  'rev',
  'reverend',
  'father',
  'sister',
  'brother',
  'uncle',
  'aunt',
  'auntie',
  'grandma',
  'grandpa',
  'coach',
  'captain',
  'capt',
  'gen',
  'general',
  'col',
  'sgt',
  'officer',
  'president',
  'senator',
  'sen',
  'rep',
  'governor',
  'gov',
  'mayor',
  'minister',
  'chancellor',
  'judge',
  'justice',
  'king',
  'queen',
  'prince',
  'princess',
  'pope',
  'saint',
  'st',
  'messieurs',
  'mesdames',
  'président',
  'présidente',
  'avocat',
  'avocate',
  'greffier',
  'greffière',
  'rapporteur',
  'rapporteure',
  'procureur',
  'procureure',
  'commissaire',
  'conseiller',
  'conseillère',
  'député',
  'députée',
  'sénateur',
  'sénatrice',
  'ministre',
  'maire',
  'abbé',
  'père',
  'sœur',
  'frère',
  'oncle',
  'tante',
  'cher',
  'chère',
  'señor',
  'señora',
  'sr',
  'sra',
  'don',
  'doña',
  'signor',
  'signora',
  'sig',
  'dott',
  'dhr',
  'mevr',
  'pan',
  'pani',
];

/** Calendar words, and feasts that are no one's name ("Yom Kippur"). */
const CALENDAR = [
  ...CALENDAR_WORDS,
  'christmas',
  'noël',
  'easter',
  'pâques',
  'halloween',
  'ramadan',
  'hanukkah',
  'kippur',
  'yom',
  'diwali',
  'thanksgiving',
];

const ORG_WORDS = [
  'inc',
  'ltd',
  'llc',
  'plc',
  'corp',
  'co',
  'company',
  'group',
  'groupe',
  'university',
  'université',
  'college',
  'school',
  'école',
  'bank',
  'banque',
  'fc',
  'afc',
  'united',
  'club',
  'association',
  'party',
  'parti',
  'council',
  'conseil',
  'cour',
  'court',
  'tribunal',
  'commission',
  'ministry',
  'ministère',
  'hospital',
  'hôpital',
  'news',
  'times',
  'tv',
  'radio',
  'records',
  'airlines',
  'airways',
  'police',
  'agency',
  'agence',
  'institute',
  'institut',
  'foundation',
  'fondation',
  'museum',
  'musée',
  'society',
  'société',
  'sa',
  'sas',
  'sarl',
  'gmbh',
  'ag',
  'bv',
  'nv',
  'spa',
  'srl',
  'union',
  'federation',
  'fédération',
  'league',
  'ligue',
  'church',
  'église',
  'office',
  'department',
  'département',
  'government',
  'gouvernement',
  'parliament',
  'parlement',
  'senate',
  'sénat',
  'assembly',
  'assemblée',
];

const require = createRequire(import.meta.url);

/**
 * Well-known organisations and brands written as one word, which tweets and posts name as often
 * as people ("Nike", "Adidas", "Google"): never a person on their own. No maintained data package
 * lists them; this list is short on purpose and the model's own ORG/place label does the rest.
 */
export const ORGANISATIONS = [
  'nike',
  'adidas',
  'puma',
  'google',
  'apple',
  'microsoft',
  'amazon',
  'facebook',
  'meta',
  'instagram',
  'twitter',
  'youtube',
  'tiktok',
  'netflix',
  'spotify',
  'samsung',
  'sony',
  'nintendo',
  'tesla',
  'toyota',
  'renault',
  'peugeot',
  'citroën',
  'volkswagen',
  'bmw',
  'mercedes',
  'audi',
  'fiat',
  'ferrari',
  'ikea',
  'lidl',
  'aldi',
  'carrefour',
  'tesco',
  'sainsbury',
  'walmart',
  'starbucks',
  'mcdonald',
  "mcdonald's",
  'nestlé',
  'danone',
  "l'oréal",
  'chanel',
  'dior',
  'gucci',
  'prada',
  'zara',
  'h&m',
  'unilever',
  'siemens',
  'bosch',
  'philips',
  'nokia',
  'ericsson',
  'airbus',
  'boeing',
  'ryanair',
  'easyjet',
  'lufthansa',
  'bbc',
  'cnn',
  'fox',
  'nasa',
  'nato',
  'otan',
  'unicef',
  'unesco',
  'fifa',
  'uefa',
  'arsenal',
  'chelsea',
  'liverpool',
  'barcelona',
  'juventus',
  'bayern',
  'psg',
  'vodafone',
  'orange',
  'telefónica',
  'shell',
  'total',
  'totalenergies',
  'bp',
  'visa',
  'mastercard',
  'paypal',
  'ebay',
  'uber',
  'airbnb',
  'disney',
  'marvel',
  'pixar',
  'warner',
  'coca-cola',
  'pepsi',
  'heineken',
  'guinness',
  'red bull',
  'lego',
];

/**
 * A 32-bit key to flags map with open addressing (keys are word hashes). Each slot holds its key
 * and its value side by side, so a lookup in the table of ~300k words touches one cache line,
 * not two.
 */
export class WordFlags {
  readonly #slots: Int32Array;
  readonly #mask: number;

  /** From a map of hash to value, or from `count` and a callback that adds every entry. */
  constructor(entries: Map<number, number>);
  constructor(count: number, fill: (add: (key: number, value: number) => void) => void);
  constructor(
    entries: Map<number, number> | number,
    fill?: (add: (key: number, value: number) => void) => void,
  ) {
    const count = typeof entries === 'number' ? entries : entries.size;
    let size = 1024;
    while (size < count * 2) size *= 2;
    this.#slots = new Int32Array(size * 2);
    this.#mask = size - 1;
    const add = (k: number, v: number) => {
      let i = Math.imul(k, 0x9e3779b1) >>> 0;
      for (;;) {
        i &= this.#mask;
        if (this.#slots[2 * i + 1] === 0 || this.#slots[2 * i] === k) {
          this.#slots[2 * i] = k;
          this.#slots[2 * i + 1] = v;
          break;
        }
        i++;
      }
    };
    if (typeof entries === 'number') fill?.(add);
    else for (const [k, v] of entries) add(k, v);
  }

  get(hash: number): number {
    const slots = this.#slots;
    const mask = this.#mask;
    let i = Math.imul(hash, 0x9e3779b1) & mask;
    for (;;) {
      const v = slots[2 * i + 1]!;
      if (v === 0) return 0;
      if (slots[2 * i] === hash) return v;
      i = (i + 1) & mask;
    }
  }
}

/**
 * The shipped table (`word-flags.bin`, written by `scripts/build-word-flags.ts` from the word
 * lists below): the flags the person model was trained with. Why a file, not the lists: building
 * the table from the packages' lists costs ~1.2-1.7 CPU-s, in every process and worker thread
 * that finds names (a gate build with two workers paid it twice); the file loads in ~30 ms. It
 * also keeps the model's features fixed when a dictionary package changes; a test rebuilds the
 * table from the installed packages and fails if it no longer matches (then rebuild it and
 * retrain, docs/redaction.md).
 *
 * File (gzip): "VWFL", format (u8), 0 (u8), entries (u32 LE), the tokeniser's hash of
 * "vecteur" (i32 LE: a table made with another word hash is refused), the words' hashes as
 * unsigned 32-bit integers in increasing order, each as its difference from the one before in
 * LEB128, then every entry's flags (u16 LE) in the same order.
 */
export const WORD_FLAGS_FILE = new URL('./word-flags.bin', import.meta.url);

const MAGIC = 'VWFL';
const FORMAT = 1;
const PROBE = 'vecteur';
const HEAD = 14;

let cached: WordFlags | undefined;

/** The flags of every listed word, from the shipped table, read once per thread on first use. */
export function wordFlags(): WordFlags {
  cached ??= decodeWordFlags(
    gunzipSync(readFileSync(WORD_FLAGS_FILE)),
    'src/redact/ner/word-flags.bin',
  );
  return cached;
}

/** Word hash to flags, built from the word lists (the shipped table's source). */
export function listedWordFlags(): Map<number, number> {
  const lex = nameLexicon();
  const m = new Map<number, number>();
  const add = (w: string, f: number) => {
    const h = wordHash(w);
    m.set(h, (m.get(h) ?? 0) | f);
  };
  for (const w of lex.firstNames) add(w, FLAG.FIRST);
  for (const w of lex.lastNames) add(w, FLAG.LAST);
  for (const w of lex.commonWords) {
    add(w, FLAG.COMMON);
    // Hunspell lists stems: the plural ("items", "spectateurs") is as common as the word.
    if (!w.endsWith('s') && !w.endsWith('x')) add(`${w}s`, FLAG.COMMON);
  }
  for (const w of lex.stopwords) add(w, FLAG.STOP);
  for (const w of lex.famous) add(w, FLAG.FAMOUS);
  for (const pkg of ['dictionary-en', 'dictionary-fr']) {
    const text = new TextDecoder().decode(dictionaryFile(pkg));
    for (const line of text.split('\n')) {
      const word = line.split('/')[0]!.trim();
      if (word.length >= 2 && word[0] !== word[0]!.toLowerCase()) add(word, FLAG.PROPER);
    }
  }
  for (const p of placeNames()) {
    const parts = p.split(/\s+/);
    if (parts.length === 1) add(p, FLAG.PLACE);
    else for (const w of parts) if (w.length > 2) add(w, FLAG.PLACE_PART);
  }
  for (const w of peopleNames()) add(w, FLAG.PEOPLE);
  const listed = readFileSync(join(dirname(require.resolve('humannames')), 'list.txt'), 'utf8');
  for (const w of listed.split('\n')) if (w.length >= 2) add(w.trim().toLowerCase(), FLAG.LISTED);
  for (const w of TITLE_WORDS) add(w, FLAG.TITLE);
  for (const w of CALENDAR) add(w, FLAG.CALENDAR);
  for (const w of ORG_WORDS) add(w, FLAG.ORG);
  for (const w of ORGANISATIONS) add(w, FLAG.ORG);
  return m;
}

/** The table file's bytes before gzip (deterministic: the same map gives the same bytes). */
export function encodeWordFlags(flags: Map<number, number>): Buffer {
  const entries = [...flags].map(([h, f]) => [h >>> 0, f] as const).sort((a, b) => a[0] - b[0]);
  const head = Buffer.alloc(HEAD);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt8(FORMAT, 4);
  head.writeUInt32LE(entries.length, 6);
  head.writeInt32LE(wordHash(PROBE), 10);
  const deltas = encodeHashDeltas(entries.map(([h]) => h));
  const values = Buffer.alloc(entries.length * 2);
  entries.forEach(([, f], i) => {
    if (f <= 0 || f > 0xffff) throw new Error(`word flags: flags ${f} do not fit 16 bits`);
    values.writeUInt16LE(f, i * 2);
  });
  return Buffer.concat([head, deltas, values]);
}

export function decodeWordFlags(raw: Uint8Array, file = 'word flags'): WordFlags {
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (b.length < HEAD || b.toString('latin1', 0, 4) !== MAGIC)
    throw new Error(`${file}: not a word-flags table`);
  if (b.readUInt8(4) !== FORMAT) throw new Error(`${file}: format ${b.readUInt8(4)}`);
  const count = b.readUInt32LE(6);
  if (b.readInt32LE(10) !== wordHash(PROBE))
    throw new Error(`${file}: made with another word hash: rebuild it`);
  const valuesAt = b.length - count * 2;
  if (valuesAt < HEAD) throw new Error(`${file}: truncated`);
  return new WordFlags(count, (add) => {
    const end = decodeHashDeltas(b, HEAD, count, valuesAt, file, (h, i) =>
      add(h, b[valuesAt + 2 * i]! | (b[valuesAt + 2 * i + 1]! << 8)),
    );
    if (end !== valuesAt) throw new Error(`${file}: damaged`);
  });
}
