import { KIND, Tokens, tokenize } from '../ner/tokens.ts';
import { textHash } from './corpus.ts';

/*
 * Word classes learnt from unlabelled text: the exchange algorithm (Kneser and Ney 1993; Martin,
 * Liermann and Ney 1998) puts each word in the class that best predicts the classes of its
 * neighbours, so words used alike ("thanks", "love", "congrats"; "says", "tells", "wants") share
 * a class. The model then weighs a word's class and its neighbours' classes beside the words
 * themselves: what it learnt of "with Kev" reaches "alongside Kev".
 *
 * Deterministic: words are visited by frequency, ties by hash; the same texts give the same
 * classes. Words seen fewer than `minCount` times get no class.
 */

export interface ClusterOptions {
  classes: number;
  minCount: number;
  passes: number;
}

export const CLUSTER_DEFAULTS: ClusterOptions = { classes: 128, minCount: 3, passes: 4 };

const xlogx = (x: number) => (x > 0 ? x * Math.log(x) : 0);

/** The last classes learnt, by texts and options: a test retrains twice from the same texts. */
let last: { key: string; clusters: Map<number, number> } | undefined;

/** Word hash (the tokeniser's) to class, for the words seen often enough. */
export function learnClusters(
  texts: readonly string[],
  o: ClusterOptions = CLUSTER_DEFAULTS,
): Map<number, number> {
  let h = 0x811c9dc5;
  for (const t of texts) h = Math.imul(h ^ textHash(t), 0x01000193);
  const key = `${o.classes}/${o.minCount}/${o.passes}/${texts.length}/${h >>> 0}`;
  if (last?.key === key) return new Map(last.clusters);
  const clusters = exchange(texts, o);
  last = { key, clusters };
  return new Map(clusters);
}

function exchange(texts: readonly string[], o: ClusterOptions): Map<number, number> {
  // The texts as sequences of word hashes; anything that is not a word breaks the sequence.
  const tk = new Tokens();
  const seqs: Int32Array[] = [];
  const counts = new Map<number, number>();
  for (const text of texts) {
    tokenize(text, tk);
    const seq: number[] = [];
    for (let i = 0; i < tk.count; i++) {
      const k = tk.kind[i]!;
      if ((k !== KIND.WORD && k !== KIND.HASHTAG) || tk.letters[i]! === 0) continue;
      const h = tk.hash[i]!;
      seq.push(h);
      counts.set(h, (counts.get(h) ?? 0) + 1);
    }
    if (seq.length > 1) seqs.push(Int32Array.from(seq));
  }
  const vocab = [...counts.entries()]
    .filter(([, n]) => n >= o.minCount)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const V = vocab.length;
  const id = new Map<number, number>();
  for (let i = 0; i < vocab.length; i++) id.set(vocab[i]![0], i);
  const C = o.classes;
  // Two fixed classes: rare words, and the edge of a text.
  const RARE = C;
  const EDGE = C + 1;
  const K = C + 2;
  // Every word's neighbours, as word ids (rare = -1, edge = -2), left and right.
  const left: number[][] = vocab.map(() => []);
  const right: number[][] = vocab.map(() => []);
  const self = new Float64Array(V);
  const freq = new Float64Array(V);
  const cls = new Int32Array(V);
  for (let w = 0; w < V; w++) cls[w] = w % C;
  const big = new Float64Array(K * K);
  const uni = new Float64Array(K);
  const classOf = (w: number) => (w === -1 ? RARE : w === -2 ? EDGE : cls[w]!);
  for (const seq of seqs) {
    const ids = Array.from(seq, (h) => id.get(h) ?? -1);
    for (let t = -1; t < ids.length; t++) {
      const a = t < 0 ? -2 : ids[t]!;
      const b = t + 1 < ids.length ? ids[t + 1]! : -2;
      big[classOf(a) * K + classOf(b)]! += 1;
      if (a >= 0 && a === b) self[a]! += 1;
      else {
        if (a >= 0) right[a]!.push(b);
        if (b >= 0) left[b]!.push(a);
      }
    }
    for (const w of ids) {
      uni[classOf(w)]! += 1;
      if (w >= 0) freq[w]! += 1;
    }
  }
  const L = new Float64Array(K);
  const R = new Float64Array(K);
  const touchedL: number[] = [];
  const touchedR: number[] = [];
  /** Adds (sign 1) or removes (-1) word w, with its neighbour counts L, R, in class c. */
  const move = (w: number, c: number, sign: number) => {
    for (const d of touchedR) big[c * K + d]! += sign * R[d]!;
    for (const e of touchedL) big[e * K + c]! += sign * L[e]!;
    big[c * K + c]! += sign * self[w]!;
    uni[c]! += sign * freq[w]!;
  };
  for (let pass = 0; pass < o.passes; pass++) {
    let moved = 0;
    for (let w = 0; w < V; w++) {
      for (const d of touchedR) R[d] = 0;
      for (const e of touchedL) L[e] = 0;
      touchedR.length = 0;
      touchedL.length = 0;
      for (const n of right[w]!) {
        const c = classOf(n);
        if (R[c] === 0) touchedR.push(c);
        R[c]! += 1;
      }
      for (const n of left[w]!) {
        const c = classOf(n);
        if (L[c] === 0) touchedL.push(c);
        L[c]! += 1;
      }
      const from = cls[w]!;
      move(w, from, -1);
      // The gain of putting w in class b: the cells of row b and column b that w's neighbours
      // touch, the diagonal cell once, and the class's count.
      let best = from;
      let bestGain = Number.NEGATIVE_INFINITY;
      for (let b = 0; b < C; b++) {
        let g = 0;
        for (const d of touchedR) {
          if (d === b) continue;
          const x = big[b * K + d]!;
          g += xlogx(x + R[d]!) - xlogx(x);
        }
        for (const e of touchedL) {
          if (e === b) continue;
          const x = big[e * K + b]!;
          g += xlogx(x + L[e]!) - xlogx(x);
        }
        const xbb = big[b * K + b]!;
        g += xlogx(xbb + R[b]! + L[b]! + self[w]!) - xlogx(xbb);
        g -= 2 * (xlogx(uni[b]! + freq[w]!) - xlogx(uni[b]!));
        if (g > bestGain + 1e-9) {
          bestGain = g;
          best = b;
        }
      }
      // The neighbours of w in class b include w itself when they are w's own class: counted
      // through `self` above, so R and L hold other words only.
      move(w, best, 1);
      if (best !== from) {
        cls[w] = best;
        moved++;
      }
    }
    if (moved === 0) break;
  }
  const out = new Map<number, number>();
  for (let w = 0; w < vocab.length; w++) out.set(vocab[w]![0], cls[w]!);
  return out;
}
