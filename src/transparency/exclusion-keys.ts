import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  generateVrfKeyPem,
  parseVrfPrivateKey,
  VrfKeyError,
  type VrfPrivateKey,
} from './rsa-fdh-vrf.ts';

/**
 * The deployment's VRF keys for exclusion proofs (docs/transparency.md "Keys"): the current one
 * commits new datasets; previous ones still answer proofs for the datasets they committed (a
 * proof needs the very key whose id the dataset's manifest names).
 */
export interface ExclusionKeys {
  current: VrfPrivateKey;
  byId: Map<string, VrfPrivateKey>;
}

function read(file: string, where: string): VrfPrivateKey {
  try {
    return parseVrfPrivateKey(readFileSync(file, 'utf8'));
  } catch (err) {
    if (err instanceof VrfKeyError || (err as NodeJS.ErrnoException).code)
      throw new VrfKeyError(`${where} (${file}): ${(err as Error).message}`);
    throw err;
  }
}

/**
 * The deployment's current key for an `--offline` build, read from the environment without the
 * registry: VETO_EXCLUSION_KEY_FILE, or `<VETO_DATA_DIR>/exclusion-vrf.pem` if it exists (never
 * generated here: a key made on the building machine would not be the one that answers proofs).
 * Undefined when neither is there.
 */
export function offlineExclusionKey(env: NodeJS.ProcessEnv): VrfPrivateKey | undefined {
  if (env.VETO_EXCLUSION_KEY_FILE)
    return read(env.VETO_EXCLUSION_KEY_FILE, 'VETO_EXCLUSION_KEY_FILE');
  const file = env.VETO_DATA_DIR ? path.join(env.VETO_DATA_DIR, 'exclusion-vrf.pem') : undefined;
  return file && existsSync(file) ? read(file, 'the data directory’s VRF key') : undefined;
}

/**
 * Loads VETO_EXCLUSION_KEY_FILE, or `<data dir>/exclusion-vrf.pem`, generating that one (RSA-2048)
 * the first time it is needed: never at start, since generating a key takes a moment.
 */
export function loadExclusionKeys(c: {
  exclusionKeyFile?: string | undefined;
  exclusionPreviousKeyFiles?: readonly string[] | undefined;
  dataDir: string;
}): ExclusionKeys {
  let current: VrfPrivateKey;
  if (c.exclusionKeyFile) {
    current = read(c.exclusionKeyFile, 'VETO_EXCLUSION_KEY_FILE');
  } else {
    const file = path.join(c.dataDir, 'exclusion-vrf.pem');
    if (!existsSync(file)) {
      mkdirSync(c.dataDir, { recursive: true });
      try {
        writeFileSync(file, generateVrfKeyPem(), { mode: 0o600, flag: 'wx' });
      } catch (err) {
        // Another process made it first: use that one.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    current = read(file, 'the generated VRF key');
  }
  const byId = new Map([[current.public.keyId, current]]);
  for (const f of c.exclusionPreviousKeyFiles ?? []) {
    const k = read(f, 'VETO_EXCLUSION_PREVIOUS_KEY_FILES');
    byId.set(k.public.keyId, k);
  }
  return { current, byId };
}
