import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Sealed (encrypted and authenticated) cookie values: AES-256-GCM with a key derived from the
 * deployment secret by HKDF, one key per purpose. Sealed rather than merely signed because the
 * session may carry a verified email address, and email addresses must not show up in plain
 * text wherever cookies end up (proxy logs, browser dumps).
 */
export class Sealer {
  private readonly key: Buffer;

  constructor(secret: string, purpose: string) {
    if (!secret) throw new Error('config.secret is required to protect portal cookies');
    this.key = Buffer.from(hkdfSync('sha256', secret, 'veto-portal', `cookie:${purpose}`, 32));
  }

  seal(payload: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** The payload, or undefined when the value was forged, truncated or sealed with another key. */
  open<T>(value: string | undefined): T | undefined {
    if (!value) return undefined;
    try {
      const raw = Buffer.from(value, 'base64url');
      if (raw.length < 29) return undefined;
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
      return JSON.parse(text.toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }
}
