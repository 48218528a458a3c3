import { CASE, KIND, lowerTable, shapeOf, type Tokens } from './tokens.ts';
import { FLAG, type WordFlags } from './word-flags.ts';

/*
 * The features the person-name model weighs for one token, as hashed indices (a feature is a
 * template number and a value, mixed into 32 bits; the model keeps the low bits). What they
 * describe: the word itself, its neighbours two either side, casing and shape (its own and its
 * neighbours'), prefixes and suffixes, what the word lists say of it and of its neighbours (first
 * name, surname, dictionary word, place, nationality, title ...), where it stands in its sentence,
 * and how the whole text is cased (all lower case, shouted, headline style, ordinary).
 *
 * Changing a template changes what every weight means: the model records FEATURES_VERSION and
 * refuses to load weights trained for another.
 */
export const FEATURES_VERSION = 5;

/** Upper bound of the features of one token. */
export const MAX_FEATURES = 176;

/** How a whole text is cased: some texts say nothing with their capitals. */
export const DOC_CASE = { LOWER: 0, SHOUTED: 1, HEADLINE: 2, ORDINARY: 3 } as const;

export function docCasing(tk: Tokens): number {
  // The counts are taken by the tokeniser, on its way.
  const words = tk.words;
  const upper = tk.upperWords;
  if (tk.capitalWords === 0) return DOC_CASE.LOWER;
  if (words >= 3 && upper * 2 > words) return DOC_CASE.SHOUTED;
  if (words >= 4 && (tk.titleWords + upper) * 10 >= words * 7) return DOC_CASE.HEADLINE;
  return DOC_CASE.ORDINARY;
}

/**
 * `docCasing`, and in bits 2-3 how much of the text the dictionaries know (under 30 %, 50 %,
 * 70 %, more): in a text in another language, or in slang, a capitalised word no list knows says
 * less than it does in English or French prose.
 */
export function docContext(tk: Tokens): number {
  const r = tk.words === 0 ? 1 : tk.knownWords / tk.words;
  const bucket = r < 0.3 ? 0 : r < 0.5 ? 1 : r < 0.7 ? 2 : 3;
  return docCasing(tk) | (bucket << 2);
}

/** Tokens that are never part of a name: the model skips them (and learns nothing from them). */
export function isCandidate(tk: Tokens, i: number): boolean {
  const kind = tk.kind[i]!;
  if ((kind !== KIND.WORD && kind !== KIND.HASHTAG) || tk.letters[i]! === 0) return false;
  if (kind === KIND.HASHTAG) return true;
  return candidateWord(tk.casing[i]!, tk.flags[i]!, tk.letters[i]!);
}

/** `isCandidate` of a word with letters, from its casing, flags and letter count. */
function candidateWord(c: number, f: number, letters: number): boolean {
  // A short word in capitals that no name list knows is an acronym ("TVA", "ISO", "NASA").
  if (c === CASE.UPPER) return letters > 4 || (f & (FLAG.FIRST | FLAG.LAST | FLAG.LISTED)) !== 0;
  if (c !== CASE.LOWER) return c !== CASE.NONE;
  // A lower-case stop word is never a name ("le", "du", "will"); a dictionary word is one only if
  // a name list knows it ("frank", "brandy").
  if ((f & FLAG.STOP) !== 0) return false;
  return (f & FLAG.COMMON) === 0 || (f & (FLAG.FIRST | FLAG.LAST | FLAG.FAMOUS)) !== 0;
}

/**
 * Fills the flags of every token from the word lists, and returns the first token the model
 * scores (`isCandidate`), or -1 when there is none: most texts end there, in the same pass.
 */
export function flagTokens(tk: Tokens, flags: WordFlags): number {
  let known = 0;
  let cues = 0;
  let first = -1;
  const { kind: K, hash: H, flags: F, letters: L, casing: C } = tk;
  for (let i = 0; i < tk.count; i++) {
    const k = K[i]!;
    if (k === KIND.WORD) {
      const f = flags.get(H[i]!);
      F[i] = f;
      const letters = L[i]!;
      if (letters > 0) {
        if ((f & (FLAG.COMMON | FLAG.STOP)) !== 0) known++;
        if (first < 0 && candidateWord(C[i]!, f, letters)) first = i;
      }
      if ((f & FLAG.TITLE) !== 0) cues++;
    } else if (k === KIND.HASHTAG) {
      F[i] = flags.get(H[i]!);
      // Only a hashtag in camel case may join a first name and a surname ("#SelenaGomez").
      if (C[i] === CASE.MIXED) cues++;
      if (first < 0 && L[i]! > 0) first = i;
    } else F[i] = 0;
  }
  tk.knownWords = known;
  tk.cues = cues;
  return first;
}

function mix(template: number, v: number): number {
  let h = Math.imul(template + 0x632be5ab, 0x85ebca6b) ^ v;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return h ^ (h >>> 16);
}

function mix2(template: number, a: number, b: number): number {
  return mix(template, Math.imul(a, 0x9e3779b1) ^ b);
}

/** What a neighbour is, as one value: its word hash, or its kind for links, numbers, handles. */
function valueAt(tk: Tokens, j: number): number {
  if (j < 0) return 0x5a17;
  if (j >= tk.count) return 0x3e2d;
  const k = tk.kind[j]!;
  if (k === KIND.WORD || k === KIND.PUNCT || k === KIND.HASHTAG) return tk.hash[j]!;
  return 0x1000 + k;
}

function clusterAt(tk: Tokens, j: number, clusters: WordFlags): number {
  if (j < 0) return 0x5a17;
  if (j >= tk.count) return 0x3e2d;
  const k = tk.kind[j]!;
  return k === KIND.WORD || k === KIND.HASHTAG ? clusters.get(tk.hash[j]!) : 0x1000 + k;
}

function casingAt(tk: Tokens, j: number): number {
  if (j < 0 || j >= tk.count) return 9;
  const k = tk.kind[j]!;
  return k === KIND.WORD || k === KIND.HASHTAG ? tk.casing[j]! : 10 + k;
}

function flagsAt(tk: Tokens, j: number): number {
  return j < 0 || j >= tk.count ? 0 : tk.flags[j]!;
}

/** A sentence starts here: first token, after . ! ? : or a line break, or after an opening quote. */
function sentenceStart(text: string, tk: Tokens, i: number): boolean {
  if (i === 0 || tk.newline[i]) return true;
  const p = i - 1;
  if (tk.kind[p] !== KIND.PUNCT && tk.kind[p] !== KIND.SYMBOL) return false;
  const c = text.charCodeAt(tk.end[p]! - 1);
  return c === 46 || c === 33 || c === 63 || c === 58 || c === 34 || c === 0x201c || c === 0x2026;
}

/** Length of `featureKey`. */
export const FEATURE_KEY_LENGTH = 23;

/**
 * Everything `tokenFeatures` reads of token `i` and its context, as integers, except the token's
 * own units (compared apart): two tokens with the same key and the same units have the same
 * features. Keep it in step with `tokenFeatures`: a value read there and missing here would let
 * two different tokens share their scores (test/redact/person-model.test.ts compares scoring
 * with and without the memo that uses it).
 */
export function featureKey(
  text: string,
  tk: Tokens,
  i: number,
  context: number,
  key: Int32Array,
): void {
  let q = 0;
  key[q++] = context;
  key[q++] = sentenceStart(text, tk, i) ? 1 : 0;
  key[q++] = tk.letters[i]!;
  for (let j = i - 2; j <= i + 2; j++) {
    if (j < 0 || j >= tk.count) {
      key[q++] = -1;
      key[q++] = 0;
      key[q++] = 0;
      key[q++] = 0;
      continue;
    }
    key[q++] = tk.kind[j]! | (tk.casing[j]! << 8);
    key[q++] = tk.hash[j]!;
    key[q++] = tk.flags[j]!;
    // Shapes are read for the token and its next neighbours only.
    key[q++] = j >= i - 1 && j <= i + 1 ? shapeOf(text, tk, j) : 0;
  }
}

function lengthBucket(n: number): number {
  return n <= 1 ? 0 : n === 2 ? 1 : n === 3 ? 2 : n <= 5 ? 3 : n <= 8 ? 4 : 5;
}

const NAMEISH =
  FLAG.FIRST | FLAG.LAST | FLAG.COMMON | FLAG.STOP | FLAG.PROPER | FLAG.LISTED | FLAG.FAMOUS;

/**
 * Writes the feature hashes of token `i` into `out` and returns how many. `context` is
 * `docContext(tk)`.
 */
export function tokenFeatures(
  text: string,
  tk: Tokens,
  i: number,
  context: number,
  out: Int32Array,
  flags: WordFlags,
  clusters?: WordFlags,
  vectors?: WordFlags,
): number {
  let n = 0;
  const docCase = context & 3;
  const known = context >> 2;
  const c0 = casingAt(tk, i);
  const f0 = tk.flags[i]!;
  const w0 = tk.hash[i]!;
  const cm1 = casingAt(tk, i - 1);
  const cp1 = casingAt(tk, i + 1);
  const fm1 = flagsAt(tk, i - 1);
  const fp1 = flagsAt(tk, i + 1);
  const vm1 = valueAt(tk, i - 1);
  const vp1 = valueAt(tk, i + 1);
  const start = sentenceStart(text, tk, i) ? 1 : 0;
  out[n++] = mix(0, 0);
  out[n++] = mix(1, w0);
  out[n++] = mix2(2, w0, c0);
  out[n++] = mix(3, vm1);
  out[n++] = mix(4, vp1);
  out[n++] = mix(5, valueAt(tk, i - 2));
  out[n++] = mix(6, valueAt(tk, i + 2));
  out[n++] = mix2(7, vm1, w0);
  out[n++] = mix2(8, w0, vp1);
  out[n++] = mix(9, c0);
  out[n++] = mix2(10, cm1, c0);
  out[n++] = mix2(11, c0, cp1);
  out[n++] = mix2(12, cm1 * 16 + c0, cp1);
  const sh = shapeOf(text, tk, i);
  out[n++] = mix(13, sh);
  out[n++] = mix2(14, sh, i > 0 ? shapeOf(text, tk, i - 1) : 1);
  out[n++] = mix2(15, sh, i + 1 < tk.count ? shapeOf(text, tk, i + 1) : 1);
  n = affixes(text, tk, i, out, n);
  // What the lists say: each flag with the casing, and the whole combination.
  for (let b = 0; b < 13; b++) {
    if (f0 & (1 << b)) out[n++] = mix2(30, b, c0);
    if (fm1 & (1 << b)) out[n++] = mix2(31, b, cm1);
    if (fp1 & (1 << b)) out[n++] = mix2(32, b, cp1);
  }
  out[n++] = mix2(33, f0, c0);
  out[n++] = mix2(34, fm1 & 0x1fff, f0);
  out[n++] = mix2(35, f0, fp1 & 0x1fff);
  out[n++] = mix(36, flagsAt(tk, i - 2) & FLAG.TITLE);
  out[n++] = mix2(37, start, c0);
  out[n++] = mix2(38, start * 8192 + (f0 & NAMEISH), c0);
  out[n++] = mix2(39, docCase, c0);
  out[n++] = mix2(40, docCase * 8192 + (f0 & NAMEISH), c0);
  out[n++] = mix2(41, lengthBucket(tk.letters[i]!), c0);
  out[n++] = mix2(42, tk.kind[i]!, c0);
  out[n++] = mix2(43, docCase, cm1 * 16 + cp1);
  out[n++] = mix2(44, start, vp1);
  out[n++] = mix2(45, known, c0);
  out[n++] = mix2(46, known * 8192 + (f0 & NAMEISH), c0);
  // Character trigrams and four-grams of the word, with its edges ("^ga", "rc^", "^gar"): what
  // names of a language look like, for the names no list and no training text holds.
  const s = tk.start[i]! + (tk.kind[i] === KIND.HASHTAG ? 1 : 0);
  const e = tk.end[i]!;
  if (e - s >= 3 && e - s <= 24) {
    const low = lowerTable();
    let a0 = 94;
    let a1 = 94;
    let a2 = low[text.charCodeAt(s)]!;
    let stretched = 0;
    for (let j = s + 1; j <= e; j++) {
      const a3 = j < e ? low[text.charCodeAt(j)]! : 94;
      if (a1 === a2 && a2 === a3) stretched = 1;
      out[n++] = mix(50, (a1 * 65599 + a2) * 65599 + a3);
      if (j > s + 1) out[n++] = mix2(52, a0, (a1 * 65599 + a2) * 65599 + a3);
      a0 = a1;
      a1 = a2;
      a2 = a3;
    }
    // A letter three times over is a word stretched for emphasis ("YESSSS", "sooo"), seldom a name.
    if (stretched) out[n++] = mix2(53, stretched, c0);
  }
  if (clusters) {
    // Word classes learnt from unlabelled text (src/redact/train/clusters.ts), 0 for none.
    const k0 = clusters.get(w0);
    const km1 = clusterAt(tk, i - 1, clusters);
    const kp1 = clusterAt(tk, i + 1, clusters);
    out[n++] = mix2(54, k0, c0);
    out[n++] = mix(55, km1);
    out[n++] = mix(56, kp1);
    out[n++] = mix2(57, km1, k0);
    out[n++] = mix2(58, k0, kp1);
    out[n++] = mix2(59, km1 * 16 + c0, clusterAt(tk, i - 2, clusters));
  }
  if (vectors) n = vectorFeatures(tk, i, c0, cm1, vectors, out, n);
  if (
    tk.kind[i] === KIND.HASHTAG ||
    (c0 === CASE.LOWER && (f0 & (FLAG.COMMON | FLAG.FIRST | FLAG.LAST)) === 0)
  ) {
    const split = joinedName(text, s, e, flags);
    if (split !== 0) out[n++] = mix2(51, split, tk.kind[i]!);
  }
  return n;
}

/** A word's name likeness + 1 (0 for a word without), or a value per kind of other token. */
function likenessAt(tk: Tokens, j: number, vectors: WordFlags): number {
  if (j < 0 || j >= tk.count) return 99;
  const k = tk.kind[j]!;
  return k === KIND.WORD || k === KIND.HASHTAG ? vectors.get(tk.hash[j]!) >>> 24 : 50 + k;
}

/**
 * The classes of the word and its neighbours from word vectors (`vector-classes.ts`; fine class
 * in the low 16 bits, coarse above, 0 for a word without one): the word's fine class, alone and
 * with its casing, its coarse class with its casing, the neighbours' fine and coarse classes, and
 * the coarse pairs; and how much the word and its neighbours look like names. Learnt from two billion words of Wikipedia and news, they place words that no
 * list and no training text holds ("fassbender" among actors, "walcott" among footballers).
 */
function vectorFeatures(
  tk: Tokens,
  i: number,
  c0: number,
  cm1: number,
  vectors: WordFlags,
  out: Int32Array,
  n: number,
): number {
  const v0 = clusterAt(tk, i, vectors);
  const vm1 = clusterAt(tk, i - 1, vectors);
  const vp1 = clusterAt(tk, i + 1, vectors);
  const f0 = v0 & 0xffff;
  const g0 = (v0 >>> 16) & 0xff;
  const gm1 = (vm1 >>> 16) & 0xff;
  const gp1 = (vp1 >>> 16) & 0xff;
  out[n++] = mix2(60, f0, c0);
  out[n++] = mix2(61, g0, c0);
  out[n++] = mix(62, f0);
  out[n++] = mix(63, gm1);
  out[n++] = mix(64, gp1);
  out[n++] = mix2(65, gm1, g0);
  out[n++] = mix2(66, g0, gp1);
  out[n++] = mix(67, vm1 & 0xffff);
  out[n++] = mix(68, vp1 & 0xffff);
  out[n++] = mix2(69, cm1, f0);
  const l0 = likenessAt(tk, i, vectors);
  out[n++] = mix2(70, l0, c0);
  out[n++] = mix2(71, likenessAt(tk, i - 1, vectors), l0);
  out[n++] = mix2(72, l0, likenessAt(tk, i + 1, vectors));
  return n;
}

/**
 * Hashes of the word's first 1-3 and last 1-4 lower-cased units (a hashtag's without its '#'),
 * computed only for the tokens the model scores.
 */
function affixes(text: string, tk: Tokens, i: number, out: Int32Array, n: number): number {
  const k = tk.kind[i];
  const s = tk.start[i]! + (k === KIND.HASHTAG || k === KIND.HANDLE ? 1 : 0);
  const e = tk.end[i]!;
  // Prefixes of 1-3 units, each the one before plus a unit (a word shorter than 3 repeats itself).
  const low = lowerTable();
  let h = 0x811c9dc5;
  for (let p = 1; p <= 3; p++) {
    if (s + p <= e) h = Math.imul(h ^ low[text.charCodeAt(s + p - 1)]!, 0x01000193);
    out[n++] = mix(15 + p, h | 0);
  }
  for (let q = 1; q <= 4; q++) out[n++] = mix(18 + q, rangeHash(text, Math.max(s, e - q), e));
  return n;
}

function rangeHash(text: string, from: number, to: number): number {
  const low = lowerTable();
  let h = 0x811c9dc5;
  for (let j = from; j < to; j++) h = Math.imul(h ^ low[text.charCodeAt(j)]!, 0x01000193);
  return h | 0;
}

/**
 * A name written as one word ("#EltonJohn", "#marksanchez", "richardfortey"): 1 when it splits
 * at a capital into a first name and a listed name, 2 when it splits anywhere into a first and a
 * last name, 0 otherwise. Only hashtags and unknown lower-case words are tried.
 */
function joinedName(text: string, s: number, e: number, flags: WordFlags): number {
  const len = e - s;
  if (len < 6 || len > 30) return 0;
  const names = FLAG.FIRST | FLAG.LAST;
  for (let k = s + 2; k < e - 2; k++) {
    const c = text.charCodeAt(k);
    if (c >= 65 && c <= 90) {
      if (
        (flags.get(rangeHash(text, s, k)) & FLAG.FIRST) !== 0 &&
        (flags.get(rangeHash(text, k, e)) & names) !== 0
      )
        return 1;
    }
  }
  for (let k = s + 3; k <= e - 3; k++) {
    if (
      (flags.get(rangeHash(text, s, k)) & FLAG.FIRST) !== 0 &&
      (flags.get(rangeHash(text, k, e)) & FLAG.LAST) !== 0
    )
      return 2;
  }
  return 0;
}
