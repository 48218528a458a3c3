import { DOC_CASE, docCasing } from './features.ts';
import type { Span } from './person-model.ts';
import { CASE, KIND, type Tokens, wordHash } from './tokens.ts';
import { FLAG, STRONG_TITLE_WORDS, type WordFlags } from './word-flags.ts';

/*
 * What a text says about its names beyond one token's neighbourhood, applied after the model:
 * - a name found once is the same name when its words come back ("Nadal broke Djokovic's serve!
 *   Nadal has got this!");
 * - the items of a list with a name in it are names ("Walton, Hughes, Rea and Chicksen",
 *   "Mmes Thune, Westerberg et Jagander");
 * - a name split by particles is one name ("Jean de la Fontaine").
 * Only capitalised words that no list knows as an ordinary word, a place or a people qualify.
 */

const NOT_A_NAME =
  FLAG.COMMON | FLAG.STOP | FLAG.PLACE | FLAG.PEOPLE | FLAG.CALENDAR | FLAG.ORG | FLAG.TITLE;

function nameLike(tk: Tokens, i: number): boolean {
  if (tk.kind[i] !== KIND.WORD) return false;
  const c = tk.casing[i]!;
  if (c !== CASE.TITLE && c !== CASE.MIXED) return false;
  if (tk.letters[i]! < 2) return false;
  const f = tk.flags[i]!;
  return (
    (f & NOT_A_NAME) === 0 ||
    ((f & (FLAG.FIRST | FLAG.LAST)) !== 0 && (f & (FLAG.PLACE | FLAG.PEOPLE | FLAG.STOP)) === 0)
  );
}

/** Words that join the items of a list: "," "and" "et" "&" "und" "y" "e" "og" "och". */
function isListJoiner(text: string, tk: Tokens, i: number): boolean {
  const len = tk.end[i]! - tk.start[i]!;
  if (len > 3) return false;
  const w = text.slice(tk.start[i]!, tk.end[i]!).toLowerCase();
  return (
    w === ',' ||
    w === 'and' ||
    w === 'et' ||
    w === '&' ||
    w === 'und' ||
    w === 'y' ||
    w === 'e' ||
    w === 'og' ||
    w === 'och' ||
    w === 'en'
  );
}

/** Titles after which a capitalised word is a name whatever else it is ("Mme Rose"). */
const STRONG_TITLES = new Set(STRONG_TITLE_WORDS.map(wordHash));

const PARTICLES = new Set([
  'de',
  'du',
  'des',
  'da',
  'di',
  'del',
  'della',
  'van',
  'von',
  'der',
  'den',
  'le',
  'la',
  'ter',
  'bin',
  'ben',
  'al',
  'el',
  "d'",
]);

/** Words of a letter's salutation, not roles: "Cher Confrère", "Chère Madame". */
const SALUTATIONS = new Set(['cher', 'chère', 'chers', 'chères', 'dear'].map(wordHash));

/** Words that make a role of the title after them ("Vice President", "Prime Minister"). */
const ROLE_MODIFIERS = new Set(
  [
    'vice',
    'prime',
    'deputy',
    'chief',
    'foreign',
    'defence',
    'defense',
    'home',
    'first',
    'crown',
  ].map(wordHash),
);

/**
 * The first token of the capitalised role before the name at `i` ("President Obama", "Vice
 * President Joe Biden", "Prince Harry"), or `i` when there is none. Tweets' annotations, and
 * readers, take the role as part of the name: "President <PERSON>" says who it was. Civilities
 * ("M.", "Mme", "Dr") stay outside the name, as they do in court judgments.
 */
function roleBefore(tk: Tokens, i: number): number {
  let first = i;
  let j = i - 1;
  while (j >= 0 && i - j <= 3 && tk.end[j]! + 1 >= tk.start[j + 1]!) {
    const c = tk.casing[j]!;
    if (tk.kind[j] !== KIND.WORD || (c !== CASE.TITLE && c !== CASE.UPPER)) break;
    const role = (tk.flags[j]! & FLAG.TITLE) !== 0 && !STRONG_TITLES.has(tk.hash[j]!);
    if (!role && !(first < i && ROLE_MODIFIERS.has(tk.hash[j]!))) break;
    first = j;
    j--;
  }
  return first;
}

/**
 * A hashtag that is a first name and a surname (faker's or the long list's) joined, each
 * capitalised ("#SelenaGomez", "#AlanPardew"), neither a dictionary word: a name. Two parts exactly, so "#DemiLovatoWorldTour" and "#RoyalBaby" are not.
 */
function joinedNameTag(text: string, tk: Tokens, i: number, flags: WordFlags): boolean {
  const tag = text.slice(tk.start[i]! + 1, tk.end[i]!);
  const m = /^([A-Z][a-z]{1,14})([A-Z][a-z]{2,15})$/.exec(tag);
  if (!m) return false;
  const first = flags.get(wordHash(m[1]!.toLowerCase()));
  const last = flags.get(wordHash(m[2]!.toLowerCase()));
  const not = FLAG.COMMON | FLAG.PLACE | FLAG.PEOPLE | FLAG.ORG | FLAG.CALENDAR | FLAG.TITLE;
  return (
    (first & FLAG.FIRST) !== 0 &&
    (first & not) === 0 &&
    (last & (FLAG.LAST | FLAG.LISTED)) !== 0 &&
    (last & not) === 0
  );
}

/** `spans` (in text order) grown by the rules above, as a new list in text order. */
export function propagate(text: string, tk: Tokens, spans: Span[], flags?: WordFlags): Span[] {
  // Most texts: no name found, and no title or hashtag that could announce one.
  if (spans.length === 0 && tk.cues === 0) return spans;
  const inName = new Uint8Array(tk.count);
  let s = 0;
  for (let i = 0; i < tk.count; i++) {
    while (s < spans.length && spans[s]!.end <= tk.start[i]!) s++;
    if (s < spans.length && spans[s]!.start <= tk.start[i]!) inName[i] = 1;
  }
  if (flags) {
    for (let i = 0; i < tk.count; i++)
      if (!inName[i] && tk.kind[i] === KIND.HASHTAG && joinedNameTag(text, tk, i, flags))
        inName[i] = 1;
  }
  // A name announced by a title ("juge Westerberg", "M. Dupont", "Mme R. Silva", "Dr Wells"):
  // the capitalised words and initials after it.
  for (let i = 0; i + 1 < tk.count; i++) {
    if (!STRONG_TITLES.has(tk.hash[i]!)) continue;
    let j = i + 1;
    if (j < tk.count && text.charCodeAt(tk.start[j]!) === 46 && tk.end[j]! - tk.start[j]! === 1)
      j++;
    const first = j;
    while (j < tk.count && j - first < 7) {
      const c = tk.casing[j]!;
      if (c === CASE.INITIAL) {
        j++;
        if (j < tk.count && text.charCodeAt(tk.start[j]!) === 46 && tk.end[j]! - tk.start[j]! === 1)
          j++;
        continue;
      }
      // "Mme R. Silva de Lapuerta": particles between the words of the name.
      if (
        j > first &&
        j + 1 < tk.count &&
        tk.casing[j + 1] === CASE.TITLE &&
        PARTICLES.has(text.slice(tk.start[j]!, tk.end[j]!))
      ) {
        inName[j] = 1;
        j++;
        continue;
      }
      if (
        (c === CASE.TITLE || c === CASE.UPPER || c === CASE.MIXED) &&
        tk.kind[j] === KIND.WORD &&
        (tk.flags[j]! & (FLAG.TITLE | FLAG.PLACE | FLAG.PEOPLE | FLAG.ORG | FLAG.STOP)) === 0
      ) {
        inName[j] = 1;
        j++;
        continue;
      }
      break;
    }
    if (j > first) for (let k = first; k < j; k++) inName[k] = 1;
  }
  // A role before a capitalised word in ordinarily cased text ("le Président Macron", "Judge
  // Breyer"): the word is a name even when a dictionary knows it, unless the lists call it a
  // place, a people, an organisation or a role. Headlines and shouted text capitalise anything.
  if (docCasing(tk) === DOC_CASE.ORDINARY) {
    for (let i = 0; i + 1 < tk.count; i++) {
      if (
        (tk.flags[i]! & FLAG.TITLE) === 0 ||
        STRONG_TITLES.has(tk.hash[i]!) ||
        SALUTATIONS.has(tk.hash[i]!)
      )
        continue;
      const j = i + 1;
      if (
        inName[j] ||
        tk.kind[j] !== KIND.WORD ||
        tk.casing[j] !== CASE.TITLE ||
        tk.letters[j]! < 3 ||
        (tk.flags[j]! & (NOT_A_NAME & ~FLAG.COMMON)) !== 0
      )
        continue;
      inName[j] = 1;
    }
  }
  for (let i = 0; i < tk.count; i++) {
    if (!inName[i]) continue;
    const dotAfter =
      i + 2 < tk.count &&
      text.charCodeAt(tk.start[i + 1]!) === 46 &&
      tk.end[i + 1]! - tk.start[i + 1]! === 1;
    // "M." before a name is its title, not part of it.
    if (STRONG_TITLES.has(tk.hash[i]!) && (dotAfter ? inName[i + 2] : inName[i + 1])) {
      inName[i] = 0;
      // ... and so is its dot ("M. M. Szpunar": the second "M." too).
      if (dotAfter) inName[i + 1] = 0;
    }
    // The dot of an initial inside a name ("K. Lenaerts") is part of it.
    else if (tk.casing[i] === CASE.INITIAL && dotAfter && inName[i + 2]) inName[i + 1] = 1;
  }
  // Particles between two names ("Jean de la Fontaine").
  for (let i = 1; i < tk.count - 1; i++) {
    if (inName[i] || !inName[i - 1]) continue;
    let j = i;
    while (j < tk.count && j - i < 3 && PARTICLES.has(text.slice(tk.start[j]!, tk.end[j]!))) j++;
    if (j > i && j < tk.count && inName[j] && tk.casing[j] === CASE.TITLE)
      for (let k = i; k < j; k++) inName[k] = 1;
  }
  // Words of found names, for their later mentions.
  const words = new Set<number>();
  for (let i = 0; i < tk.count; i++)
    if (inName[i] && nameLike(tk, i) && tk.letters[i]! >= 3) words.add(tk.hash[i]!);
  let changed = true;
  for (let round = 0; changed && round < 3; round++) {
    changed = false;
    for (let i = 0; i < tk.count; i++) {
      if (inName[i] || !nameLike(tk, i)) continue;
      // A single word between list joiners next to a name.
      const prevName = i >= 2 && inName[i - 2] && isListJoiner(text, tk, i - 1);
      const nextName = i + 2 < tk.count && inName[i + 2] && isListJoiner(text, tk, i + 1);
      const single = !(i + 1 < tk.count && nameLike(tk, i + 1) && !inName[i + 1]);
      if (((prevName || nextName) && single) || (words.has(tk.hash[i]!) && tk.letters[i]! >= 3)) {
        inName[i] = 1;
        changed = true;
      }
    }
  }
  // A single word that the lists call a place, a people or an organisation, and no name list
  // knows, is not a person whatever its context ("Britain", "German", "Nike").
  for (let i = 0; i < tk.count; i++) {
    if (!inName[i] || (i > 0 && inName[i - 1]) || (i + 1 < tk.count && inName[i + 1])) continue;
    const f = tk.flags[i]!;
    if (
      (f & (FLAG.PLACE | FLAG.PEOPLE | FLAG.ORG)) !== 0 &&
      ((f & FLAG.ORG) !== 0 || (f & (FLAG.FIRST | FLAG.LAST)) === 0)
    )
      inName[i] = 0;
    // A capital letter alone, no dot after it, is the pronoun "I", the article "A", a grade: no
    // one's name on its own.
    else if (
      tk.casing[i] === CASE.INITIAL &&
      !(i + 1 < tk.count && text.charCodeAt(tk.start[i + 1]!) === 46)
    )
      inName[i] = 0;
  }
  const out: Span[] = [];
  for (let i = 0; i < tk.count; i++) {
    if (!inName[i]) continue;
    const start = tk.start[roleBefore(tk, i)]!;
    let end = tk.end[i]!;
    // Tokens of one name: adjacent, separated by a space or nothing.
    while (
      i + 1 < tk.count &&
      inName[i + 1] &&
      tk.start[i + 1]! - end <= 1 &&
      !isListJoiner(text, tk, i + 1)
    ) {
      i++;
      end = tk.end[i]!;
    }
    out.push({ start, end });
  }
  return out;
}
