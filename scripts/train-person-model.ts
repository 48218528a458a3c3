/**
 * Retrains the person-name model from the shared evaluation material and records its figures:
 *
 *   npx tsx scripts/train-person-model.ts          (VETO_EVAL_DIR overrides where shared/eval is)
 *
 * Writes src/redact/ner/person-model.bin (the weights, gzip) and src/redact/ner/person-model.json
 * (the training options, the documents used, the held-out figures). Deterministic: the same
 * material and options give the same model and figures (test/redact/person-model.test.ts checks
 * that a retraining reproduces the recorded figures).
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { sharedEvalDir } from '../src/redact/eval/eval-dir.ts';
import { encodeModel, MODEL_FILE, PersonTagger } from '../src/redact/ner/person-model.ts';
import {
  CHECK_TRAINING,
  loadAndTrain,
  measureHeldOut,
  trainPersonModel,
} from '../src/redact/train/train-person-model.ts';

const dir = sharedEvalDir();
if (!dir) {
  console.error('train-person-model: no shared/eval folder found (set VETO_EVAL_DIR)');
  process.exit(2);
}
const { docs, result, tagger } = loadAndTrain(dir);
const heldout = measureHeldOut(docs, (t) => tagger.find(t));
const raw = encodeModel(result.params);
const gz = gzipSync(raw, { level: 9 });
writeFileSync(MODEL_FILE, gz);
// The quick configuration the test suite retrains (test/redact/person-model.test.ts).
const check = trainPersonModel(docs, CHECK_TRAINING);
const checkTagger = new PersonTagger(check.params);
const record = {
  about:
    'Figures of src/redact/ner/person-model.bin on the held-out fifth of the shared material (scripts/train-person-model.ts)',
  options: result.options,
  trainingDocuments: result.trainingDocs,
  heldOut: heldout,
  modelSha256: createHash('sha256').update(raw).digest('hex'),
  reproduction: {
    about: 'The same training with fewer epochs, which the test suite retrains and compares',
    options: CHECK_TRAINING,
    heldOut: measureHeldOut(docs, (t) => checkTagger.find(t)),
  },
};
const jsonFile = fileURLToPath(new URL('./person-model.json', MODEL_FILE));
writeFileSync(jsonFile, `${JSON.stringify(record, null, 2)}\n`);
console.log(
  `trained on ${result.trainingDocs} documents in ${result.seconds.toFixed(1)} s; model ${(gz.length / 1e6).toFixed(2)} MB`,
);
for (const f of heldout) {
  console.log(
    `  ${f.name.padEnd(46)} ${String(f.gold).padStart(5)} names  R ${f.recall.toFixed(3)}  P ${f.precision.toFixed(3)}`,
  );
}
