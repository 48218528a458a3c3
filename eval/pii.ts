/**
 * `npm run eval:pii`: scores the redactor and the `redact-pii` baseline on `shared/eval/pii/`
 * (found as the tests find it: `VETO_EVAL_DIR`, else walking up from the project root;
 * `VETO_PII_EVAL_DIR` names the `pii` folder itself) and writes eval-out/pii.json. The harness
 * lives in src/redact/eval/ so it is type-checked with the rest.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedEvalDir } from '../src/redact/eval/eval-dir.ts';
import { runEval } from '../src/redact/eval/run.ts';

const shared = sharedEvalDir();
const dataDir = process.env.VETO_PII_EVAL_DIR ?? (shared ? join(shared, 'pii') : undefined);
if (!dataDir) {
  console.error(
    'eval:pii: no shared/eval folder found above the project (set VETO_EVAL_DIR or VETO_PII_EVAL_DIR)',
  );
  process.exit(2);
}
const outFile = fileURLToPath(new URL('../eval-out/pii.json', import.meta.url));
runEval(dataDir, outFile);
