import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { decodeHashDeltas, encodeHashDeltas } from './hash-deltas.ts';
import { wordHash } from './tokens.ts';
import { WordFlags } from './word-flags.ts';

/*
 * The word classes derived from GloVe word vectors (`scripts/build-vector-classes.ts`,
 * `src/redact/train/vector-classes.ts`): for the 200,000 commonest words of Wikipedia and news
 * text, a fine class, a coarse class and how much the word looks like a name (0-7). Looked up by the tokeniser's word hash, so "Fassbender",
 * "fassbender" and "FASSBENDER" share theirs.
 *
 * File (`vector-classes.bin`, gzip): "VVEC", format (u8), 0 (u8), fine classes (u16 LE), coarse
 * classes (u16 LE), words (u32 LE), the tokeniser's hash of "vecteur" (i32 LE: a table made with
 * another word hash is refused), the coarse class of every fine class (u8 each), the words'
 * hashes as unsigned 32-bit integers in increasing order, each as its difference from the one
 * before in LEB128, then every word's fine class (u16 LE), then every word's name likeness (u8),
 * in the same order. Loaded once per
 * process, when the person model is first used.
 */

export const VECTOR_CLASSES_FILE = new URL('./vector-classes.bin', import.meta.url);

const MAGIC = 'VVEC';
const FORMAT = 2;
const PROBE = 'vecteur';

/** What `encodeVectorClasses` needs of the classes. */
export interface VectorClassTable {
  /** Fine class of every word. */
  fine: Uint16Array;
  coarseOfFine: Uint16Array;
  /** How much every word looks like a name, 0-7 (`nameLikeness`). */
  likeness: Uint8Array;
}

export function encodeVectorClasses(words: readonly string[], t: VectorClassTable): Buffer {
  const fineCount = t.coarseOfFine.length;
  const coarseCount = Math.max(...t.coarseOfFine) + 1;
  if (coarseCount > 255) throw new Error('vector classes: at most 255 coarse classes');
  const pairs = words.map((w, i) => [wordHash(w) >>> 0, t.fine[i]!, t.likeness[i]!] as const);
  // Two words of one hash: the commoner's class is kept (the sort is stable).
  pairs.sort((a, b) => a[0] - b[0]);
  const kept = pairs.filter((p, i) => i === 0 || p[0] !== pairs[i - 1]![0]);
  const head = Buffer.alloc(18 + fineCount);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt8(FORMAT, 4);
  head.writeUInt16LE(fineCount, 6);
  head.writeUInt16LE(coarseCount, 8);
  head.writeUInt32LE(kept.length, 10);
  head.writeInt32LE(wordHash(PROBE), 14);
  for (let c = 0; c < fineCount; c++) head.writeUInt8(t.coarseOfFine[c]!, 18 + c);
  const deltas = encodeHashDeltas(kept.map(([h]) => h));
  const classes = Buffer.alloc(kept.length * 3);
  kept.forEach(([, c, like], i) => {
    classes.writeUInt16LE(c, i * 2);
    classes.writeUInt8(like, kept.length * 2 + i);
  });
  return Buffer.concat([head, deltas, classes]);
}

/** FNV-1a of the table's bytes: the model records the table it was trained with. */
export function tableId(raw: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < raw.length; i++) h = Math.imul(h ^ raw[i]!, 0x01000193);
  return h >>> 0 || 1;
}

/**
 * Word hash to class: fine class + 1 in the low 16 bits, coarse class + 1 in the next 8, name
 * likeness + 1 in the top 8 (0: no class).
 */
export function decodeVectorClasses(raw: Uint8Array, file = 'vector classes'): WordFlags {
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (b.toString('latin1', 0, 4) !== MAGIC) throw new Error(`${file}: not a word-class table`);
  if (b.readUInt8(4) !== FORMAT) throw new Error(`${file}: format ${b.readUInt8(4)}`);
  const fineCount = b.readUInt16LE(6);
  const count = b.readUInt32LE(10);
  if (b.readInt32LE(14) !== wordHash(PROBE))
    throw new Error(`${file}: made with another word hash: regenerate it`);
  const at = 18 + fineCount;
  const coarse = b.subarray(18, at);
  const classAt = b.length - count * 3;
  const likeAt = b.length - count;
  if (classAt < at) throw new Error(`${file}: damaged`);
  return new WordFlags(count, (add) => {
    const end = decodeHashDeltas(b, at, count, classAt, file, (h, i) => {
      const fine = b[classAt + 2 * i]! | (b[classAt + 2 * i + 1]! << 8);
      add(h, ((b[likeAt + i]! + 1) << 24) | ((coarse[fine]! + 1) << 16) | (fine + 1));
    });
    if (end !== classAt) throw new Error(`${file}: damaged`);
  });
}

let shipped: { table: WordFlags; id: number } | undefined;

/** The shipped table and its identity (`tableId`), read on first use. */
export function vectorClassTable(): { table: WordFlags; id: number } {
  if (!shipped) {
    const raw = gunzipSync(readFileSync(VECTOR_CLASSES_FILE));
    shipped = {
      table: decodeVectorClasses(raw, 'src/redact/ner/vector-classes.bin'),
      id: tableId(raw),
    };
  }
  return shipped;
}
