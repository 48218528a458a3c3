/*
 * Labels and best-path decoding of the person-name model: a linear chain over BIO labels for
 * persons and for any other named entity (places, organisations, works), so that a place competes
 * with a person for a capitalised word instead of being merely "not a person".
 */

export const LABEL = { O: 0, B_PER: 1, I_PER: 2, B_ENT: 3, I_ENT: 4 } as const;
export const LABELS = 5;
/** Rows of the transition table: one per previous label, then the start of a text. */
export const TRANSITION_ROWS = LABELS + 1;
export const START_ROW = LABELS;

/** An inside label only continues its own entity. */
export function allowed(prev: number, cur: number): boolean {
  if (cur === LABEL.I_PER) return prev === LABEL.B_PER || prev === LABEL.I_PER;
  if (cur === LABEL.I_ENT) return prev === LABEL.B_ENT || prev === LABEL.I_ENT;
  return true;
}

let score = new Float64Array(0);
let back = new Int8Array(0);

/**
 * The best labels of `n` tokens given their `emissions` (n x LABELS) and the transition weights
 * (TRANSITION_ROWS x LABELS); `firstRow` is START_ROW at the start of a text, else the O row
 * (the token before the segment is outside any entity). Writes into `labels`.
 */
export function viterbi(
  emissions: Float64Array,
  n: number,
  trans: Float64Array | Float32Array,
  firstRow: number,
  labels: Uint8Array,
): void {
  if (score.length < n * LABELS) {
    score = new Float64Array(n * LABELS * 2);
    back = new Int8Array(n * LABELS * 2);
  }
  for (let l = 0; l < LABELS; l++) {
    score[l] = allowed(firstRow === START_ROW ? LABEL.O : firstRow, l)
      ? emissions[l]! + trans[firstRow * LABELS + l]!
      : Number.NEGATIVE_INFINITY;
  }
  for (let t = 1; t < n; t++) {
    for (let l = 0; l < LABELS; l++) {
      let best = Number.NEGATIVE_INFINITY;
      let arg = 0;
      for (let p = 0; p < LABELS; p++) {
        if (!allowed(p, l)) continue;
        const s = score[(t - 1) * LABELS + p]! + trans[p * LABELS + l]!;
        if (s > best) {
          best = s;
          arg = p;
        }
      }
      score[t * LABELS + l] = best + emissions[t * LABELS + l]!;
      back[t * LABELS + l] = arg;
    }
  }
  let best = Number.NEGATIVE_INFINITY;
  let arg = 0;
  for (let l = 0; l < LABELS; l++) {
    const s = score[(n - 1) * LABELS + l]!;
    if (s > best) {
      best = s;
      arg = l;
    }
  }
  for (let t = n - 1; t >= 0; t--) {
    labels[t] = arg;
    arg = back[t * LABELS + arg]!;
  }
}
