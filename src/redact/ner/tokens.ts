/*
 * The person-name model's tokeniser: one pass over the UTF-16 units, no substring made. Each
 * token gets its offsets, a kind, a casing class, a hash of its lower-case form (FNV-1a over
 * lower-cased units) and a hash of its shape ("Xx", "X.", "xx-Xx"); the lexicon and the
 * features work from those integers only. Why integers: making a string per word to look it up
 * in a Set cost more than the rest of the recogniser on the redaction benchmark's text.
 */

import { textUnits } from '../text-units.ts';

/** What a token is. Only WORD and HASHTAG tokens can be (part of) a name. */
export const KIND = {
  WORD: 0,
  HASHTAG: 1,
  NUMBER: 2,
  PUNCT: 3,
  URL: 4,
  HANDLE: 5,
  SYMBOL: 6,
} as const;

/** Casing of a word's letters. */
export const CASE = {
  LOWER: 0,
  /** First letter upper, the others lower ("Paris", "O'Neil"). */
  TITLE: 1,
  /** Two letters or more, all upper ("NASA", "JOHN"). */
  UPPER: 2,
  /** Upper after lower somewhere ("McDonald", "JoJo", "iPhone"). */
  MIXED: 3,
  /** One upper-case letter alone ("J" of "J. Smith"). */
  INITIAL: 4,
  /** Letters without case (CJK, Arabic ...) or no letters at all. */
  NONE: 5,
} as const;

/** Character classes of the BMP, built once. */
const C_OTHER = 0;
const C_UPPER = 1;
const C_LOWER = 2;
const C_DIGIT = 3;
const C_MARK = 4;
const C_LETTER = 5; // a letter without case
const C_SPACE = 6;

let classes: Uint8Array | undefined;
let lowers: Uint16Array | undefined;
/** 1 for a unit that continues a word (letter, mark, digit), 2 for '_', 0 otherwise. */
let wordUnits: Uint8Array | undefined;
/** A unit's lower-case form, word class (as `wordUnits`) and class: lower << 5 | word << 3 | class. */
let packedUnits: Uint32Array | undefined;

function tables(): { cls: Uint8Array; low: Uint16Array; word: Uint8Array; packed: Uint32Array } {
  if (classes && lowers && wordUnits && packedUnits)
    return { cls: classes, low: lowers, word: wordUnits, packed: packedUnits };
  const cls = new Uint8Array(65536);
  const low = new Uint16Array(65536);
  const letter = /\p{L}/u;
  const mark = /\p{M}/u;
  const space = /\s/u;
  for (let c = 0; c < 65536; c++) {
    low[c] = c;
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const ch = String.fromCharCode(c);
    if (c >= 48 && c <= 57) cls[c] = C_DIGIT;
    else if (letter.test(ch)) {
      const l = ch.toLowerCase();
      const u = ch.toUpperCase();
      if (l.length === 1) low[c] = l.charCodeAt(0);
      cls[c] = l !== ch ? C_UPPER : u !== ch ? C_LOWER : C_LETTER;
    } else if (mark.test(ch)) cls[c] = C_MARK;
    else if (space.test(ch)) cls[c] = C_SPACE;
  }
  const word = new Uint8Array(65536);
  for (let c = 0; c < 65536; c++) if (isWordClass(cls[c]!)) word[c] = 1;
  word[95] = 2;
  const packed = new Uint32Array(65536);
  for (let c = 0; c < 65536; c++) packed[c] = (low[c]! << 5) | (word[c]! << 3) | cls[c]!;
  classes = cls;
  lowers = low;
  wordUnits = word;
  packedUnits = packed;
  return { cls, low, word, packed };
}

/** The tokens of one text, as parallel arrays (grown as needed, reused between texts). */
export class Tokens {
  count = 0;
  start = new Int32Array(64);
  end = new Int32Array(64);
  kind = new Uint8Array(64);
  casing = new Uint8Array(64);
  /** FNV-1a of the lower-cased token (a hashtag's without its '#'). */
  hash = new Int32Array(64);
  shape = new Int32Array(64);
  /** Lexicon flags, filled by the lexicon. */
  flags = new Int32Array(64);
  /** Letters in the token. */
  letters = new Int32Array(64);
  /** A line break between this token and the one before. */
  newline = new Uint8Array(64);
  /** Words with letters, and of those the ones in capitals, title case, or with any capital. */
  words = 0;
  /** Of the words, those a dictionary or a stop-word list knows (counted by `flagTokens`). */
  knownWords = 0;
  /** Titles and camel-case hashtags, which may announce a name (counted by `flagTokens`). */
  cues = 0;
  upperWords = 0;
  titleWords = 0;
  capitalWords = 0;

  grow(): void {
    const n = this.start.length * 2;
    const g32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    const g8 = (a: Uint8Array) => {
      const b = new Uint8Array(n);
      b.set(a);
      return b;
    };
    this.start = g32(this.start);
    this.end = g32(this.end);
    this.kind = g8(this.kind);
    this.casing = g8(this.casing);
    this.hash = g32(this.hash);
    this.shape = g32(this.shape);
    this.flags = g32(this.flags);
    this.letters = g32(this.letters);
    this.newline = g8(this.newline);
  }
}

const FNV = 0x811c9dc5;
const PRIME = 0x01000193;

/** The lower-case form of every BMP unit (itself when it has none). */
export function lowerTable(): Uint16Array {
  return tables().low;
}

/** `Tokens.shape` of a token whose shape no feature has asked for yet. */
const SHAPE_UNSET = 0x7fffffff;

/**
 * The shape hash of token `i` ("Xx", "X.", "xx-Xx": runs of one class collapsed, six at most),
 * computed on first use: only the tokens the model scores and their neighbours need it, and most
 * tokens of most texts are neither.
 */
export function shapeOf(text: string, tk: Tokens, i: number): number {
  const known = tk.shape[i]!;
  if (known !== SHAPE_UNSET) return known;
  const { cls } = tables();
  const start = tk.start[i]! + (tk.kind[i] === KIND.HASHTAG ? 1 : 0);
  let shape = FNV;
  let lastShape = -1;
  let shapeLen = 0;
  for (let j = start; j < tk.end[i]! && shapeLen < 6; j++) {
    const ch = text.charCodeAt(j);
    const cc = cls[ch]!;
    const s =
      cc === C_UPPER
        ? 88 // X
        : cc === C_LOWER
          ? 120 // x
          : cc === C_LETTER || cc === C_MARK
            ? 97 // a
            : cc === C_DIGIT
              ? 100 // d
              : ch;
    if (s !== lastShape) {
      shape = Math.imul(shape ^ s, PRIME);
      shapeLen++;
      lastShape = s;
    }
  }
  tk.shape[i] = shape;
  return shape;
}

/** FNV-1a of a string's lower-cased units, as the tokeniser hashes a word. */
export function wordHash(word: string): number {
  const { low } = tables();
  let h = FNV;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ low[word.charCodeAt(i)]!, PRIME);
  return h | 0;
}

function isWordClass(k: number): boolean {
  return k === C_UPPER || k === C_LOWER || k === C_DIGIT || k === C_MARK || k === C_LETTER;
}

/**
 * Where a link starting at `i` ends (the next space), or -1 when none starts there: "http://",
 * "https://" or "www.", in either case. Compared unit by unit: a word that starts with "h" or "w"
 * is common, and a substring per such word cost more than the comparison.
 */
function urlEnd(text: Uint16Array, n: number, i: number, cls: Uint8Array): number {
  const c = text[i]! | 0x20;
  let body = -1;
  if (c === 0x68 /* h */) {
    if (
      (text[i + 1]! | 0x20) === 0x74 &&
      (text[i + 2]! | 0x20) === 0x74 &&
      (text[i + 3]! | 0x20) === 0x70
    ) {
      const p = (text[i + 4]! | 0x20) === 0x73 ? i + 5 : i + 4;
      if (text[p]! === 0x3a && text[p + 1]! === 0x2f && text[p + 2]! === 0x2f) body = i + 7;
    }
  } else if (
    (text[i + 1]! | 0x20) === 0x77 &&
    (text[i + 2]! | 0x20) === 0x77 &&
    text[i + 3]! === 0x2e
  )
    body = i + 4;
  if (body < 0) return -1;
  let j = body;
  while (j < n && cls[text[j]!] !== C_SPACE) j++;
  return j;
}

/**
 * Splits `text` into `into` (reset first). A word is a run of letters, marks, digits and '_',
 * with inner apostrophes, hyphens and dots followed by a letter ("O'Neil", "Jean-Pierre", "J.-L");
 * a final "'s" is a token of its own; links, @handles and #hashtags are single tokens.
 *
 * Each token's kind is decided from its first unit's class, and each kind's units are walked
 * once, by a loop of its own: this runs on every text the redactor sees, most of it numbers and
 * punctuation on digit-heavy text.
 */
export function tokenize(source: string, into: Tokens): Tokens {
  const { cls, low, word, packed } = tables();
  into.count = 0;
  const n = source.length;
  // A read past the end sees zero units (`textUnits`), as `charCodeAt`'s NaN was.
  const text = textUnits(source);
  let i = 0;
  let t = 0;
  let words = 0;
  let upperWords = 0;
  let titleWords = 0;
  let capitalWords = 0;
  let sawNewline = 0;
  // The arrays in locals (taken again when they grow): this loop runs once per token of every
  // text the redactor sees.
  let S = into.start;
  let E = into.end;
  let K = into.kind;
  let NL = into.newline;
  let H = into.hash;
  let SH = into.shape;
  let L = into.letters;
  let C = into.casing;
  while (i < n) {
    const c = text[i]!;
    const v0 = packed[c]!;
    const k = v0 & 7;
    if (k === C_SPACE) {
      if (c === 10 || c === 13) sawNewline = 1;
      i++;
      continue;
    }
    if (t === S.length) {
      into.count = t;
      into.grow();
      S = into.start;
      E = into.end;
      K = into.kind;
      NL = into.newline;
      H = into.hash;
      SH = into.shape;
      L = into.letters;
      C = into.casing;
    }
    S[t] = i;
    NL[t] = sawNewline;
    sawNewline = 0;
    if ((v0 & 0x18) !== 0 && k === C_DIGIT) {
      // A number, with its inner separators ("12/05/2023", "3,45", "14:30", "0612-3456"): none
      // of it can be a name, and digit-heavy text is mostly such runs. Digits then letters
      // ("2nd", "3-a") stay one token too, as words do.
      let j = i + 1;
      for (;;) {
        while (j < n && word[text[j]!] !== 0) j++;
        if (j >= n) break;
        const s = text[j]!;
        if (s !== 39 && s !== 0x2019 && s !== 45 && s !== 46) break;
        if (
          (s === 39 || s === 0x2019) &&
          (text[j + 1]! | 0x20) === 0x73 &&
          !(j + 2 < n && word[text[j + 2]!] === 1)
        )
          break;
        if (word[text[j + 1]!] === 1 && cls[text[j + 1]!] !== C_DIGIT) {
          j += 2;
          continue;
        }
        if (s === 46 && text[j + 1]! === 45 && j + 2 < n && cls[text[j + 2]!] === C_UPPER) {
          j += 3;
          continue;
        }
        break;
      }
      while (j + 1 < n) {
        const s = text[j]!;
        if (s !== 46 && s !== 44 && s !== 58 && s !== 47 && s !== 45) break;
        if (cls[text[j + 1]!] !== C_DIGIT) break;
        j += 2;
        while (j < n && word[text[j]!] !== 0) j++;
      }
      // Numbers, links and handles are never names and their neighbours only see their kind.
      E[t] = j;
      K[t] = KIND.NUMBER;
      H[t] = 0;
      SH[t] = 0x2000 + KIND.NUMBER;
      L[t] = 0;
      C[t] = CASE.NONE;
      t++;
      i = j;
      continue;
    }
    if ((c | 0x20) === 0x68 || (c | 0x20) === 0x77) {
      const u = urlEnd(text, n, i, cls);
      if (u > 0) {
        E[t] = u;
        K[t] = KIND.URL;
        H[t] = 0;
        SH[t] = 0x2000 + KIND.URL;
        L[t] = 0;
        C[t] = CASE.NONE;
        t++;
        i = u;
        continue;
      }
    }
    let kind: number;
    let end: number;
    let h = FNV;
    let uppers = 0;
    let lowersN = 0;
    let others = 0;
    let upperAfterLower = false;
    let wordStart = i;
    if ((v0 & 0x18) === 0) {
      if ((c === 64 || c === 35) && i + 1 < n && word[text[i + 1]!] === 1) {
        // '@name' or '#tag'
        let j = i + 1;
        while (j < n && word[text[j]!] !== 0) j++;
        if (c === 64) {
          E[t] = j;
          K[t] = KIND.HANDLE;
          H[t] = 0;
          SH[t] = 0x2000 + KIND.HANDLE;
          L[t] = 0;
          C[t] = CASE.NONE;
          t++;
          i = j;
          continue;
        }
        // A hashtag: hash and casing of its word part, after '#'.
        kind = KIND.HASHTAG;
        end = j;
        wordStart = i + 1;
        for (let q = wordStart; q < end; q++) {
          const v = packed[text[q]!]!;
          h = Math.imul(h ^ (v >>> 5), PRIME);
          const cc = v & 7;
          if (cc === C_UPPER) {
            uppers++;
            if (lowersN > 0) upperAfterLower = true;
          } else if (cc === C_LOWER) lowersN++;
          else if (cc === C_LETTER || cc === C_MARK) others++;
        }
      } else {
        // Punctuation or a symbol: no letters, its hash is that of its units.
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
          // A surrogate pair; a lone high surrogate takes the next unit whatever it is, and that
          // unit's letter counts as the token's.
          kind = KIND.SYMBOL;
          end = i + 2;
          const v = packed[text[i + 1]!]!;
          h = Math.imul(Math.imul(h ^ low[c]!, PRIME) ^ (v >>> 5), PRIME);
          const cc = v & 7;
          if (cc === C_UPPER) uppers++;
          else if (cc === C_LOWER) lowersN++;
          else if (cc === C_LETTER || cc === C_MARK) others++;
        } else {
          // Runs of one punctuation mark ("...", "!!!") are one token.
          let j = i + 1;
          const lc = low[c]!;
          h = Math.imul(h ^ lc, PRIME);
          while (j < n && text[j]! === c) {
            h = Math.imul(h ^ lc, PRIME);
            j++;
          }
          E[t] = j;
          K[t] = k === C_OTHER && c < 128 ? KIND.PUNCT : KIND.SYMBOL;
          H[t] = h;
          SH[t] = SHAPE_UNSET;
          L[t] = 0;
          C[t] = CASE.NONE;
          t++;
          i = j;
          continue;
        }
      }
    } else {
      // A word: its hash and letter counts are taken while its end is sought (one pass).
      let j = i;
      for (;;) {
        while (j < n) {
          const v = packed[text[j]!]!;
          if ((v & 0x18) === 0) break;
          h = Math.imul(h ^ (v >>> 5), PRIME);
          const cc = v & 7;
          if (cc === C_UPPER) {
            uppers++;
            if (lowersN > 0) upperAfterLower = true;
          } else if (cc === C_LOWER) lowersN++;
          else if (cc === C_LETTER || cc === C_MARK) others++;
          j++;
        }
        if (j >= n) break;
        const s = text[j]!;
        if (s !== 39 && s !== 0x2019 && s !== 45 && s !== 46) break;
        // "'s" at the end is not part of the word.
        if (
          (s === 39 || s === 0x2019) &&
          (text[j + 1]! | 0x20) === 0x73 &&
          !(j + 2 < n && word[text[j + 2]!] === 1)
        )
          break;
        // An inner apostrophe, hyphen or dot before a letter ("O'Neil", "Jean-Pierre").
        if (word[text[j + 1]!] === 1 && cls[text[j + 1]!] !== C_DIGIT) {
          h = Math.imul(h ^ low[s]!, PRIME);
          j++;
          continue;
        }
        // "J.-L."
        if (s === 46 && text[j + 1]! === 45 && j + 2 < n && cls[text[j + 2]!] === C_UPPER) {
          h = Math.imul(Math.imul(h ^ 46, PRIME) ^ 45, PRIME);
          j += 2;
          continue;
        }
        break;
      }
      kind = KIND.WORD;
      end = j;
    }
    const letters = uppers + lowersN + others;
    E[t] = end;
    K[t] = kind;
    H[t] = h;
    SH[t] = SHAPE_UNSET;
    L[t] = letters;
    let casing: number = CASE.NONE;
    if (uppers + lowersN > 0) {
      if (uppers === 0) casing = CASE.LOWER;
      else if (lowersN === 0) casing = uppers === 1 && letters === 1 ? CASE.INITIAL : CASE.UPPER;
      else if (cls[text[wordStart]!] === C_UPPER && !upperAfterLower) casing = CASE.TITLE;
      else casing = CASE.MIXED;
    }
    C[t] = casing;
    t++;
    i = end;
    if (kind === KIND.WORD && letters > 0) {
      words++;
      if (casing === CASE.UPPER) upperWords++;
      else if (casing === CASE.TITLE) titleWords++;
      if (casing !== CASE.LOWER && casing !== CASE.NONE) capitalWords++;
    }
  }
  into.count = t;
  into.words = words;
  into.upperWords = upperWords;
  into.titleWords = titleWords;
  into.capitalWords = capitalWords;
  return into;
}
