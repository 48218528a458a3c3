import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared evaluation material (`shared/eval`, beside the project's checkout): from
 * `VETO_EVAL_DIR` when set, else the first `shared/eval` found walking up from the project root
 * (the checkout may sit at any depth under the folder that holds `shared/`). Undefined when
 * there is none, so tests can skip with a reason and scripts can say what is missing.
 */
export function sharedEvalDir(): string | undefined {
  const fromEnv = process.env.VETO_EVAL_DIR;
  if (fromEnv) return existsSync(fromEnv) ? resolve(fromEnv) : undefined;
  let dir = fileURLToPath(new URL('../../../', import.meta.url));
  for (;;) {
    const candidate = join(dir, 'shared', 'eval');
    if (existsSync(join(candidate, 'ner')) || existsSync(join(candidate, 'pii'))) return candidate;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
