import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VETO_BIN } from './veto-command.ts';

/** Runs `veto ARGS` the way a user does, as its own process; `env` goes over the environment. */
export function runVeto(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [VETO_BIN, ...args], {
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

/**
 * The sample notice (notices/2026-01) copied into `dir` so that it takes effect at publication:
 * the shipped folder announces the processing 30 days ahead, and the gate builds nothing before
 * the announced date. Returns the copy's folder.
 */
export function noticeEffectiveNow(dir: string): string {
  const from = fileURLToPath(new URL('../../notices/2026-01', import.meta.url));
  const to = path.join(dir, 'notice-effective-now');
  cpSync(from, to, { recursive: true });
  const metaFile = path.join(to, 'notice.json');
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Record<string, unknown>;
  meta.effectiveAfterDays = 0;
  meta.policy = path.resolve(from, String(meta.policy));
  writeFileSync(metaFile, JSON.stringify(meta, null, 2));
  return to;
}
