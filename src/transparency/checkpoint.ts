import { HASH_SIZE } from './merkle.ts';
import {
  hasValidSignature,
  type Note,
  NoteError,
  parseNote,
  type Signer,
  signNote,
  type Verifier,
} from './signed-note.ts';

/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the origin line (the log's name:
 * here the signing key's name), the tree size in decimal, the root hash in base64, then the
 * note's signatures.
 */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
}

export function checkpointText(c: Checkpoint): string {
  return `${c.origin}\n${c.size}\n${c.root.toString('base64')}\n`;
}

export function signCheckpoint(signer: Signer, size: number, root: Uint8Array): string {
  return signNote(signer, checkpointText({ origin: signer.name, size, root: Buffer.from(root) }));
}

export function parseCheckpointText(text: string): Checkpoint {
  const lines = text.split('\n');
  const [origin, size, root] = lines;
  if (lines.length < 4 || !origin || !size || !root) {
    throw new NoteError('malformed checkpoint: expected origin, size and root hash lines');
  }
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) {
    throw new NoteError(
      `malformed checkpoint: size "${size.slice(0, 30)}" is not a decimal number`,
    );
  }
  const hash = Buffer.from(root, 'base64');
  if (hash.length !== HASH_SIZE || hash.toString('base64') !== root) {
    throw new NoteError('malformed checkpoint: the root hash is not 32 bytes of base64');
  }
  return { origin, size: Number(size), root: hash };
}

export interface OpenedCheckpoint extends Checkpoint {
  note: Note;
  /** The log key that signed it. */
  signedBy: Verifier;
}

/**
 * Parses a signed checkpoint and checks it carries a valid signature by one of `logKeys` (the
 * current key and those it replaced: rotation keeps old checkpoints verifiable) whose name is
 * its origin. Throws NoteError otherwise.
 */
export function openCheckpoint(note: string, logKeys: readonly Verifier[]): OpenedCheckpoint {
  const parsed = parseNote(note);
  const c = parseCheckpointText(parsed.text);
  const signedBy = logKeys.find((k) => k.name === c.origin && hasValidSignature(parsed, k));
  if (!signedBy) {
    throw new NoteError(
      `checkpoint of ${c.origin} at size ${c.size}: no valid signature by a known log key`,
    );
  }
  return { ...c, note: parsed, signedBy };
}
