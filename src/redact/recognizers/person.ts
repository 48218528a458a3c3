import { countryNames } from '../names/countries.ts';
import { type NameLexicon, nameLexicon } from '../names/lexicon.ts';
import { scanText, type TextScan } from '../scan.ts';
import type { PiiSpan } from '../types.ts';
import { lowerWords } from './lower-words.ts';
import type { Recognizer } from './recognizer.ts';

/*
 * Person names in French and English text, from name lists and the shape of the text around them:
 * a run of capitalised words ("Rémi Foliet", "JALONNET Christine", "Julieta S. Almeida") is a name
 * when a title announces it (Dr, Mme, Mr ...) or when it holds a first or last name from the
 * lexicon and nothing in it is an ordinary word. A single word is a name only when it is a first
 * name that is not also a common word ("Christine" yes, "Rose" no).
 */

/** A capitalised word (incl. ALL CAPS, hyphenated and apostrophe forms) or an initial ("J.", "J.-L."). */
const TOKEN = /\p{Lu}(?:\.-?\p{Lu}\.?|\.)?(?:[\p{L}\p{M}]|['’-]\p{L})*\.?/gu;
const TITLES = new Set([
  'dr',
  'dr.',
  'docteur',
  'doctor',
  'pr',
  'pr.',
  'prof',
  'prof.',
  'professeur',
  'professor',
  'm',
  'm.',
  'mme',
  'mme.',
  'mlle',
  'mlle.',
  'monsieur',
  'madame',
  'mademoiselle',
  'mr',
  'mr.',
  'mrs',
  'mrs.',
  'ms',
  'ms.',
  'miss',
  'sir',
  'lady',
  'interne',
  'patient',
  'patiente',
  'père',
  'mère',
  'maître',
  'me',
  'dear',
  'cher',
  'chère',
]);
/** Lower-case words that can stand before a name and announce it (exported for the tests). */
export const TITLE_BEFORE =
  /(?:(?:^|[\s(|:,;])(?:dr|docteur|pr|professeur|m|mme|mlle|monsieur|madame|mr|mrs|ms|miss|interne|patiente?|par|avec|chez|épouse|époux|née?|fils|fille|dear|hi|hello|bonjour|merci|thanks)\.?|\bname(?: is|:|\?)|\bnom ?:|\bm'appelle|\bI'm|\bI am|\bcalled|\bcalls? me|\bnamed(?: him| her)?)\s*$/iu;
/** Words after which capitalised words name a place, a law or an institution, not a person. */
export const NOT_A_PERSON_BEFORE =
  /(?:h[ôo]pital|chu|clinique|institut|centre|lyc[ée]e|coll[èe]ge|[ée]cole|fondation|universit[ée]|mus[ée]e|stade|gare|rue|avenue|av\.|boulevard|bd|place|all[ée]e|quai|impasse|chemin|square|cours|loi|d[ée]cret|prix|syndrome|maladie|street|road|avenue|hospital|university|school|college)\s*$/iu;

/** Cities and regions that are also first names in the lists: never a name on their own. */
const PLACES = new Set([
  'paris',
  'london',
  'florence',
  'victoria',
  'sydney',
  'austin',
  'dallas',
  'orlando',
  'lorraine',
  'nancy',
  'lyon',
  'lille',
  'nice',
  'vienne',
  'valence',
  'adelaide',
  'georgia',
  'virginia',
  'carolina',
  'chelsea',
  'jordan',
  'israel',
  'india',
  'china',
  'france',
  'chad',
  'salvador',
]);
/** A place that is never a name on its own: the list above, or a country ("Spain", "Estonia"). */
function isPlace(w: string): boolean {
  return PLACES.has(w) || countryNames().has(w);
}
const PARTICLES = new Set([
  'de',
  'du',
  'des',
  'da',
  'das',
  'do',
  'dos',
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
]);
const MAX_TOKENS = 6;
/** Cheap superset of TITLE_BEFORE for the fast path. */
export const TITLE_CUE =
  /(?:dr|pr|m|mme|mlle|ur|me|mr|mrs|ms|ss|ne|ee|ie|te|is|ar|ez|ec|es|lo|ci|ks|am|'m|ed|om|im|er|\.|:|\?)\s*$/i;
const PARTICLE_GAP =
  /^ (?:(?:de|du|des|da|das|do|dos|di|del|della|van|von|der|den|le|la|ter|bin|ben|al|el) ){1,2}$/;

interface Token {
  start: number;
  end: number;
  word: string;
  lower: string;
}

function isInitial(t: Token): boolean {
  return /^\p{Lu}(?:\.-?\p{Lu})*\.?$/u.test(t.word) && t.word.replace(/[.-]/g, '').length <= 3;
}
function isAllCaps(t: Token): boolean {
  return t.word.length >= 2 && t.word === t.word.toUpperCase() && /\p{Lu}{2}/u.test(t.word);
}

/**
 * A dictionary word, inflections included: Hunspell lists stems, so "stripes", "killed" and
 * "singing" are common because "stripe", "kill" and "sing" are.
 */
function isCommon(lex: NameLexicon, w: string): boolean {
  const d = lex.commonWords;
  if (d.has(w) || lex.stopwords.has(w)) return true;
  if (w.endsWith('s') && d.has(w.slice(0, -1))) return true;
  // Longer inflections only on longer words, and "-es" only after a sibilant ("boxes", not
  // "James" from "jam").
  if (w.length < 6) return false;
  if (/(?:[sxz]|[cs]h)es$/.test(w) && d.has(w.slice(0, -2))) return true;
  if (w.endsWith('ed') && (d.has(w.slice(0, -2)) || d.has(w.slice(0, -1)))) return true;
  if (w.endsWith('ing') && (d.has(w.slice(0, -3)) || d.has(`${w.slice(0, -3)}e`))) return true;
  return false;
}

/** What joins the parts of a compound first name. */
const NAME_JOINER = /[-'’]/;

function classify(lex: NameLexicon, t: Token) {
  const bare = t.lower.endsWith('.') ? t.lower.slice(0, -1) : t.lower;
  // Split only a compound ("jean-pierre", "o'neil"): a plain word is its own only part.
  const first =
    lex.firstNames.has(bare) ||
    (NAME_JOINER.test(bare) && bare.split(NAME_JOINER).every((p) => lex.firstNames.has(p)));
  const last = lex.lastNames.has(bare);
  // Hunspell lists stems: "stripes" is common because "stripe" is.
  const common = isCommon(lex, bare);
  const stop = lex.stopwords.has(bare) || TITLES.has(t.lower);
  return { first, last, common, stop, initial: isInitial(t), caps: isAllCaps(t), bare };
}

/** TOKEN, anchored: tried only where the shared scan saw a capitalised word start. */
const TOKEN_AT = new RegExp(TOKEN.source, 'uy');

/** Runs of tokens separated by exactly one space (a line break ends a name). */
function chains(text: string, caps: readonly number[]): Token[][] {
  const out: Token[][] = [];
  let cur: Token[] = [];
  let consumed = 0;
  for (const at of caps) {
    if (at < consumed) continue;
    TOKEN_AT.lastIndex = at;
    const m = TOKEN_AT.exec(text);
    if (!m) continue;
    consumed = at + m[0].length;
    // "Yefremova's": the possessive is not part of the name.
    const word = m[0].replace(/['’]s$/u, '');
    const t: Token = {
      start: at,
      end: at + word.length,
      word,
      lower: word.toLowerCase(),
    };
    const prev = cur[cur.length - 1];
    const gap = prev ? text.slice(prev.end, t.start) : '';
    // One space, nothing after an initial ("M.RAFANA"), or a particle ("Etienne de la Boétie").
    // A word ending a sentence ("Norway. Producer Liviana ...") ends the run; an initial or a
    // title with its dot does not.
    const sentenceEnd =
      prev?.word.endsWith('.') === true && !isInitial(prev) && !TITLES.has(prev.lower);
    if (
      prev &&
      !sentenceEnd &&
      (gap === ' ' || (gap === '' && prev.word.endsWith('.')) || PARTICLE_GAP.test(gap))
    ) {
      cur.push(t);
    } else {
      if (cur.length > 0) out.push(cur);
      cur = [t];
    }
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * `re` (of the form `(?:alternatives)\s*$`) rewritten as `$(?<=(?:alternatives)\s*)`: the same
 * answer for every input. Why: as written, the engine tries the whole alternation from every
 * position of the window; anchored at the end with a look-behind, it runs it once, backwards. On
 * a 12-20 character window: 0.39 µs -> 0.03 µs per test; these cue tests were the largest single
 * cost of the person recogniser on prose and on the evaluation documents. A test checks the
 * answers against the regexes as written.
 */
function anchoredAtEnd(re: RegExp): RegExp {
  if (!re.source.endsWith('\\s*$')) throw new Error(`not an end-anchored cue: ${re.source}`);
  return new RegExp(`$(?<=${re.source.slice(0, -1)})`, re.flags);
}
const TITLE_BEFORE_AT_END = anchoredAtEnd(TITLE_BEFORE);
const TITLE_CUE_AT_END = anchoredAtEnd(TITLE_CUE);
const NOT_A_PERSON_BEFORE_AT_END = anchoredAtEnd(NOT_A_PERSON_BEFORE);

/** TITLE_BEFORE, TITLE_CUE and NOT_A_PERSON_BEFORE on their windows before `i`. */
export function titleBefore(text: string, i: number): boolean {
  return TITLE_BEFORE_AT_END.test(text.slice(Math.max(0, i - 20), i));
}
export function cueBefore(text: string, i: number): boolean {
  return TITLE_CUE_AT_END.test(text.slice(Math.max(0, i - 12), i));
}
export function placeWordBefore(text: string, i: number): boolean {
  return NOT_A_PERSON_BEFORE_AT_END.test(text.slice(Math.max(0, i - 12), i));
}

/** The last non-space character before `i` may end a title or cue ("Dr ", "M. ", "nom : "). */
function mayFollowCue(text: string, i: number): boolean {
  let k = i - 1;
  while (k >= 0 && text.charCodeAt(k) === 32) k--;
  if (k < 0) return false;
  const c = text.charCodeAt(k);
  return (
    c === 46 ||
    c === 58 ||
    c === 39 ||
    c === 63 ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c >= 0xc0
  );
}

/** Two capitalised words belong to one run: one space, an initial's dot, an apostrophe, particles. */
function linked(text: string, end: number, next: number): boolean {
  const gap = next - end;
  if (gap === 1) {
    const c = text.charCodeAt(end);
    return c === 32 || c === 46 || c === 39 || c === 0x2019 || c === 45;
  }
  // "Mr. Spears", "S. Almeida": an abbreviation's dot and a space.
  if (gap === 2 && text.charCodeAt(end) === 46 && text.charCodeAt(end + 1) === 32) return true;
  return gap > 3 && gap <= 13 && PARTICLE_GAP.test(text.slice(end, next));
}

/**
 * The capitalised words worth tokenising: those next to another one, those a name list knows, and
 * those after a title cue. A lone "ISO" or "TVA" costs one set lookup, no regex.
 */
function candidateCaps(text: string, l: NameLexicon, caps: number[], ends: number[]): number[] {
  const keep: number[] = [];
  for (let k = 0; k < caps.length; k++) {
    const start = caps[k]!;
    const end = ends[k]!;
    if (
      (k > 0 && linked(text, ends[k - 1]!, start)) ||
      (k + 1 < caps.length && linked(text, end, caps[k + 1]!))
    ) {
      keep.push(start);
      continue;
    }
    // A lone word in capitals ("ISO", "TVA") is only a name after a title: no lookup.
    const second = text.charCodeAt(start + 1);
    const allCaps = end - start >= 2 && second >= 65 && second <= 90;
    const w = allCaps ? '' : text.slice(start, end).toLowerCase();
    if (
      (!allCaps && (l.firstNames.has(w) || l.lastNames.has(w))) ||
      text.charCodeAt(end) === 39 ||
      text.charCodeAt(end) === 0x2019 ||
      (mayFollowCue(text, start) && cueBefore(text, start))
    )
      keep.push(start);
  }
  return keep;
}

export function createPersonRecognizer(): Recognizer {
  let lex: NameLexicon | undefined;
  return {
    name: 'person',
    categories: ['PERSON'],
    mayMatch: (text) => scanText(text).caps.length > 0 || /\p{Ll}/u.test(text),
    find(text, out: PiiSpan[]) {
      lex ??= nameLexicon();
      const l = lex;
      const scan = scanText(text);
      if (scan.caps.length === 0) {
        lowerCaseNames(text, l, out);
        return;
      }
      const found: { start: number; end: number }[] = [];
      for (const chain of chains(text, candidateCaps(text, l, scan.caps, scan.capsEnd))) {
        // Fast path for the common case, a lone capitalised word that no list knows ("ISO", "TVA").
        if (chain.length === 1) {
          const w = chain[0]!.lower.replace(/\.$/, '');
          if (
            !l.firstNames.has(w) &&
            !l.lastNames.has(w) &&
            (!mayFollowCue(text, chain[0]!.start) || !cueBefore(text, chain[0]!.start))
          )
            continue;
        }
        let toks = chain.map((t) => ({ t, c: classify(l, t) }));
        // A title inside the run ("Docteur ROMAIN SPRITZ", "M.RAFANANENENA") announces a name.
        let titled = titleBefore(text, chain[0]!.start);
        // "M." is only a title at the start of a run ("Janka M. Szász" has a middle initial); the
        // others cut the run wherever they are ("RENDEZ-VOUS POUR MME VERONIQUE BONNET").
        let lastTitle = -1;
        toks.forEach((x, i) => {
          if (TITLES.has(x.t.lower) && (i === lastTitle + 1 || !/^m\.?$/.test(x.t.lower)))
            lastTitle = i;
        });
        if (placeWordBefore(text, chain[0]!.start)) continue;
        if (lastTitle >= 0 && lastTitle < toks.length - 1) {
          titled = true;
          toks = toks.slice(lastTitle + 1);
        } else if (lastTitle === toks.length - 1) {
          continue;
        }
        // Trim ordinary words at both ends ("Hello John Smith", "Merci Jean").
        const ordinary = (x: (typeof toks)[number]) =>
          x.c.stop || PARTICLES.has(x.t.word) || (x.c.common && !x.c.first && !x.c.last);
        // After a title ("Mr. Spears", "Dr Wells"), a capitalised word is the name, word or not.
        const titledByToken = lastTitle >= 0;
        while (
          toks.length > 0 &&
          (titledByToken
            ? (toks[0]!.c.stop && toks[0]!.t.word.length < 4) || PARTICLES.has(toks[0]!.t.word)
            : ordinary(toks[0]!))
        )
          toks.shift();
        // ... but "Zoe Young", "James Sparks": after a first name, a title-case word is a surname.
        const keepLast =
          toks.length >= 2 &&
          toks[toks.length - 2]!.c.first &&
          !toks[toks.length - 2]!.c.common &&
          !toks[toks.length - 1]!.c.caps &&
          !toks[toks.length - 1]!.c.stop &&
          !isPlace(toks[toks.length - 1]!.c.bare);
        const minKeep = keepLast ? 2 : titledByToken ? 1 : 0;
        while (toks.length > minKeep && ordinary(toks[toks.length - 1]!)) toks.pop();
        if (toks.length === 0) continue;
        if (toks.length > MAX_TOKENS) toks = toks.slice(0, MAX_TOKENS);
        const named = toks.some((x) => x.c.first || x.c.last);
        const plausible = toks.every(
          (x) =>
            x.c.first ||
            x.c.last ||
            x.c.initial ||
            x.c.caps ||
            !x.c.common ||
            PARTICLES.has(x.t.word),
        );
        let accept = false;
        // stopwords-iso lists "wells" and "young": only short function words veto a title.
        if (titledByToken) accept = !toks.some((x) => x.c.stop && x.t.word.length < 4);
        else if (titled) accept = plausible || named;
        else if (toks.length >= 2) {
          const lead = toks[0]!.c;
          const middleInitial =
            toks.length === 3 && toks[1]!.c.initial && !toks[0]!.c.initial && !toks[2]!.c.initial;
          accept =
            !toks.every((x) => x.c.initial) &&
            ((named && plausible) ||
              (lead.first && !lead.common && !toks.some((x) => x.c.stop)) ||
              (middleInitial &&
                !toks.some((x) => x.c.stop || (x.c.common && !x.c.first && !x.c.last))));
        } else {
          const c = toks[0]!.c;
          accept = (c.first || c.last) && !c.common && !c.caps && !c.initial && !isPlace(c.bare);
        }
        // Names no list holds ("Tomomi Nishiyama", "Ravil G Yefimov"): two or three title-case
        // words that no dictionary knows, with at most a middle initial.
        if (!accept && toks.length >= 2 && toks.length <= 3 && !titled) {
          accept = toks.every(
            (x, i) =>
              (x.c.initial && i > 0 && i < toks.length - 1) ||
              (!x.c.common &&
                !x.c.stop &&
                !x.c.caps &&
                !x.c.initial &&
                !isPlace(x.c.bare) &&
                !PARTICLES.has(x.t.word) &&
                x.t.word.length >= 3),
          );
        }
        if (!accept) continue;
        const first = toks[0]!.t;
        const last = toks[toks.length - 1]!.t;
        let end = last.end;
        // A trailing dot belongs to the name only when it ends an initial ("S.").
        if (text[end - 1] === '.' && !isInitial(last)) end--;
        out.push({ category: 'PERSON', start: first.start, end });
        found.push({ start: first.start, end });
      }
      if (found.length > 0) {
        coordinated(text, l, scan, found, out);
        repeated(text, l, scan, found, out);
      }
      subjects(text, l, scan, out);
      pairs(text, l, scan, out);
      speakers(text, l, scan, out);
    },
  };
}

const LOWER_CUE =
  /(?:\bname is|\bname:|\bcall me|\bcalls me|\bnamed|\bje m'appelle|\bje suis)\s+$/u;
const LOWER_CUE_ANYWHERE = /name is|name:|call me|calls me|named|je m'appelle|je suis/u;

/** "patricia's" → "patricia" (a check of two characters before any regex). */
function withoutPossessive(w: string): string {
  const n = w.length;
  if (n < 3 || w.charCodeAt(n - 1) !== 115) return w;
  const q = w.charCodeAt(n - 2);
  return q === 39 || q === 0x2019 ? w.slice(0, n - 2) : w;
}

/**
 * Text written all in lower case ("follow up with patricia desrosiers"): no capital to go by, so a
 * first name from the lists that is no dictionary word opens a name, and a following word that is
 * no dictionary word either (or an initial) continues it. Only for texts without any capital.
 */
function lowerCaseNames(text: string, l: NameLexicon, out: PiiSpan[]): void {
  const words = lowerWords(text);
  // Most texts hold no cue at all: one test for the text instead of one per word.
  const anyCue = LOWER_CUE_ANYWHERE.test(text);
  for (let i = 0; i < words.length; i++) {
    const m = words[i]!;
    const w = withoutPossessive(m.word);
    // "my name is vitoria", "people call me višeslav": the cue says what the next word is.
    const cued = anyCue && LOWER_CUE.test(text.slice(Math.max(0, m.index - 16), m.index));
    if (cued && w.length >= 3 && !l.stopwords.has(w)) {
      out.push({ category: 'PERSON', start: m.index, end: m.index + w.length });
      continue;
    }
    if (w.length < 3 || !l.firstNames.has(w) || isCommon(l, w) || isPlace(w)) continue;
    let end = m.index + w.length;
    let j = i + 1;
    // "eric g. samoylova": an initial between first and last name.
    const g = words[j];
    if (g && g.word.length === 1 && text.slice(end, g.index + 3) === ` ${g.word}. `) j++;
    const cand = words[j];
    const gap = cand ? text.slice(j > i + 1 ? words[i + 1]!.index + 2 : end, cand.index) : '';
    if (cand && gap === ' ') {
      const lw = withoutPossessive(cand.word);
      if (lw.length >= 3 && !isCommon(l, lw) && !isPlace(lw)) {
        end = cand.index + lw.length;
        i = j;
      }
    }
    out.push({ category: 'PERSON', start: m.index, end });
  }
}

/** Is this capitalised word (start..end) a plausible unknown name: not a word, not a place. */
function nameLike(text: string, l: NameLexicon, start: number, end: number): boolean {
  if (end - start < 3) return false;
  const second = text.charCodeAt(start + 1);
  if (second >= 65 && second <= 90) return false;
  const w = text.slice(start, end).toLowerCase();
  return !isCommon(l, w) && !isPlace(w) && !TITLES.has(w);
}

const LIST_SEP = /^(?:, |,? and |,? et |,? & )$/;

/**
 * Names in a list with a known one ("Abramovich and Wilson", "founders: Kónya, Becker and
 * Vasquez"): the single capitalised words joined to a found name by commas or "and" are names too.
 */
function coordinated(
  text: string,
  l: NameLexicon,
  scan: TextScan,
  found: { start: number; end: number }[],
  out: PiiSpan[],
): void {
  const { caps, capsEnd } = scan;
  const taken = new Set(found.map((f) => f.start));
  for (const f of found) {
    let k = caps.indexOf(f.start);
    if (k < 0) continue;
    // Forwards from the end of the name, then backwards from its start.
    let end = f.end;
    let j = k;
    while (j + 1 < caps.length && j - k < 8) {
      while (j + 1 < caps.length && caps[j + 1]! < end) j++;
      if (j + 1 >= caps.length) break;
      const next = caps[j + 1]!;
      if (!LIST_SEP.test(text.slice(end, next)) || !nameLike(text, l, next, capsEnd[j + 1]!)) break;
      if (!taken.has(next)) {
        taken.add(next);
        out.push({ category: 'PERSON', start: next, end: capsEnd[j + 1]! });
      }
      end = capsEnd[j + 1]!;
      j++;
    }
    let start = f.start;
    while (k > 0) {
      const prev = caps[k - 1]!;
      const prevEnd = capsEnd[k - 1]!;
      if (!LIST_SEP.test(text.slice(prevEnd, start)) || !nameLike(text, l, prev, prevEnd)) break;
      if (!taken.has(prev)) {
        taken.add(prev);
        out.push({ category: 'PERSON', start: prev, end: prevEnd });
      }
      start = prev;
      k--;
    }
  }
}

/**
 * Lists of surnames that no rule above takes on its own ("Usamov and Bowers", "Park and Mann"):
 * two or more single capitalised words joined by commas or "and", each a listed name or an
 * unknown word, at least one of them no dictionary word. "Black and White" stays.
 */
function pairs(text: string, l: NameLexicon, scan: TextScan, out: PiiSpan[]): void {
  const { caps, capsEnd } = scan;
  let k = 0;
  while (k < caps.length) {
    let j = k;
    while (j + 1 < caps.length && LIST_SEP.test(text.slice(capsEnd[j]!, caps[j + 1]!))) j++;
    if (j > k) {
      let unknown = 0;
      let ok = true;
      for (let i = k; i <= j && ok; i++) {
        const start = caps[i]!;
        const end = capsEnd[i]!;
        // Single words only: "Hawkins, Richardson and Santana" yes, "Big Three Killed" no.
        if (text.charCodeAt(end) === 32 && isUpperAt(text, end + 1)) ok = false;
        if (i === k && start > 1 && text.charCodeAt(start - 1) === 32 && isUpperAt(text, start - 2))
          ok = false;
        const w = text.slice(start, end).toLowerCase();
        if (isPlace(w) || l.stopwords.has(w)) ok = false;
        else if (nameLike(text, l, start, end)) unknown++;
        else if (!l.lastNames.has(w) && !l.firstNames.has(w)) ok = false;
      }
      if (ok && unknown > 0) {
        for (let i = k; i <= j; i++)
          out.push({ category: 'PERSON', start: caps[i]!, end: capsEnd[i]! });
      }
    }
    k = j + 1;
  }
}

function isUpperAt(text: string, i: number): boolean {
  if (i < 0 || i >= text.length) return false;
  const ch = text[i]!;
  return ch !== ch.toLowerCase();
}

/**
 * A name found once names the same person when its words come back alone ("directed by Joakim
 * Westgård and starring Westgård"): the other capitalised occurrences of its words are taken.
 */
function repeated(
  text: string,
  l: NameLexicon,
  scan: TextScan,
  found: { start: number; end: number }[],
  out: PiiSpan[],
): void {
  const words = new Set<string>();
  for (const f of found) {
    for (const w of text.slice(f.start, f.end).split(/[\s.]+/)) {
      if (w.length >= 3 && !isCommon(l, w.toLowerCase()) && !isPlace(w.toLowerCase())) words.add(w);
    }
  }
  if (words.size === 0) return;
  const { caps, capsEnd } = scan;
  for (let k = 0; k < caps.length; k++) {
    const start = caps[k]!;
    if (found.some((f) => start >= f.start && start < f.end)) continue;
    if (words.has(text.slice(start, capsEnd[k]!)))
      out.push({ category: 'PERSON', start, end: capsEnd[k]! });
  }
}

/** Verbs that take a person as subject, right after a sentence-initial name. */
const PERSON_VERB =
  /^ (?:is from|was born|spent|shouted|said|says|told|asked|lives|lived|works|worked|will be (?:talking|speaking)|is very|wrote|has been (?:working|living)|can always|a[ée]crit|a dit|habite|travaille)\b/u;

/**
 * A name no list holds, alone at the start of a sentence and followed by a verb only people take
 * ("Alvir spent a year at ...", "Shovda is very reliable"): the verb is the evidence.
 */
function subjects(text: string, l: NameLexicon, scan: TextScan, out: PiiSpan[]): void {
  const { caps, capsEnd } = scan;
  for (let k = 0; k < caps.length; k++) {
    const start = caps[k]!;
    const end = capsEnd[k]!;
    if (text.charCodeAt(end) !== 32) continue;
    const before = start === 0 ? '' : text.slice(Math.max(0, start - 2), start);
    if (start !== 0 && !/(?:[.!?] |\n)$/.test(before)) continue;
    if (!PERSON_VERB.test(text.slice(end, end + 26))) continue;
    if (nameLike(text, l, start, end)) out.push({ category: 'PERSON', start, end });
  }
}

/**
 * Speakers in a transcript ("Ubul: What a wife.\nNicole: Remember me"): a capitalised word that
 * opens a line and is followed by a colon, when two lines or more of the text do so.
 */
function speakers(text: string, l: NameLexicon, scan: TextScan, out: PiiSpan[]): void {
  const { caps, capsEnd } = scan;
  const hits: number[] = [];
  for (let k = 0; k < caps.length; k++) {
    const at = caps[k]!;
    const end = capsEnd[k]!;
    if (text.charCodeAt(end) !== 58 || (at > 0 && text.charCodeAt(at - 1) !== 10)) continue;
    if (nameLike(text, l, at, end)) hits.push(k);
  }
  if (hits.length < 2) return;
  for (const k of hits) out.push({ category: 'PERSON', start: caps[k]!, end: capsEnd[k]! });
}
