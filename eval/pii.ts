/**
 * `npm run eval:pii`: scores the redactor and the `redact-pii` baseline on ../shared/eval/pii/
 * (relative to the project root) and writes eval-out/pii.json. The harness lives in
 * src/redact/eval/ so it is type-checked with the rest.
 */
import { fileURLToPath } from 'node:url';
import { runEval } from '../src/redact/eval/run.ts';

const dataDir = fileURLToPath(new URL('../../shared/eval/pii/', import.meta.url));
const outFile = fileURLToPath(new URL('../eval-out/pii.json', import.meta.url));
runEval(process.env.VETO_PII_EVAL_DIR ?? dataDir, outFile);
