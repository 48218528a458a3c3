/*
 * One character-level pass over a text that finds every position a recogniser may start from:
 * numeric runs (phone, NIR, card, IP, IBAN, address numbers), '@' (e-mail, handle), capitalised
 * words (person names), colon clusters (IPv6) and keywords (street types, phone and NIR cues). The
 * recognisers then only run their regexes on short windows around those positions.
 *
 * Why: each recogniser scanning the whole text with its own regex cost 55-116 MB/s per recogniser
 * on digit-heavy text (bench/redact), about 17 MB/s all together; one pass with integer word
 * hashes (no substring allocated unless a hash hits) costs a fraction of one of them, and text with
 * no candidate costs only that pass.
 *
 * The result is memoised for the last text, since every recogniser of one `redact` call asks.
 */

import { EN_STREET_TYPES, INTL_STREET_TYPES } from './recognizers/street-types.ts';
import { textUnits } from './text-units.ts';

/** A run of digits joined by separators (space, dot, dash, slash, parentheses). */
export interface NumericRun {
  start: number;
  end: number;
  digits: number;
  /** Dots inside the run (an IPv4 address has three). */
  dots: number;
}

/** Keyword kinds, as bit flags (a word may be several: "place" is a French and English street). */
export const KW = {
  /** French street types: rue, avenue, bd, chemin ... */
  FR_STREET: 1,
  /** English and international street types, capitalised: Street, St, Road, Via ... */
  EN_STREET: 2,
  /** Post-box words: box, BP, postbox. */
  PO_BOX: 4,
  /** Words announcing a phone number: tel, phone, mobile, fax ... */
  PHONE: 8,
  /** Words announcing a social-security number: sécurité sociale, NIR, INSEE ... */
  NIR: 16,
  /** Words announcing a post code: zip, postcode, CP ... */
  ZIP: 32,
  /** Unit words that continue an address: Apt, Suite, Unit ... */
  UNIT: 64,
  /** "the corner of X and Y". */
  CORNER: 128,
} as const;

export interface Keyword {
  start: number;
  end: number;
  kinds: number;
}

export interface TextScan {
  /** Numeric runs of four digits or more. */
  runs: NumericRun[];
  /** True when the text has any ASCII digit (runs shorter than four included). */
  anyDigit: boolean;
  keywords: Keyword[];
  /** OR of all keyword kinds found. */
  kinds: number;
  /** Starts of words that begin with an upper-case letter (not right after a digit). */
  caps: number[];
  /** Where each of those words ends (letters and inner hyphens). */
  capsEnd: number[];
  /**
   * Starts of words followed by a space and a digit whose run starts at a capital or is a street
   * word ("Koskikatu 25", "Drandaki 214"): where an international street address may end.
   */
  wordNumbers: number[];
  /** Where a word of two letters or more meets a digit, two letters back (IBAN starts). */
  ibanStarts: number[];
  /** True when a letter A or B follows a 2 (a Corsican department, 2A/2B). */
  corsica: boolean;
  /**
   * True when a dot, two to six ASCII letters and a slash come before '@' or a word character
   * (".com/name", ".app/@user"): what every profile link has (`/\.[a-z]{2,6}\/[@\w]/i`).
   */
  urlPath: boolean;
  /** Positions of '@'. */
  ats: number[];
  /** Number of ':' (IPv6 needs at least two in a row of hex groups). */
  colons: number;
  /** True when the text has "::" or six colons in one cluster (full IPv6, or IPv4-embedded). */
  ipv6Shape: boolean;
}

/** Lower-case keyword -> kinds. Matched on whole words (letters and inner hyphens/dots). */
const LOWER_KEYWORDS: Record<string, number> = {};
/** Keywords that only count with their capital ("St", "Dr", "Way"): exact-case word -> kinds. */
const CASED_KEYWORDS: Record<string, number> = {};

function addLower(kinds: number, words: string): void {
  for (const w of words.split(' ')) LOWER_KEYWORDS[w] = (LOWER_KEYWORDS[w] ?? 0) | kinds;
}
function addCased(kinds: number, words: string): void {
  for (const w of words.split(' ')) CASED_KEYWORDS[w] = (CASED_KEYWORDS[w] ?? 0) | kinds;
}

addLower(
  KW.FR_STREET,
  'rue avenue av boulevard bd bld place pl chemin ch allée allee impasse imp quai route rte cours square sq faubourg fbg passage voie résidence residence lotissement hameau lieu-dit sentier promenade esplanade villa cité cite parvis rond-point montée montee port cour traverse zone za zi zac',
);
addCased(KW.EN_STREET, [...EN_STREET_TYPES, ...INTL_STREET_TYPES].join(' '));
// Addresses in capitals ("17 MAIN STREET"): the full words only, "ST" or "PL" are too short.
addCased(
  KW.EN_STREET,
  EN_STREET_TYPES.filter((w) => w.length >= 4)
    .map((w) => w.toUpperCase())
    .join(' '),
);
addLower(
  KW.EN_STREET,
  'street avenue road boulevard lane drive terrace crescent parkway highway gade vej katu tie út utca ul al str u',
);
// "FPO AE 25990": the line that ends a military or diplomatic address.
addLower(KW.PO_BOX, 'box bp postbox fpo apo dpo');
addLower(
  KW.PHONE,
  'tel tél tel. téléphone telephone phone mobile portable fax poste joignable joignables cell sms whatsapp answering messages registered call appel appeler appelez office bureau domicile home work standard accueil',
);
addLower(
  KW.NIR,
  'sécu secu sécurité securite nir insee ss nss assuré assure assurée assurance immatriculation identification',
);
addLower(KW.ZIP, 'zip postcode post postal cp');
addLower(KW.UNIT, 'apt apartment suite ste unit flat floor bldg room appt');
addLower(KW.CORNER, 'corner');

/** European street names written as one word: Koskikatu, Bundesstrasse, Ringvej ... */
/** Endings of street names written as one word ("Hauptstraße", "Ringvej", "Koskikatu"). */
const STREET_SUFFIXES = [
  'strasse',
  'straße',
  'str',
  'gasse',
  'weg',
  'platz',
  'allee',
  'gade',
  'vej',
  'vænget',
  'katu',
  'kuja',
  'tie',
  'vägen',
  'gatan',
  'gata',
  'laan',
  'straat',
  'plein',
  'út',
  'utca',
  'stræti',
  'straeti',
  'braut',
  'gränd',
  'torget',
  'vegur',
  'veien',
  'stien',
  'stræde',
];
const STREET_SUFFIX = new RegExp(`(?:${STREET_SUFFIXES.join('|')})$`, 'u');
/**
 * The suffixes' last two characters, lower case, as `a << 16 | b`: a word followed by a number
 * is common in digit-heavy text ("order 1234", "saison 2024") and this check turns most of them
 * away before the slice, lower-casing and regex (which were ~40 % of the scan on bench/redact).
 */
const lowerUnit = (c: number): number =>
  (c >= 65 && c <= 90) || (c >= 0xc0 && c <= 0xde && c !== 0xd7) ? c + 32 : c;
const STREET_SUFFIX_ENDS = new Set(
  STREET_SUFFIXES.map((w) => (w.charCodeAt(w.length - 2) << 16) | w.charCodeAt(w.length - 1)),
);
/** The suffixes' last characters, either case: one load turns most words away before the Set. */
const STREET_SUFFIX_END_CHARS = new Uint8Array(65536);
for (const w of STREET_SUFFIXES) {
  const last = w[w.length - 1]!;
  for (const ch of [last, last.toUpperCase()]) STREET_SUFFIX_END_CHARS[ch.charCodeAt(0)] = 1;
}

/** Street words written apart before the number: "Trenerys gate 232", "Luite tee 87", "Erzsébet tér 19". */
const STREET_WORDS = new Set(['gate', 'vei', 'tee', 'tér', 'út', 'utca', 'útja', 'terrasse']);

function isLetter(c: number): boolean {
  if (c < 0x80) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  // Latin-1 letters and everything above that is not general punctuation or a surrogate.
  if (c < 0xc0) return c === 0xaa || c === 0xb5 || c === 0xba;
  if (c === 0xd7 || c === 0xf7) return false;
  if (c >= 0x2000 && c <= 0x2bff) return false;
  if (c >= 0xd800 && c <= 0xdfff) return false;
  if (c >= 0x3000 && c <= 0x303f) return false;
  return true;
}

function isUpperAt(text: string, i: number, c: number): boolean {
  if (c < 0x80) return c >= 65 && c <= 90;
  const ch = text[i]!;
  return ch !== ch.toLowerCase();
}

function isRunSeparator(c: number): boolean {
  // space . - / ( )
  return c === 32 || c === 46 || c === 45 || c === 47 || c === 40 || c === 41;
}

/** Lower-case fold of one UTF-16 unit for hashing (ASCII and Latin-1 capitals). */
function foldUnit(c: number): number {
  if (c >= 65 && c <= 90) return c + 32;
  if (c >= 0xc0 && c <= 0xde && c !== 0xd7) return c + 32;
  return c;
}

/** isLetter and foldUnit as tables: one load per character in the hot loop. */
const LETTER = new Uint8Array(65536);
const FOLD = new Uint16Array(65536);
for (let c = 0; c < 65536; c++) {
  LETTER[c] = isLetter(c) ? 1 : 0;
  FOLD[c] = foldUnit(c);
}

const hashOf = (w: string): number => {
  let h = 0;
  for (let i = 0; i < w.length; i++) h = (Math.imul(h, 31) + foldUnit(w.charCodeAt(i))) | 0;
  return h;
};
/**
 * A 65,536-bit filter on the low bits of word hashes (8 KB, in the L1 cache): most words are
 * turned away by one load, before a Set lookup (`mayHold`, then the Set).
 */
function hashFilter(hashes: Iterable<number>): Uint32Array {
  const f = new Uint32Array(2048);
  for (const h of hashes) f[(h >>> 5) & 2047]! |= 1 << (h & 31);
  return f;
}
function mayHold(filter: Uint32Array, h: number): boolean {
  return (filter[(h >>> 5) & 2047]! & (1 << (h & 31))) !== 0;
}
const STREET_WORD_HASHES = new Set([...STREET_WORDS].map(hashOf));
/** Most words before a number are no street word. */
const STREET_WORD_FILTER = hashFilter(STREET_WORD_HASHES);
/** Street words abbreviated with a dot before the number: u. (utca), rkp. (rakpart), ul., al., str. */
const STREET_ABBREVS = new Set(['u', 'rkp', 'ul', 'al', 'str']);
const STREET_ABBREV_HASHES = new Set([...STREET_ABBREVS].map(hashOf));
/** Hashes of the folded keywords (cased ones too: the exact case is checked on a hit). */
const KEYWORD_HASHES = new Set(
  [...Object.keys(LOWER_KEYWORDS), ...Object.keys(CASED_KEYWORDS)].map(hashOf),
);
/** Most words of a text are no keyword (some 650 street types and cue words). */
const KEYWORD_FILTER = hashFilter(KEYWORD_HASHES);
const MAX_KEYWORD = 16;

function asciiLetters(u: Uint16Array, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = u[k]!;
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
  }
  return true;
}

/** `[@\w]` in a regex without the u flag: '@', an ASCII letter or digit, or '_'. */
function wordOrAt(c: number): boolean {
  return (
    c === 64 || c === 95 || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
  );
}

let memoText: string | undefined;
let memoScan: TextScan | undefined;

/** Scans `text` once (memoised for the last text). */
export function scanText(text: string): TextScan {
  if (text === memoText && memoScan) return memoScan;
  const runs: NumericRun[] = [];
  const keywords: Keyword[] = [];
  const caps: number[] = [];
  const capsEnd: number[] = [];
  const wordNumbers: number[] = [];
  const ats: number[] = [];
  const ibanStarts: number[] = [];
  let corsica = false;
  let anyDigit = false;
  let urlPath = false;
  let kinds = 0;
  let colons = 0;
  let ipv6Shape = false;
  let colonRun = 0;
  const n = text.length;
  // Reads past the end see zero units (`textUnits`), as `charCodeAt`'s NaN was.
  const u = textUnits(text);
  let i = 0;
  while (i < n) {
    const c = u[i]!;
    if (c >= 48 && c <= 57) {
      // A numeric run: digits joined by single separators.
      anyDigit = true;
      const start = i;
      let lastDigit = i;
      let digits = 0;
      let dots = 0;
      while (i < n) {
        const d = u[i]!;
        if (d >= 48 && d <= 57) {
          digits++;
          lastDigit = i;
        } else if (isRunSeparator(d)) {
          if (d === 46) dots++;
        } else {
          break;
        }
        i++;
      }
      // Runs of fewer than four digits hold nothing a recogniser looks for (the shortest, an
      // IPv4 address, has four): not stored, which halves the allocations on digit-heavy text.
      if (digits >= 4) runs.push({ start, end: lastDigit + 1, digits, dots });
      i = lastDigit + 1;
      continue;
    }
    if (LETTER[c] === 1) {
      const start = i;
      let h = 0;
      for (;;) {
        h = (Math.imul(h, 31) + FOLD[u[i]!]!) | 0;
        i++;
        if (i >= n) break;
        const e = u[i]!;
        if (LETTER[e] === 1) continue;
        // "lieu-dit", "rond-point": an inner hyphen followed by a letter stays in the word.
        if (e === 45 && i + 1 < n && LETTER[u[i + 1]!] === 1) continue;
        break;
      }
      // "FR76 3000 ...", "gb42nawi...": two letters right before a digit may open an IBAN.
      if (i - start >= 2 && i < n) {
        const d = u[i]!;
        if (d >= 48 && d <= 57) ibanStarts.push(i - 2);
      }
      // "2A", "2 B": a Corsican department inside a NIR.
      if ((c === 65 || c === 66 || c === 97 || c === 98) && start > 0) {
        const p = u[start - 1]!;
        const p2 = start > 1 ? u[start - 2]! : 0;
        if (p === 50 || ((p === 32 || p === 46) && p2 === 50)) corsica = true;
      }
      const len = i - start;
      if (u[i]! === 47 && len >= 2 && len <= 6 && start > 0 && u[start - 1]! === 46) {
        if (!urlPath && asciiLetters(u, start, i) && wordOrAt(u[i + 1]!)) urlPath = true;
      }
      const prev = start > 0 ? u[start - 1]! : 32;
      const capital = isUpperAt(text, start, c) && !(prev >= 48 && prev <= 57);
      if (capital) {
        caps.push(start);
        capsEnd.push(i);
      }
      let k = 0;
      if (len <= MAX_KEYWORD && mayHold(KEYWORD_FILTER, h) && KEYWORD_HASHES.has(h)) {
        const w = text.slice(start, i);
        k = (LOWER_KEYWORDS[w.toLowerCase()] ?? 0) | (CASED_KEYWORDS[w] ?? 0);
      }
      // "Koskikatu 25", "Ringvej 144": a one-word street name is followed by its number.
      if (i + 1 < n && u[i]! === 32 && u[i + 1]! >= 48 && u[i + 1]! <= 57) {
        const street =
          (len >= 4 &&
            STREET_SUFFIX_END_CHARS[u[i - 1]!] === 1 &&
            STREET_SUFFIX_ENDS.has((lowerUnit(u[i - 2]!) << 16) | lowerUnit(u[i - 1]!)) &&
            STREET_SUFFIX.test(text.slice(start, i).toLowerCase())) ||
          (mayHold(STREET_WORD_FILTER, h) &&
            STREET_WORD_HASHES.has(h) &&
            STREET_WORDS.has(text.slice(start, i).toLowerCase()));
        if (street) k |= KW.EN_STREET;
        if (capital || street) wordNumbers.push(start);
      } else if (
        // "Piroska u. 97", "Belgrád rkp. 18": an abbreviated street word before the number.
        i + 2 < n &&
        u[i]! === 46 &&
        u[i + 1]! === 32 &&
        u[i + 2]! >= 48 &&
        u[i + 2]! <= 57 &&
        STREET_ABBREV_HASHES.has(h) &&
        STREET_ABBREVS.has(text.slice(start, i).toLowerCase())
      ) {
        wordNumbers.push(start);
      }
      if (k !== 0) {
        keywords.push({ start, end: i, kinds: k });
        kinds |= k;
      }
      continue;
    }
    if (c === 58) {
      colons++;
      colonRun++;
      if (i > 0 && u[i - 1]! === 58) ipv6Shape = true;
      if (colonRun >= 6) ipv6Shape = true;
    } else if (c === 64) {
      ats.push(i);
    } else if (c !== 46 && !(c >= 97 && c <= 102) && !(c >= 65 && c <= 70) && c !== 37) {
      // Anything but hex letters, dots and zone '%' ends a colon cluster.
      if (c === 32 || c === 10 || c === 44 || c === 59) colonRun = 0;
    }
    i++;
  }
  memoText = text;
  memoScan = {
    runs,
    anyDigit,
    keywords,
    kinds,
    caps,
    capsEnd,
    wordNumbers,
    ibanStarts,
    corsica,
    urlPath,
    ats,
    colons,
    ipv6Shape,
  };
  return memoScan;
}
