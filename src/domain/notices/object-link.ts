import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/**
 * The one-click objection link of a notice email: a signed, single-purpose capability. It says
 * "account A may object to purpose P, having been sent notice version V, until T", and nothing
 * else; the language only picks the page's language.
 *
 * What a forwarded link allows: whoever holds it can record an objection for that account and
 * purpose, which is what the account holder was invited to do and costs them nothing they cannot
 * undo when signed in. It never reads the account's status (the page after the click says the
 * same thing whether an objection existed before or not, with no reference, date or link to the
 * status), never withdraws, and never opens a session: every other page still needs the
 * platform's sign-in. It expires (`VETO_OBJECT_LINK_DAYS`).
 *
 * The objection's receipt goes to the address the notice email was sent to, which the link
 * carries encrypted (AES-256-GCM): the link's holder cannot read it, and a click on a forwarded
 * copy tells the account holder, never the one who clicked.
 *
 * HMAC-SHA256 with a key derived (HKDF) from `VETO_OBJECT_LINK_SECRET`, or from `VETO_SECRET`
 * when that is not set: rotating the secret voids every link sent.
 */
export interface ObjectLinkClaims {
  accountId: string;
  purpose: string;
  /** The notice version the email carried. */
  version: string;
  language: string;
  /** ISO instant after which the link is refused. */
  expiresAt: string;
  /** Where the objection's receipt goes: the address the notice email was sent to. */
  receiptTo?: string;
}

const FORMAT = 'ol1';

function key(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'veto-object-link', 'object-link-hmac', 32));
}

function addressKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'veto-object-link', 'object-link-address', 32));
}

function sealAddress(secret: string, address: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', addressKey(secret), iv);
  const body = Buffer.concat([cipher.update(address, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

function openAddress(secret: string, sealed: string): string | undefined {
  try {
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 29) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', addressKey(secret), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

function mac(secret: string, body: string): Buffer {
  return createHmac('sha256', key(secret)).update(`${FORMAT}.${body}`).digest();
}

export function signObjectLink(secret: string, claims: ObjectLinkClaims): string {
  const body = Buffer.from(
    JSON.stringify({
      a: claims.accountId,
      p: claims.purpose,
      v: claims.version,
      l: claims.language,
      e: Math.floor(Date.parse(claims.expiresAt) / 1000),
      ...(claims.receiptTo ? { r: sealAddress(secret, claims.receiptTo) } : {}),
    }),
  ).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

export type ObjectLinkCheck =
  | { ok: true; claims: ObjectLinkClaims }
  | { ok: false; reason: 'invalid' | 'expired' };

/** Checks the signature first, then the expiry; anything malformed is `invalid`. */
export function verifyObjectLink(secret: string, token: string, now: string): ObjectLinkCheck {
  const m = /^([A-Za-z0-9_-]{1,2000})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return { ok: false, reason: 'invalid' };
  const given = Buffer.from(m[2]!, 'base64url');
  const expected = mac(secret, m[1]!);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'invalid' };
  let raw: { a?: unknown; p?: unknown; v?: unknown; l?: unknown; e?: unknown; r?: unknown };
  try {
    raw = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  const { a, p, v, l, e, r } = raw;
  if (
    typeof a !== 'string' ||
    typeof p !== 'string' ||
    typeof v !== 'string' ||
    typeof l !== 'string' ||
    typeof e !== 'number'
  )
    return { ok: false, reason: 'invalid' };
  if (e * 1000 <= Date.parse(now)) return { ok: false, reason: 'expired' };
  let receiptTo: string | undefined;
  if (r !== undefined) {
    receiptTo = typeof r === 'string' ? openAddress(secret, r) : undefined;
    if (receiptTo === undefined) return { ok: false, reason: 'invalid' };
  }
  return {
    ok: true,
    claims: {
      accountId: a,
      purpose: p,
      version: v,
      language: l,
      expiresAt: new Date(e * 1000).toISOString(),
      ...(receiptTo !== undefined ? { receiptTo } : {}),
    },
  };
}
