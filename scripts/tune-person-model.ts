/**
 * Chooses the person-name model's options without looking at the held-out fifth:
 *
 *   npx tsx scripts/tune-person-model.ts '{"epochs": 6}'      (options over DEFAULT_TRAINING)
 *   npx tsx scripts/tune-person-model.ts --folds 1,2,3,4 ...   (rotate the tuning fifth)
 *
 * Trains on the training part less one fifth (documents whose text hash is k modulo 5, k = 1 by
 * default) and prints the figures on that fifth. With several folds, each is measured by a model
 * trained on the other three, and the tallies are summed (four times the names, a quarter of the
 * noise of one fold's sample).
 */

import { sharedEvalDir } from '../src/redact/eval/eval-dir.ts';
import {
  addTally,
  emptyTally,
  type PersonTally,
  scorePersons,
} from '../src/redact/eval/ner-score.ts';
import { PersonTagger } from '../src/redact/ner/person-model.ts';
import { HELDOUT_SETS, loadCorpus, textHash } from '../src/redact/train/corpus.ts';
import {
  DEFAULT_TRAINING,
  figuresOf,
  trainPersonModel,
} from '../src/redact/train/train-person-model.ts';

const dir = sharedEvalDir();
if (!dir) {
  console.error('tune-person-model: no shared/eval folder found (set VETO_EVAL_DIR)');
  process.exit(2);
}
const args = process.argv.slice(2);
let folds = [1];
const f = args.indexOf('--folds');
if (f >= 0) {
  folds = args[f + 1]!.split(',').map(Number);
  args.splice(f, 2);
}
if (folds.some((k) => !(k >= 1 && k <= 4)))
  throw new Error('--folds: 1 to 4 only (0 modulo 5 is the held-out fifth)');
const options = { ...DEFAULT_TRAINING, ...(args[0] ? JSON.parse(args[0]) : {}) };
const docs = loadCorpus(dir);
const fold = (d: { text: string }) => textHash(d.text) % 5;
const tallies = HELDOUT_SETS.map(() => emptyTally());
const t0 = performance.now();
for (const k of folds) {
  const result = trainPersonModel(docs, options, (d) => fold(d) !== 0 && fold(d) !== k);
  const tagger = new PersonTagger(result.params);
  HELDOUT_SETS.forEach((set, i) => {
    for (const d of docs) {
      if (fold(d) !== k || !(set.sources as readonly string[]).includes(d.source)) continue;
      scorePersons(d, tagger.find(d.text), tallies[i]!);
    }
  });
}
const tweets: PersonTally = emptyTally();
addTally(tweets, tallies[0]!);
addTally(tweets, tallies[1]!);
const rows = [
  figuresOf('English tweets (btc + wnut17)', 'en', tweets),
  ...HELDOUT_SETS.map((s, i) => figuresOf(s.name, s.lang, tallies[i]!)),
];
console.log(
  `folds ${folds.join(',')} options ${JSON.stringify(args[0] ? JSON.parse(args[0]) : {})} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
);
for (const r of rows) {
  console.log(
    `  ${r.name.padEnd(40)} ${String(r.gold).padStart(5)}  R ${r.recall.toFixed(3)}  P ${r.precision.toFixed(3)}  (found ${r.found} right ${r.right} wrong ${r.wrong})`,
  );
}
