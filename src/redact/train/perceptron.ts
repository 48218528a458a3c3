import {
  docContext,
  flagTokens,
  isCandidate,
  MAX_FEATURES,
  tokenFeatures,
} from '../ner/features.ts';
import type { ModelParams } from '../ner/person-model.ts';
import { Tokens, tokenize } from '../ner/tokens.ts';
import {
  allowed as allowedFrom,
  LABEL,
  LABELS,
  START_ROW,
  TRANSITION_ROWS,
  viterbi,
} from '../ner/viterbi.ts';
import type { WordFlags } from '../ner/word-flags.ts';
import type { LabelledDoc } from './corpus.ts';

/*
 * An averaged structured perceptron (Collins 2002) over the model's BIO labels: decode each
 * segment of candidate tokens with the current weights, and where the best path differs from the
 * gold labels, add the gold path's features and subtract the predicted path's. The averaged
 * weights (every weight's mean over all steps) are what is kept: they generalise much better
 * than the last ones. Deterministic: documents are visited in an order drawn from a seeded
 * generator, and nothing else is random.
 */

export interface TrainOptions {
  bits: number;
  epochs: number;
  seed: number;
  /** Added to a person's first-word score at decoding (the recall/precision knob). */
  personBias: number;
  /**
   * Share of the tokens whose own word (and word-with-neighbour) features are left out while
   * learning, so the model also learns what casing, context and the lists say: a name it has
   * never seen has only those.
   */
  dropWord?: number;
  /** How many perceptrons (different seeds) are trained and averaged. */
  runs?: number;
  /** The learner: the averaged perceptron (default) or a CRF by averaged gradient ascent. */
  learner?: 'perceptron' | 'crf';
  /** The CRF's step size. */
  rate?: number;
  /** Word classes learnt from the training texts (0: none). */
  clusters?: number;
  /** Whether the word classes from word vectors (`ner/vector-classes.ts`) are weighed. */
  vectorClasses?: boolean;
}

/** A document turned into what training needs: segments of candidate tokens, features, labels. */
interface Example {
  /** Per segment: its first candidate slot, its length, the transition row before it. */
  segments: Int32Array;
  /** Feature offsets per candidate slot (slots + 1 entries) into `feats`. */
  offsets: Int32Array;
  feats: Int32Array;
  gold: Uint8Array;
}

/** Gold label of every token: the entity that holds its first character. */
function goldLabels(doc: LabelledDoc, tk: Tokens): Uint8Array {
  const labels = new Uint8Array(tk.count);
  const ents = [...doc.entities].sort((a, b) => a.start - b.start);
  let e = 0;
  let prevEntity = -1;
  for (let i = 0; i < tk.count; i++) {
    const s = tk.start[i]!;
    while (e < ents.length && ents[e]!.end <= s) e++;
    const ent = ents[e];
    if (!ent || ent.start > s || ent.handle) {
      prevEntity = -1;
      continue;
    }
    const inside = prevEntity === e;
    labels[i] =
      ent.type === 'PER'
        ? inside
          ? LABEL.I_PER
          : LABEL.B_PER
        : inside
          ? LABEL.I_ENT
          : LABEL.B_ENT;
    prevEntity = e;
  }
  return labels;
}

/** Positions, in `tokenFeatures`' output, of the features that name the word itself. */
const WORD_FEATURES = [1, 2, 7, 8];

export function prepare(
  doc: LabelledDoc,
  flags: WordFlags,
  bits: number,
  dropWord = 0,
  next: () => number = () => 1,
  clusters?: WordFlags,
  vectors?: WordFlags,
): Example {
  const tk = tokenize(doc.text, new Tokens());
  flagTokens(tk, flags);
  const all = goldLabels(doc, tk);
  const docCase = docContext(tk);
  const mask = (1 << bits) - 1;
  const segments: number[] = [];
  const offsets: number[] = [0];
  const feats: number[] = [];
  const gold: number[] = [];
  const buf = new Int32Array(MAX_FEATURES);
  let i = 0;
  while (i < tk.count) {
    if (!isCandidate(tk, i)) {
      i++;
      continue;
    }
    const from = gold.length;
    const firstRow = i === 0 ? START_ROW : LABEL.O;
    let prev: number = LABEL.O;
    while (i < tk.count && isCandidate(tk, i)) {
      const k = tokenFeatures(doc.text, tk, i, docCase, buf, flags, clusters, vectors);
      const drop = dropWord > 0 && next() < dropWord;
      for (let q = 0; q < k; q++)
        if (!(drop && WORD_FEATURES.includes(q))) feats.push(buf[q]! & mask);
      offsets.push(feats.length);
      let g: number = all[i]!;
      // An inside label after a token the model skips starts the entity again.
      if (g === LABEL.I_PER && prev !== LABEL.B_PER && prev !== LABEL.I_PER) g = LABEL.B_PER;
      if (g === LABEL.I_ENT && prev !== LABEL.B_ENT && prev !== LABEL.I_ENT) g = LABEL.B_ENT;
      gold.push(g);
      prev = g;
      i++;
    }
    segments.push(from, gold.length - from, firstRow);
  }
  return {
    segments: Int32Array.from(segments),
    offsets: Int32Array.from(offsets),
    feats: Int32Array.from(feats),
    gold: Uint8Array.from(gold),
  };
}

/** mulberry32: a small seeded generator, for the visiting order. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TrainedFloat {
  bits: number;
  clusters?: Map<number, number>;
  vectorClasses?: number;
  weights: Float32Array;
  trans: Float32Array;
  personBias: number;
}

export function trainPerceptron(examples: Example[], o: TrainOptions): TrainedFloat {
  const size = (1 << o.bits) * LABELS;
  const w = new Float32Array(size);
  const u = new Float64Array(size);
  const tw = new Float64Array(TRANSITION_ROWS * LABELS);
  const tu = new Float64Array(TRANSITION_ROWS * LABELS);
  let c = 1;
  const next = rng(o.seed);
  const order = examples.map((_, i) => i);
  let em = new Float64Array(256 * LABELS);
  let pred = new Uint8Array(256);
  const update = (ex: Example, slot: number, label: number, d: number) => {
    for (let q = ex.offsets[slot]!; q < ex.offsets[slot + 1]!; q++) {
      const k = ex.feats[q]! * LABELS + label;
      w[k]! += d;
      u[k]! += c * d;
    }
  };
  const updateT = (row: number, label: number, d: number) => {
    tw[row * LABELS + label]! += d;
    tu[row * LABELS + label]! += c * d;
  };
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    // Fisher-Yates with the seeded generator.
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const idx of order) {
      const ex = examples[idx]!;
      for (let s = 0; s < ex.segments.length; s += 3) {
        const from = ex.segments[s]!;
        const n = ex.segments[s + 1]!;
        const row = ex.segments[s + 2]!;
        if (em.length < n * LABELS) {
          em = new Float64Array(n * LABELS * 2);
          pred = new Uint8Array(n * 2);
        }
        for (let t = 0; t < n; t++) {
          for (let l = 0; l < LABELS; l++) em[t * LABELS + l] = 0;
          for (let q = ex.offsets[from + t]!; q < ex.offsets[from + t + 1]!; q++) {
            const base = ex.feats[q]! * LABELS;
            for (let l = 0; l < LABELS; l++) em[t * LABELS + l]! += w[base + l]!;
          }
        }
        viterbi(em, n, tw, row, pred);
        let differs = false;
        for (let t = 0; t < n; t++) if (pred[t] !== ex.gold[from + t]) differs = true;
        if (differs) {
          let pg = row;
          let pp = row;
          for (let t = 0; t < n; t++) {
            const g = ex.gold[from + t]!;
            const p = pred[t]!;
            if (g !== p) {
              update(ex, from + t, g, 1);
              update(ex, from + t, p, -1);
            }
            if (g !== p || pg !== pp) {
              updateT(pg, g, 1);
              updateT(pp, p, -1);
            }
            pg = g;
            pp = p;
          }
        }
        c++;
      }
    }
  }
  const weights = new Float32Array(size);
  for (let k = 0; k < size; k++) weights[k] = w[k]! - u[k]! / c;
  const trans = new Float32Array(TRANSITION_ROWS * LABELS);
  for (let k = 0; k < trans.length; k++) trans[k] = tw[k]! - tu[k]! / c;
  return { bits: o.bits, weights, trans, personBias: o.personBias };
}

/**
 * Signed bytes and one scale for all weights: the largest weight maps to 127. Transitions stay
 * floating point (there are 30 of them).
 */
export function quantise(m: TrainedFloat): ModelParams {
  let max = 0;
  for (const x of m.weights) max = Math.max(max, Math.abs(x));
  const scale = max === 0 ? 1 : max / 127;
  const q = new Int8Array(m.weights.length);
  for (let k = 0; k < q.length; k++) q[k] = Math.round(m.weights[k]! / scale);
  return {
    bits: m.bits,
    weights: q,
    scale,
    trans: m.trans,
    personBias: m.personBias,
    ...(m.clusters ? { clusters: m.clusters } : {}),
    ...(m.vectorClasses ? { vectorClasses: m.vectorClasses } : {}),
  };
}

/**
 * A linear-chain CRF over the same features and labels, trained by averaged stochastic gradient
 * ascent on the log-likelihood (forward-backward per segment): every token moves every label's
 * weight by how far the model's probability of it is from the gold label, not only where the
 * best path is wrong, so a word seen once as a name in a confident context still teaches its
 * features something. Averaged like the perceptron; decoded by the same Viterbi.
 */
export function trainCrf(examples: Example[], o: TrainOptions): TrainedFloat {
  const size = (1 << o.bits) * LABELS;
  const w = new Float32Array(size);
  const u = new Float64Array(size);
  const R = TRANSITION_ROWS * LABELS;
  const tw = new Float64Array(R);
  const tu = new Float64Array(R);
  const allowedT = new Float64Array(R);
  for (let p = 0; p < TRANSITION_ROWS; p++)
    for (let l = 0; l < LABELS; l++)
      allowedT[p * LABELS + l] = allowedFrom(p === START_ROW ? LABEL.O : p, l) ? 0 : -Infinity;
  const rate = o.rate ?? 0.05;
  let c = 1;
  const next = rng(o.seed);
  const order = examples.map((_, i) => i);
  let em = new Float64Array(256 * LABELS);
  let alpha = new Float64Array(256 * LABELS);
  let beta = new Float64Array(256 * LABELS);
  const tg = new Float64Array(R);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const idx of order) {
      const ex = examples[idx]!;
      for (let s = 0; s < ex.segments.length; s += 3) {
        const from = ex.segments[s]!;
        const n = ex.segments[s + 1]!;
        const row = ex.segments[s + 2]!;
        if (em.length < n * LABELS) {
          em = new Float64Array(n * LABELS * 2);
          alpha = new Float64Array(n * LABELS * 2);
          beta = new Float64Array(n * LABELS * 2);
        }
        for (let t = 0; t < n; t++) {
          for (let l = 0; l < LABELS; l++) em[t * LABELS + l] = 0;
          for (let q = ex.offsets[from + t]!; q < ex.offsets[from + t + 1]!; q++) {
            const base = ex.feats[q]! * LABELS;
            for (let l = 0; l < LABELS; l++) em[t * LABELS + l]! += w[base + l]!;
          }
        }
        // Forward and backward, in log space.
        for (let l = 0; l < LABELS; l++)
          alpha[l] = em[l]! + tw[row * LABELS + l]! + allowedT[row * LABELS + l]!;
        for (let t = 1; t < n; t++) {
          for (let l = 0; l < LABELS; l++) {
            let m = -Infinity;
            for (let p = 0; p < LABELS; p++) {
              const v =
                alpha[(t - 1) * LABELS + p]! + tw[p * LABELS + l]! + allowedT[p * LABELS + l]!;
              if (v > m) m = v;
            }
            let sum = 0;
            for (let p = 0; p < LABELS; p++) {
              const v =
                alpha[(t - 1) * LABELS + p]! + tw[p * LABELS + l]! + allowedT[p * LABELS + l]!;
              sum += Math.exp(v - m);
            }
            alpha[t * LABELS + l] = m + Math.log(sum) + em[t * LABELS + l]!;
          }
        }
        for (let l = 0; l < LABELS; l++) beta[(n - 1) * LABELS + l] = 0;
        for (let t = n - 2; t >= 0; t--) {
          for (let p = 0; p < LABELS; p++) {
            let m = -Infinity;
            for (let l = 0; l < LABELS; l++) {
              const v =
                beta[(t + 1) * LABELS + l]! +
                em[(t + 1) * LABELS + l]! +
                tw[p * LABELS + l]! +
                allowedT[p * LABELS + l]!;
              if (v > m) m = v;
            }
            let sum = 0;
            if (m > -Infinity) {
              for (let l = 0; l < LABELS; l++) {
                const v =
                  beta[(t + 1) * LABELS + l]! +
                  em[(t + 1) * LABELS + l]! +
                  tw[p * LABELS + l]! +
                  allowedT[p * LABELS + l]!;
                sum += Math.exp(v - m);
              }
            }
            beta[t * LABELS + p] = m > -Infinity ? m + Math.log(sum) : -Infinity;
          }
        }
        let logZ = -Infinity;
        {
          let m = -Infinity;
          for (let l = 0; l < LABELS; l++) m = Math.max(m, alpha[(n - 1) * LABELS + l]!);
          let sum = 0;
          for (let l = 0; l < LABELS; l++) sum += Math.exp(alpha[(n - 1) * LABELS + l]! - m);
          logZ = m + Math.log(sum);
        }
        tg.fill(0);
        for (let t = 0; t < n; t++) {
          const g = ex.gold[from + t]!;
          for (let l = 0; l < LABELS; l++) {
            const p = Math.exp(alpha[t * LABELS + l]! + beta[t * LABELS + l]! - logZ);
            const d = rate * ((l === g ? 1 : 0) - p);
            if (d > -1e-6 && d < 1e-6) continue;
            for (let q = ex.offsets[from + t]!; q < ex.offsets[from + t + 1]!; q++) {
              const k = ex.feats[q]! * LABELS + l;
              w[k]! += d;
              u[k]! += c * d;
            }
          }
          // Transition marginals.
          if (t === 0) {
            for (let l = 0; l < LABELS; l++) {
              const p = Math.exp(alpha[l]! + beta[l]! - logZ);
              tg[row * LABELS + l]! += (l === g ? 1 : 0) - p;
            }
          } else {
            const gp = ex.gold[from + t - 1]!;
            tg[gp * LABELS + g]! += 1;
            for (let p = 0; p < LABELS; p++) {
              const a = alpha[(t - 1) * LABELS + p]!;
              if (a === -Infinity) continue;
              for (let l = 0; l < LABELS; l++) {
                const x = allowedT[p * LABELS + l]!;
                if (x === -Infinity) continue;
                tg[p * LABELS + l]! -= Math.exp(
                  a + tw[p * LABELS + l]! + em[t * LABELS + l]! + beta[t * LABELS + l]! - logZ,
                );
              }
            }
          }
        }
        for (let k = 0; k < R; k++) {
          if (tg[k] === 0) continue;
          const d = rate * tg[k]!;
          tw[k]! += d;
          tu[k]! += c * d;
        }
        c++;
      }
    }
  }
  const weights = new Float32Array(size);
  for (let k = 0; k < size; k++) weights[k] = w[k]! - u[k]! / c;
  const trans = new Float32Array(R);
  for (let k = 0; k < R; k++) trans[k] = tw[k]! - tu[k]! / c;
  return { bits: o.bits, weights, trans, personBias: o.personBias };
}
