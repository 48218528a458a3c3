import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { EmissionMemo } from './emission-memo.ts';
import {
  docContext,
  FEATURES_VERSION,
  flagTokens,
  isCandidate,
  MAX_FEATURES,
  tokenFeatures,
} from './features.ts';
import { propagate } from './propagate.ts';
import { Tokens, tokenize } from './tokens.ts';
import { vectorClassTable } from './vector-classes.ts';
import { LABEL, LABELS, START_ROW, TRANSITION_ROWS, viterbi } from './viterbi.ts';
import { WordFlags, wordFlags } from './word-flags.ts';

/*
 * The trained person-name model: hashed feature weights (one signed byte per feature and label,
 * scaled by one factor) and label-transition weights, and the decoding that turns a text into
 * person spans. The file (`person-model.bin`, gzip) is written by `src/redact/train/` and loaded
 * once per process, on first use.
 *
 * Layout after gunzip: "VNER", format version (u8), features version (u8), hash bits (u8), labels
 * (u8), weight scale (f32 LE), person bias (f32 LE), transitions (TRANSITION_ROWS x LABELS f32
 * LE), weights ((1 << bits) x LABELS int8), word classes (u32 LE count, then per word its hash
 * (i32 LE) and class (u16 LE), by hash), the identity of the table of word classes from word
 * vectors the model weighs (u32 LE, `vector-classes.ts`; 0 for none).
 */

export const MODEL_FORMAT = 3;
const MAGIC = 'VNER';

export interface ModelParams {
  bits: number;
  /** Weight of feature f for label l at f * LABELS + l, already multiplied by `scale`. */
  weights: Int8Array | Float32Array;
  scale: number;
  trans: Float32Array;
  /** Added to the score of a person's first word: trades precision for recall at decoding. */
  personBias: number;
  /** Word classes learnt from unlabelled text: word hash to class. */
  clusters?: Map<number, number>;
  /**
   * The identity (`tableId`) of the table of word classes from word vectors (`vector-classes.ts`)
   * the model was trained with; absent when it weighs none.
   */
  vectorClasses?: number;
}

/** A lookup of word classes (class + 1; 0 for a word without one). */
export function clusterTable(clusters: Map<number, number>): WordFlags {
  const m = new Map<number, number>();
  for (const [h, c] of clusters) m.set(h, c + 1);
  return new WordFlags(m);
}

export interface Span {
  start: number;
  end: number;
}

export function encodeModel(p: ModelParams): Buffer {
  if (!(p.weights instanceof Int8Array)) throw new Error('encodeModel: weights must be quantised');
  const head = Buffer.alloc(4 + 4 + 8 + TRANSITION_ROWS * LABELS * 4);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt8(MODEL_FORMAT, 4);
  head.writeUInt8(FEATURES_VERSION, 5);
  head.writeUInt8(p.bits, 6);
  head.writeUInt8(LABELS, 7);
  head.writeFloatLE(p.scale, 8);
  head.writeFloatLE(p.personBias, 12);
  for (let i = 0; i < TRANSITION_ROWS * LABELS; i++) head.writeFloatLE(p.trans[i]!, 16 + i * 4);
  const words = [...(p.clusters ?? new Map<number, number>())].sort((a, b) => a[0] - b[0]);
  const tail = Buffer.alloc(4 + words.length * 6 + 4);
  tail.writeUInt32LE(words.length, 0);
  words.forEach(([h, c], i) => {
    tail.writeInt32LE(h, 4 + i * 6);
    tail.writeUInt16LE(c, 8 + i * 6);
  });
  tail.writeUInt32LE(p.vectorClasses ?? 0, 4 + words.length * 6);
  return Buffer.concat([
    head,
    Buffer.from(p.weights.buffer, p.weights.byteOffset, p.weights.byteLength),
    tail,
  ]);
}

export function decodeModel(raw: Uint8Array, file = 'person model'): ModelParams {
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (b.toString('latin1', 0, 4) !== MAGIC) throw new Error(`${file}: not a person-name model`);
  if (b.readUInt8(4) !== MODEL_FORMAT)
    throw new Error(`${file}: model format ${b.readUInt8(4)}, expected ${MODEL_FORMAT}`);
  if (b.readUInt8(5) !== FEATURES_VERSION) {
    throw new Error(
      `${file}: trained for features version ${b.readUInt8(5)}, this code computes ${FEATURES_VERSION}: retrain it`,
    );
  }
  const bits = b.readUInt8(6);
  if (b.readUInt8(7) !== LABELS)
    throw new Error(`${file}: ${b.readUInt8(7)} labels, expected ${LABELS}`);
  const scale = b.readFloatLE(8);
  const personBias = b.readFloatLE(12);
  const trans = new Float32Array(TRANSITION_ROWS * LABELS);
  for (let i = 0; i < trans.length; i++) trans[i] = b.readFloatLE(16 + i * 4);
  const off = 16 + trans.length * 4;
  const size = (1 << bits) * LABELS;
  if (b.length < off + size + 4)
    throw new Error(`${file}: truncated (${b.length} bytes, expected ${off + size + 4} at least)`);
  const weights = new Int8Array(size);
  weights.set(new Int8Array(b.buffer, b.byteOffset + off, size));
  const count = b.readUInt32LE(off + size);
  const end = off + size + 4 + count * 6 + 4;
  if (b.length !== end) throw new Error(`${file}: truncated (${b.length} bytes, expected ${end})`);
  const params: ModelParams = { bits, weights, scale, trans, personBias };
  const vectors = b.readUInt32LE(end - 4);
  if (vectors !== 0) params.vectorClasses = vectors;
  if (count > 0) {
    const clusters = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const at = off + size + 4 + i * 6;
      clusters.set(b.readInt32LE(at), b.readUInt16LE(at + 4));
    }
    params.clusters = clusters;
  }
  return params;
}

/** The shipped word classes from word vectors, when they are those the model was trained with. */
function vectorTable(id: number): WordFlags {
  const v = vectorClassTable();
  if (v.id !== id)
    throw new Error(
      'person model: trained with another table of word classes (src/redact/ner/vector-classes.bin): retrain it',
    );
  return v.table;
}

export const MODEL_FILE = new URL('./person-model.bin', import.meta.url);

let shipped: ModelParams | undefined;

/** The model shipped beside this file. */
export function shippedModel(): ModelParams {
  shipped ??= decodeModel(gunzipSync(readFileSync(MODEL_FILE)), 'src/redact/ner/person-model.bin');
  return shipped;
}

/**
 * Finds person names with a model. One instance per thread: it reuses its buffers between
 * texts.
 */
export class PersonTagger {
  readonly #p: ModelParams;
  readonly #flags: WordFlags;
  readonly #mask: number;
  readonly #clusters: WordFlags | undefined;
  readonly #vectors: WordFlags | undefined;
  readonly #tk = new Tokens();
  readonly #feats = new Int32Array(MAX_FEATURES);
  #emissions = new Float64Array(64 * LABELS);
  #memo: EmissionMemo | undefined = new EmissionMemo();
  #labels = new Uint8Array(64);

  constructor(params: ModelParams = shippedModel(), flags: WordFlags = wordFlags()) {
    this.#p = params;
    this.#flags = flags;
    this.#mask = (1 << params.bits) - 1;
    this.#clusters = params.clusters ? clusterTable(params.clusters) : undefined;
    this.#vectors = params.vectorClasses ? vectorTable(params.vectorClasses) : undefined;
  }

  get tokens(): Tokens {
    return this.#tk;
  }

  /** Person spans of `text`, in order (UTF-16 offsets). */
  find(text: string): Span[] {
    const found = this.findTokens(text);
    // Most texts: no name found, and no title or hashtag that could announce one.
    if (!this.propagate || (found.length === 0 && this.#tk.cues === 0)) return found;
    return propagate(text, this.#tk, found, this.#flags);
  }

  /** Whether scores of tokens seen again in the same context are reused (`emission-memo.ts`). */
  set memoise(on: boolean) {
    this.#memo = on ? (this.#memo ?? new EmissionMemo()) : undefined;
  }

  /** Whether `find` applies the text-wide rules (`propagate.ts`) after the model. */
  propagate = true;

  /** The model's own spans, before the text-wide rules. */
  findTokens(text: string, out: Span[] = []): Span[] {
    const tk = tokenize(text, this.#tk);
    let i = flagTokens(tk, this.#flags);
    if (i < 0) return out;
    const docCase = docContext(tk);
    while (i < tk.count) {
      if (!isCandidate(tk, i)) {
        i++;
        continue;
      }
      let j = i;
      while (j < tk.count && isCandidate(tk, j)) j++;
      this.#segment(text, tk, i, j, docCase, out);
      i = j;
    }
    return out;
  }

  #segment(text: string, tk: Tokens, from: number, to: number, docCase: number, out: Span[]): void {
    const n = to - from;
    if (this.#emissions.length < n * LABELS) {
      this.#emissions = new Float64Array(n * LABELS * 2);
      this.#labels = new Uint8Array(n * 2);
    }
    const { weights, scale, trans, personBias } = this.#p;
    const em = this.#emissions;
    const feats = this.#feats;
    const mask = this.#mask;
    const memo = this.#memo;
    for (let t = 0; t < n; t++) {
      const e = t * LABELS;
      if (memo?.find(text, tk, from + t, docCase, em, e)) continue;
      const k = tokenFeatures(
        text,
        tk,
        from + t,
        docCase,
        feats,
        this.#flags,
        this.#clusters,
        this.#vectors,
      );
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let s4 = 0;
      for (let q = 0; q < k; q++) {
        const base = (feats[q]! & mask) * LABELS;
        s0 += weights[base]!;
        s1 += weights[base + 1]!;
        s2 += weights[base + 2]!;
        s3 += weights[base + 3]!;
        s4 += weights[base + 4]!;
      }
      em[e] = s0 * scale;
      em[e + 1] = s1 * scale + personBias;
      em[e + 2] = s2 * scale;
      em[e + 3] = s3 * scale;
      em[e + 4] = s4 * scale;
      memo?.keep(text, em, e);
    }
    viterbi(em, n, trans, from === 0 ? START_ROW : LABEL.O, this.#labels);
    collectSpans(tk, from, n, this.#labels, out);
  }
}

/** Person spans from the labels of tokens `from` .. `from + n`. */
export function collectSpans(
  tk: Tokens,
  from: number,
  n: number,
  labels: Uint8Array,
  out: Span[],
): void {
  let open: Span | undefined;
  for (let t = 0; t < n; t++) {
    const l = labels[t]!;
    const i = from + t;
    if (l === LABEL.B_PER) {
      open = { start: tk.start[i]!, end: tk.end[i]! };
      out.push(open);
    } else if (l === LABEL.I_PER && open) {
      open.end = tk.end[i]!;
    } else {
      open = undefined;
    }
  }
}
