import {
  addTally,
  emptyTally,
  type PersonTally,
  precisionOf,
  recallOf,
  scorePersons,
} from '../eval/ner-score.ts';
import { clusterTable, type ModelParams, PersonTagger, type Span } from '../ner/person-model.ts';
import { vectorClassTable } from '../ner/vector-classes.ts';
import { wordFlags } from '../ner/word-flags.ts';
import { CLUSTER_DEFAULTS, learnClusters } from './clusters.ts';
import {
  HELDOUT_SETS,
  type LabelledDoc,
  loadCorpus,
  type Source,
  splitOf,
  textHash,
} from './corpus.ts';
import {
  prepare,
  quantise,
  rng,
  type TrainOptions,
  trainCrf,
  trainPerceptron,
} from './perceptron.ts';

/*
 * Trains the person-name model from the shared material and measures it on the held-out part.
 * Used by `scripts/train-person-model.ts` (writes the shipped model and its figures) and by the
 * test that retrains and compares with the recorded figures.
 */

/** The synthetic sets: documents written to be full of names, unlike real posts. */
const SYNTHETIC: readonly Source[] = ['eds-pseudo', 'presidio-synth'];

export const DEFAULT_TRAINING: TrainOptions & {
  sources: readonly Source[];
  /** Share of the synthetic sets' training documents learnt from (by text hash). */
  syntheticShare?: number;
} = {
  bits: 20,
  learner: 'crf',
  epochs: 5,
  rate: 0.05,
  seed: 17,
  personBias: 0.8,
  dropWord: 0.4,
  runs: 3,
  clusters: 256,
  vectorClasses: true,
  syntheticShare: 0.5,
  sources: ['btc-a', 'btc-b', 'btc-e', 'btc-g', 'btc-h', 'wnut17', 'eds-pseudo', 'presidio-synth'],
};

/** What the test suite retrains to check that training reproduces its recorded figures. */
export const CHECK_TRAINING: typeof DEFAULT_TRAINING = { ...DEFAULT_TRAINING, epochs: 2, runs: 1 };

export interface SetFigures {
  name: string;
  lang: string;
  gold: number;
  found: number;
  right: number;
  wrong: number;
  neutral: number;
  recall: number;
  precision: number;
}

export function figuresOf(name: string, lang: string, t: PersonTally): SetFigures {
  return {
    name,
    lang,
    ...t,
    recall: Number(recallOf(t).toFixed(4)),
    precision: Number(precisionOf(t).toFixed(4)),
  };
}

/** Scores a person finder on the held-out sets (and the English tweets together). */
export function measureHeldOut(
  docs: readonly LabelledDoc[],
  find: (text: string) => readonly Span[],
  measured: (d: LabelledDoc) => boolean = (d) => splitOf(d) === 'heldout',
): SetFigures[] {
  const held = docs.filter(measured);
  const out: SetFigures[] = [];
  const tweets = emptyTally();
  for (const set of HELDOUT_SETS) {
    const t = emptyTally();
    for (const d of held) {
      if (!(set.sources as readonly string[]).includes(d.source)) continue;
      scorePersons(d, find(d.text), t);
    }
    if (set.sources[0] !== 'eds-pseudo' && set.sources[0] !== 'presidio-synth') addTally(tweets, t);
    out.push(figuresOf(set.name, set.lang, t));
  }
  out.unshift(figuresOf('English tweets (btc + wnut17)', 'en', tweets));
  return out;
}

export interface TrainResult {
  params: ModelParams;
  options: typeof DEFAULT_TRAINING;
  trainingDocs: number;
  seconds: number;
}

export function trainPersonModel(
  docs: readonly LabelledDoc[],
  options: typeof DEFAULT_TRAINING = DEFAULT_TRAINING,
  learnt: (d: LabelledDoc) => boolean = (d) => splitOf(d) === 'train',
): TrainResult {
  const t0 = performance.now();
  const flags = wordFlags();
  const share = options.syntheticShare ?? 1;
  const train = docs.filter(
    (d) =>
      learnt(d) &&
      options.sources.includes(d.source) &&
      (!SYNTHETIC.includes(d.source) || ((textHash(d.text) >>> 8) % 1000) / 1000 < share),
  );
  // Several perceptrons, each with its own visiting order and left-out word features, averaged:
  // one alone moves by a point of recall from one seed to the next.
  const runs = options.runs ?? 1;
  const clusters = options.clusters
    ? learnClusters(
        train.map((d) => d.text),
        { ...CLUSTER_DEFAULTS, classes: options.clusters },
      )
    : undefined;
  const clusterFlags = clusters ? clusterTable(clusters) : undefined;
  const vectors = options.vectorClasses ? vectorClassTable() : undefined;
  let trained: ReturnType<typeof trainPerceptron> | undefined;
  for (let r = 0; r < runs; r++) {
    const seed = options.seed + 101 * r;
    const next = rng(seed + 1);
    const examples = train.map((d) =>
      prepare(d, flags, options.bits, options.dropWord ?? 0, next, clusterFlags, vectors?.table),
    );
    const one = (options.learner === 'crf' ? trainCrf : trainPerceptron)(examples, {
      ...options,
      seed,
    });
    if (!trained) trained = one;
    else {
      for (let k = 0; k < one.weights.length; k++) trained.weights[k]! += one.weights[k]!;
      for (let k = 0; k < one.trans.length; k++) trained.trans[k]! += one.trans[k]!;
    }
  }
  if (!trained) throw new Error('train-person-model: runs must be at least 1');
  for (let k = 0; k < trained.weights.length; k++) trained.weights[k]! /= runs;
  for (let k = 0; k < trained.trans.length; k++) trained.trans[k]! /= runs;
  if (clusters) trained.clusters = clusters;
  if (vectors) trained.vectorClasses = vectors.id;
  return {
    params: quantise(trained),
    options,
    trainingDocs: train.length,
    seconds: (performance.now() - t0) / 1000,
  };
}

export function loadAndTrain(evalDir: string, options = DEFAULT_TRAINING) {
  const docs = loadCorpus(evalDir);
  const result = trainPersonModel(docs, options);
  const tagger = new PersonTagger(result.params);
  return { docs, result, tagger };
}
