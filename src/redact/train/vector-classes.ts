import { rng } from './perceptron.ts';

/*
 * Word classes from word vectors learnt on large unlabelled text (GloVe, Wikipedia and Gigaword):
 * spherical k-means over the unit vectors puts words used alike in one fine class ("fassbender"
 * beside other actors' surnames, "greste" beside other journalists'), and k-means over the fine
 * classes' centres groups those into coarse classes. The person-name model weighs both classes
 * of a word and its neighbours: a word that no list and no training tweet holds still has a
 * class learnt from two billion words.
 *
 * Deterministic: the starting centres are drawn by a seeded generator, every sum is in doubles in
 * a fixed order, an emptied class takes the word worst placed, and the number of passes is fixed.
 */

export interface VectorClassOptions {
  fine: number;
  coarse: number;
  passes: number;
  seed: number;
  /** The centres are learnt from the commonest `learnFrom` words (whose vectors are the surest); the others join the nearest. */
  learnFrom: number;
}

export const VECTOR_CLASS_DEFAULTS: VectorClassOptions = {
  fine: 512,
  coarse: 64,
  passes: 12,
  seed: 29,
  learnFrom: 50_000,
};

/** The fine class of every vector, and the coarse class of every fine class. */
export interface VectorClasses {
  fine: Uint16Array;
  coarseOfFine: Uint16Array;
}

/** Normalises each of the `n` vectors of `dims` numbers in `x` to unit length, in place. */
export function normalise(x: Float32Array, dims: number): void {
  const n = x.length / dims;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dims; d++) s += x[i * dims + d]! * x[i * dims + d]!;
    const k = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < dims; d++) x[i * dims + d]! *= k;
  }
}

/**
 * Spherical k-means of the unit vectors `x` (`dims` numbers each) into `k` classes, with
 * `weight` per vector (1 when absent); returns each vector's class and the unit centres.
 */
export function sphericalKMeans(
  x: Float32Array,
  dims: number,
  k: number,
  passes: number,
  seed: number,
  weight?: Float64Array,
): { assign: Uint16Array; centres: Float32Array } {
  const n = x.length / dims;
  if (k > n) throw new Error(`k-means: ${k} classes for ${n} vectors`);
  const next = rng(seed);
  // Distinct starting vectors, drawn by a partial shuffle.
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(next() * (n - i));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const centres = new Float32Array(k * dims);
  for (let c = 0; c < k; c++)
    centres.set(x.subarray(order[c]! * dims, order[c]! * dims + dims), c * dims);
  const assign = new Uint16Array(n);
  const best = new Float64Array(n);
  const sums = new Float64Array(k * dims);
  const sizes = new Float64Array(k);
  for (let pass = 0; pass < passes; pass++) {
    for (let i = 0; i < n; i++) {
      const arg = nearest(x, i * dims, centres, dims);
      assign[i] = arg;
      let s = 0;
      for (let d = 0; d < dims; d++) s += x[i * dims + d]! * centres[arg * dims + d]!;
      best[i] = s;
    }
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assign[i]!;
      const w = weight ? weight[i]! : 1;
      sizes[c]! += w;
      for (let d = 0; d < dims; d++) sums[c * dims + d]! += w * x[i * dims + d]!;
    }
    for (let c = 0; c < k; c++) {
      if (sizes[c] === 0) {
        // An emptied class restarts at the vector furthest from its own centre.
        let worst = 0;
        for (let i = 1; i < n; i++) if (best[i]! < best[worst]!) worst = i;
        best[worst] = Number.POSITIVE_INFINITY;
        centres.set(x.subarray(worst * dims, worst * dims + dims), c * dims);
        continue;
      }
      let s = 0;
      for (let d = 0; d < dims; d++) s += sums[c * dims + d]! * sums[c * dims + d]!;
      const inv = 1 / Math.sqrt(s);
      for (let d = 0; d < dims; d++) centres[c * dims + d] = sums[c * dims + d]! * inv;
    }
  }
  return { assign, centres };
}

/** The centre nearest to the vector at `x[o]` (largest dot product; the first of equals). */
function nearest(x: Float32Array, o: number, centres: Float32Array, dims: number): number {
  const k = centres.length / dims;
  let top = Number.NEGATIVE_INFINITY;
  let arg = 0;
  for (let c = 0; c < k; c++) {
    const p = c * dims;
    let s = 0;
    for (let d = 0; d < dims; d++) s += x[o + d]! * centres[p + d]!;
    if (s > top) {
      top = s;
      arg = c;
    }
  }
  return arg;
}

/** Fine classes of the unit vectors `x`, and coarse classes of the fine classes' centres. */
export function vectorClasses(
  x: Float32Array,
  dims: number,
  o: VectorClassOptions = VECTOR_CLASS_DEFAULTS,
  log: (line: string) => void = () => {},
): VectorClasses {
  const t0 = performance.now();
  const n = x.length / dims;
  const learn = Math.min(n, o.learnFrom);
  const f = sphericalKMeans(x.subarray(0, learn * dims), dims, o.fine, o.passes, o.seed);
  log(`fine classes: ${o.fine} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const fine = new Uint16Array(n);
  fine.set(f.assign);
  for (let i = learn; i < n; i++) fine[i] = nearest(x, i * dims, f.centres, dims);
  const sizes = new Float64Array(o.fine);
  for (const c of f.assign) sizes[c]! += 1;
  const c = sphericalKMeans(f.centres, dims, o.coarse, o.passes * 4, o.seed + 1, sizes);
  return { fine, coarseOfFine: c.assign };
}

/** How many steps `nameLikeness` descends. */
const LIKENESS_STEPS = 300;

/**
 * How much each unit vector of `x` looks like a person's name, as 0-7: a logistic regression
 * on the vectors, learnt from the words the name lists hold and no dictionary has (`label` 1)
 * against dictionary words no name list holds (-1; 0 for the others), both sides weighed alike.
 * It carries what the lists know to the words they lack: "fassbender" and "walcott" score 7 with
 * the surnames, "guitar" 0. Deterministic: full-batch gradient descent from zero, fixed steps.
 */
export function nameLikeness(x: Float32Array, dims: number, label: Int8Array): Uint8Array {
  const n = label.length;
  let pos = 0;
  let neg = 0;
  for (const l of label) {
    if (l > 0) pos++;
    else if (l < 0) neg++;
  }
  const w = new Float64Array(dims + 1);
  const g = new Float64Array(dims + 1);
  const score = (i: number) => {
    let z = w[dims]!;
    for (let d = 0; d < dims; d++) z += w[d]! * x[i * dims + d]!;
    return 1 / (1 + Math.exp(-z));
  };
  for (let step = 0; step < LIKENESS_STEPS; step++) {
    g.fill(0);
    for (let i = 0; i < n; i++) {
      const l = label[i]!;
      if (l === 0) continue;
      const k = l > 0 ? (score(i) - 1) * (0.5 / pos) : score(i) * (0.5 / neg);
      for (let d = 0; d < dims; d++) g[d]! += k * x[i * dims + d]!;
      g[dims]! += k;
    }
    for (let d = 0; d <= dims; d++) w[d]! -= 20 * g[d]!;
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(7, Math.floor(score(i) * 8));
  return out;
}
