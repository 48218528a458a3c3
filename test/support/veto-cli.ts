import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** Runs `veto ARGS` the way a user does, as its own process; `env` goes over the environment. */
export function runVeto(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, VETO_LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The environment of a registry on SQLite in `dir` (its data directory). */
export function sqliteEnv(dir: string, secret: string): Record<string, string> {
  return {
    VETO_DATA_DIR: dir,
    VETO_DATABASE_URL: `sqlite:${path.join(dir, 'veto.db')}`,
    VETO_SECRET: secret,
  };
}

/** The Art. 13/14 items a deployment configures before it can publish a notice. */
export const NOTICE_ITEMS_ENV: Record<string, string> = {
  VETO_CONTROLLER_NAME: 'Example Platform SA',
  VETO_CONTROLLER_CONTACT: 'privacy@platform.example',
  VETO_DPO_CONTACT: 'dpo@platform.example',
  VETO_RECIPIENTS: 'Example AI Lab SARL',
  VETO_RETENTION_MONTHS: '24',
  VETO_SUPERVISORY_AUTHORITY: 'CNIL, https://www.cnil.fr',
};
