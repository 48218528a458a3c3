import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
} from 'node:crypto';

/**
 * RSA-FDH-VRF-SHA256 of RFC 9381 §4: a verifiable random function. Only the key holder can
 * compute `beta` for an input `alpha`, and anyone with the public key can check, from the proof
 * `pi`, that `beta` is the one and only output for `alpha` (an RSA full-domain-hash signature is
 * unique, which an Ed25519 signature is not). RSASP1 / RSAVP1 (RFC 8017 §5.2) are raw RSA, done
 * by OpenSSL through `privateDecrypt` / `publicEncrypt` without padding; MGF1 (RFC 8017 B.2.1),
 * I2OSP and OS2IP are written out here as the RFC states them.
 */
export const VRF_SUITE = 'RSA-FDH-VRF-SHA256';
const SUITE_STRING = 0x01;
const MGF_DOMAIN_SEPARATOR = 0x01;
const PROOF_TO_HASH_DOMAIN_SEPARATOR = 0x02;
/** The shortest modulus accepted, in octets (RSA-2048): RFC 9381 §7.1.1 asks for a secure key. */
export const MIN_MODULUS_OCTETS = 256;

export class VrfKeyError extends Error {}

/** I2OSP of RFC 8017 §4.1: `x` as exactly `length` big-endian octets. */
export function i2osp(x: bigint, length: number): Buffer {
  if (x < 0n) throw new RangeError('I2OSP: negative integer');
  const hex = x.toString(16);
  if (hex.length > length * 2) throw new RangeError('I2OSP: integer too large');
  return Buffer.from(hex.padStart(length * 2, '0'), 'hex');
}

/** OS2IP of RFC 8017 §4.2. */
export function os2ip(octets: Uint8Array): bigint {
  if (octets.length === 0) return 0n;
  return BigInt(`0x${Buffer.from(octets).toString('hex')}`);
}

/** MGF1 of RFC 8017 B.2.1 with SHA-256. */
export function mgf1Sha256(seed: Uint8Array, maskLen: number): Buffer {
  const hLen = 32;
  const blocks = Math.ceil(maskLen / hLen);
  const parts: Buffer[] = [];
  for (let counter = 0; counter < blocks; counter++) {
    parts.push(
      createHash('sha256')
        .update(seed)
        .update(i2osp(BigInt(counter), 4))
        .digest(),
    );
  }
  return Buffer.concat(parts).subarray(0, maskLen);
}

export interface VrfPublicKey {
  key: KeyObject;
  n: bigint;
  /** k: the modulus length in octets. */
  k: number;
  /** The SubjectPublicKeyInfo (DER): what the key id hashes and the PEM carries. */
  spki: Buffer;
  /** Hex SHA-256 of the SPKI DER: names the key in proofs and manifests. */
  keyId: string;
  pem: string;
}

export interface VrfPrivateKey {
  key: KeyObject;
  public: VrfPublicKey;
}

function publicFrom(key: KeyObject): VrfPublicKey {
  if (key.asymmetricKeyType !== 'rsa') throw new VrfKeyError('not an RSA key');
  const jwk = key.export({ format: 'jwk' });
  const n = os2ip(Buffer.from(jwk.n!, 'base64url'));
  const k = Math.ceil(n.toString(2).length / 8);
  if (k < MIN_MODULUS_OCTETS) {
    throw new VrfKeyError(
      `an RSA key of ${k * 8} bits; at least ${MIN_MODULUS_OCTETS * 8} are needed`,
    );
  }
  const spki = key.export({ type: 'spki', format: 'der' });
  return {
    key,
    n,
    k,
    spki,
    keyId: createHash('sha256').update(spki).digest('hex'),
    pem: key.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A VRF public key from PEM (SPKI or PKCS#1) text or base64 SPKI DER. */
export function parseVrfPublicKey(text: string): VrfPublicKey {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    key = trimmed.startsWith('-----')
      ? createPublicKey(trimmed)
      : createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
  } catch (err) {
    throw new VrfKeyError(`not an RSA public key: ${(err as Error).message}`);
  }
  return publicFrom(key);
}

/** A VRF private key from PEM (PKCS#8 or PKCS#1). */
export function parseVrfPrivateKey(pem: string): VrfPrivateKey {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new VrfKeyError(`not an RSA private key: ${(err as Error).message}`);
  }
  return { key, public: publicFrom(createPublicKey(key)) };
}

/** A new RSA key for the VRF, as PKCS#8 PEM. */
export function generateVrfKeyPem(bits = 2048): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** EM = MGF1(suite_string || 0x01 || MGF_salt || alpha, k − 1), MGF_salt = I2OSP(k,4) || I2OSP(n,k). */
function encode(pk: VrfPublicKey, alpha: Uint8Array): Buffer {
  const seed = Buffer.concat([
    Buffer.from([SUITE_STRING, MGF_DOMAIN_SEPARATOR]),
    i2osp(BigInt(pk.k), 4),
    i2osp(pk.n, pk.k),
    alpha,
  ]);
  return mgf1Sha256(seed, pk.k - 1);
}

/** RFC 9381 §4.1 RSAFDHVRF_prove: pi = I2OSP(RSASP1(K, OS2IP(EM)), k). */
export function vrfProve(sk: VrfPrivateKey, alpha: Uint8Array): Buffer {
  const pk = sk.public;
  // m = OS2IP(EM) < 2^(8(k−1)) ≤ n, so the k-octet input is a valid RSASP1 argument.
  const m = Buffer.concat([Buffer.alloc(1), encode(pk, alpha)]);
  const s = privateDecrypt({ key: sk.key, padding: constants.RSA_NO_PADDING }, m);
  return i2osp(os2ip(s), pk.k);
}

/** RFC 9381 §4.2 RSAFDHVRF_proof_to_hash: beta = SHA-256(suite_string || 0x02 || pi). */
export function vrfProofToHash(pi: Uint8Array): Buffer {
  return createHash('sha256')
    .update(Buffer.from([SUITE_STRING, PROOF_TO_HASH_DOMAIN_SEPARATOR]))
    .update(pi)
    .digest();
}

/**
 * RFC 9381 §4.3 RSAFDHVRF_verify: beta when `pi` is the proof for `alpha` under `pk`, else
 * undefined ("INVALID").
 */
export function vrfVerify(pk: VrfPublicKey, alpha: Uint8Array, pi: Uint8Array): Buffer | undefined {
  if (pi.length !== pk.k) return undefined;
  const s = os2ip(pi);
  // RSAVP1 step 1: the signature representative must lie in [0, n − 1].
  if (s >= pk.n) return undefined;
  let m: Buffer;
  try {
    m = publicEncrypt({ key: pk.key, padding: constants.RSA_NO_PADDING }, Buffer.from(pi));
  } catch {
    return undefined;
  }
  const expected = Buffer.concat([Buffer.alloc(1), encode(pk, alpha)]);
  if (m.length !== expected.length || !m.equals(expected)) return undefined;
  return vrfProofToHash(pi);
}
