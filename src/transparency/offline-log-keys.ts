import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NoteError, parseSigner, parseVerifier, type Verifier } from './signed-note.ts';

/** The log keys could not be read: the message names the option or setting. */
export class LogKeyError extends Error {
  override name = 'LogKeyError';
}

/**
 * The transparency log's verifier keys for an `--offline` build, without the registry: the keys
 * given (`--log-key`, a verifier key or a file holding one; repeatable), else the deployment's
 * configured signing key if this machine has it (VETO_TRANSPARENCY_KEY, VETO_TRANSPARENCY_KEY_FILE,
 * or `<VETO_DATA_DIR>/transparency-log.key` if it exists: never generated here) with
 * VETO_TRANSPARENCY_PREVIOUS_KEYS. Empty when none is there: the anchor is then not checked.
 */
export function offlineLogKeys(given: readonly string[], env: NodeJS.ProcessEnv): Verifier[] {
  const parse = (where: string, text: string, signer: boolean): Verifier => {
    try {
      return signer ? parseSigner(text.trim()) : parseVerifier(text.trim());
    } catch (err) {
      if (err instanceof NoteError) throw new LogKeyError(`${where}: ${err.message}`);
      throw err;
    }
  };
  const fileOrText = (where: string, value: string): string => {
    if (!existsSync(value)) return value;
    try {
      return readFileSync(value, 'utf8');
    } catch (err) {
      throw new LogKeyError(`${where} ${value}: ${(err as Error).message}`);
    }
  };
  if (given.length > 0)
    return given.map((k) => parse('--log-key', fileOrText('--log-key', k), false));
  let signing: Verifier | undefined;
  if (env.VETO_TRANSPARENCY_KEY) {
    signing = parse('VETO_TRANSPARENCY_KEY', env.VETO_TRANSPARENCY_KEY, true);
  } else if (env.VETO_TRANSPARENCY_KEY_FILE) {
    const file = env.VETO_TRANSPARENCY_KEY_FILE;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new LogKeyError(`VETO_TRANSPARENCY_KEY_FILE (${file}): ${(err as Error).message}`);
    }
    signing = parse(`VETO_TRANSPARENCY_KEY_FILE (${file})`, text, true);
  } else if (env.VETO_DATA_DIR) {
    const file = path.join(env.VETO_DATA_DIR, 'transparency-log.key');
    if (existsSync(file)) signing = parse(file, readFileSync(file, 'utf8'), true);
  }
  if (!signing) return [];
  const previous = (env.VETO_TRANSPARENCY_PREVIOUS_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
    .map((k) => parse('VETO_TRANSPARENCY_PREVIOUS_KEYS', k, false));
  return [signing, ...previous];
}
