import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';

/**
 * C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 from node:crypto, and C2SP
 * tlog-cosignature/v1 timestamped cosignatures (https://c2sp.org/tlog-cosignature). Keys are
 * written as the spec's vkeys (`<name>+<key id hex>+<base64(type || public key)>`) and, for
 * signers, as golang.org/x/mod/sumdb/note writes them
 * (`PRIVATE+KEY+<name>+<key id hex>+<base64(type || seed)>`).
 */
export const ED25519 = 0x01;
export const COSIGNATURE_V1 = 0x04;
const EM_DASH = '\u2014';
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

export class NoteError extends Error {}

export interface Verifier {
  name: string;
  /** 4 bytes. */
  keyId: Buffer;
  type: typeof ED25519 | typeof COSIGNATURE_V1;
  publicKey: Buffer;
  /** The vkey string. */
  vkey: string;
}

export interface Signer extends Verifier {
  key: KeyObject;
  /** The private key string (keep it secret). */
  skey: string;
}

function keyId(name: string, type: number, publicKey: Buffer): Buffer {
  return createHash('sha256')
    .update(name)
    .update('\n')
    .update(Buffer.from([type]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

function checkName(name: string): void {
  if (!name || /[\s+]/.test(name)) {
    throw new NoteError(`key name "${name}" must be non-empty, without spaces or "+"`);
  }
}

function publicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
}

function rawPublicKey(key: KeyObject): Buffer {
  return (createPublicKey(key).export({ format: 'der', type: 'spki' }) as Buffer).subarray(
    SPKI_ED25519.length,
  );
}

function makeVerifier(name: string, type: Verifier['type'], publicKey: Buffer): Verifier {
  const id = keyId(name, type, publicKey);
  const vkey = `${name}+${id.toString('hex')}+${Buffer.concat([Buffer.from([type]), publicKey]).toString('base64')}`;
  return { name, keyId: id, type, publicKey, vkey };
}

/** A fresh Ed25519 key: a log key (`ED25519`) or a witness's cosigning key (`COSIGNATURE_V1`). */
export function generateSigner(name: string, type: Verifier['type'] = ED25519): Signer {
  checkName(name);
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = (privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer).subarray(
    PKCS8_ED25519.length,
  );
  return parseSigner(makeSkey(name, type, seed, rawPublicKey(privateKey)));
}

function makeSkey(name: string, type: number, seed: Buffer, publicKey: Buffer): string {
  const id = keyId(name, type, publicKey).toString('hex');
  return `PRIVATE+KEY+${name}+${id}+${Buffer.concat([Buffer.from([type]), seed]).toString('base64')}`;
}

export function parseSigner(skey: string): Signer {
  const parts = skey.trim().split('+');
  // The base64 part may itself contain "+": everything after the fourth "+" belongs to it.
  if (parts.length < 5 || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') {
    throw new NoteError('a signing key reads PRIVATE+KEY+<name>+<key id>+<base64 key>');
  }
  const name = parts[2]!;
  const raw = Buffer.from(parts.slice(4).join('+'), 'base64');
  const type = raw[0];
  if ((type !== ED25519 && type !== COSIGNATURE_V1) || raw.length !== 33) {
    throw new NoteError('a signing key must be an Ed25519 key (type 0x01 or 0x04, 32-byte seed)');
  }
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519, raw.subarray(1)]),
    format: 'der',
    type: 'pkcs8',
  });
  const v = makeVerifier(name, type, rawPublicKey(key));
  if (v.keyId.toString('hex') !== parts[3]) {
    throw new NoteError(`signing key ${name}: its key id ${parts[3]} does not match the key`);
  }
  return { ...v, key, skey: skey.trim() };
}

export function parseVerifier(vkey: string): Verifier {
  const parts = vkey.trim().split('+');
  if (parts.length < 3) throw new NoteError('a verifier key reads <name>+<key id>+<base64 key>');
  const name = parts[0]!;
  checkName(name);
  const raw = Buffer.from(parts.slice(2).join('+'), 'base64');
  const type = raw[0];
  if ((type !== ED25519 && type !== COSIGNATURE_V1) || raw.length !== 33) {
    throw new NoteError(`verifier key ${name}: not an Ed25519 key (type 0x01 or 0x04)`);
  }
  const v = makeVerifier(name, type, raw.subarray(1));
  if (v.keyId.toString('hex') !== parts[1]) {
    throw new NoteError(`verifier key ${name}: its key id ${parts[1]} does not match the key`);
  }
  return v;
}

export interface NoteSignature {
  name: string;
  keyId: Buffer;
  /** Everything after the key id: the Ed25519 signature, or timestamp + signature. */
  signature: Buffer;
  line: string;
}

export interface Note {
  text: string;
  signatures: NoteSignature[];
}

/** Splits a note into its text and signature lines; throws on anything malformed. */
export function parseNote(note: string): Note {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new NoteError('malformed note: no signature block');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  const signatures = lines.map((line) => {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new NoteError(`malformed signature line: ${JSON.stringify(line.slice(0, 80))}`);
    const blob = Buffer.from(m[2]!, 'base64');
    // Only the canonical encoding: base64's unused padding bits would otherwise let a changed
    // note carry the same signature (a bit flipped there must fail, like any other).
    if (blob.toString('base64') !== m[2]) {
      throw new NoteError('malformed signature line: not canonical base64');
    }
    if (blob.length < 5) throw new NoteError('malformed signature line: too short');
    return {
      name: m[1]!,
      keyId: blob.subarray(0, 4),
      signature: blob.subarray(4),
      line: `${line}\n`,
    };
  });
  if (signatures.length === 0) throw new NoteError('malformed note: no signature');
  return { text, signatures };
}

/** The signature line of `signer` over `text` (which ends with a newline). */
export function signatureLine(signer: Signer, text: string): string {
  if (!text.endsWith('\n')) throw new NoteError('note text must end with a newline');
  const sig = sign(null, Buffer.from(text, 'utf8'), signer.key);
  return `${EM_DASH} ${signer.name} ${Buffer.concat([signer.keyId, sig]).toString('base64')}\n`;
}

export function signNote(signer: Signer, text: string): string {
  return `${text}\n${signatureLine(signer, text)}`;
}

function matches(v: Verifier, s: NoteSignature): boolean {
  return s.name === v.name && s.keyId.equals(v.keyId);
}

/** Whether the note carries a valid signature by `verifier` (type 0x01). */
export function hasValidSignature(note: Note, verifier: Verifier): boolean {
  if (verifier.type !== ED25519) return false;
  return note.signatures.some(
    (s) =>
      matches(verifier, s) &&
      s.signature.length === 64 &&
      verify(
        null,
        Buffer.from(note.text, 'utf8'),
        publicKeyObject(verifier.publicKey),
        s.signature,
      ),
  );
}

function cosignedMessage(text: string, timestamp: bigint): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${text}`, 'utf8');
}

/** A witness's cosignature line over a checkpoint's text, at `timestamp` (POSIX seconds). */
export function cosignatureLine(witness: Signer, text: string, timestamp: number): string {
  if (witness.type !== COSIGNATURE_V1) throw new NoteError('a cosigning key has type 0x04');
  const t = BigInt(timestamp);
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(t);
  const sig = sign(null, cosignedMessage(text, t), witness.key);
  return `${EM_DASH} ${witness.name} ${Buffer.concat([witness.keyId, ts, sig]).toString('base64')}\n`;
}

/** The timestamp of the note's valid cosignature by `witness`, or null if it has none. */
export function validCosignature(
  note: Note,
  witness: Verifier,
): { timestamp: number; line: string } | null {
  if (witness.type !== COSIGNATURE_V1) return null;
  for (const s of note.signatures) {
    if (!matches(witness, s) || s.signature.length !== 72) continue;
    const t = s.signature.readBigUInt64BE(0);
    if (t > 2n ** 63n - 1n) continue;
    const ok = verify(
      null,
      cosignedMessage(note.text, t),
      publicKeyObject(witness.publicKey),
      s.signature.subarray(8),
    );
    if (ok) return { timestamp: Number(t), line: s.line };
  }
  return null;
}
