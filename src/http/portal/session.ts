import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Sealer } from './sealed.ts';
import type { PlatformClaims } from './types.ts';

/**
 * Veto's own session, separate from the platform's: the platform hands over a signed token
 * once (GET /session?token=...), Veto checks it and from then on relies on this cookie, so the
 * person never has to sign in again or confirm by email. HttpOnly, SameSite=Lax (the link from
 * the platform is a top-level navigation, which Lax allows), sealed with the deployment secret.
 */
export interface PortalSession {
  /** Random id; CSRF tokens are bound to it so a token from one session fails in another. */
  sid: string;
  account?: { id: string; name?: string; email?: string; language?: string; timeZone?: string };
  /** A non-user's email address, proven with a one-time code. */
  verifiedEmail?: string;
  /** Expiry, in ms since the epoch. */
  exp: number;
}

/** What CSRF tokens are bound to: the session id, or a fixed marker before any session exists. */
export function csrfUserInfo(session: PortalSession | undefined): string {
  // @fastify/csrf refuses an empty userInfo, so "no session" needs a non-empty marker.
  return session?.sid ?? 'anonymous';
}

export const SESSION_COOKIE = 'veto_session';
export const PENDING_COOKIE = 'veto_pending';
export const LANG_COOKIE = 'veto_lang';
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
export const PENDING_TTL_MS = 30 * 60 * 1000;

export interface CookieSettings {
  path: string;
  secure: boolean;
}

export class SessionCookies {
  constructor(
    private readonly sealer: Sealer,
    private readonly settings: CookieSettings,
  ) {}

  read(req: FastifyRequest): PortalSession | undefined {
    const session = this.sealer.open<PortalSession>(req.cookies[SESSION_COOKIE]);
    if (!session || typeof session.exp !== 'number' || session.exp < Date.now()) return undefined;
    return session;
  }

  write(reply: FastifyReply, session: PortalSession): void {
    reply.setCookie(SESSION_COOKIE, this.sealer.seal(session), {
      ...this.options(),
      maxAge: Math.max(0, Math.floor((session.exp - Date.now()) / 1000)),
    });
  }

  clear(reply: FastifyReply): void {
    reply.clearCookie(SESSION_COOKIE, this.options());
  }

  /** A fresh session for a platform account, replacing whatever was there. */
  fromClaims(claims: PlatformClaims): PortalSession {
    return {
      sid: randomUUID(),
      account: {
        id: claims.accountId,
        ...(claims.name ? { name: claims.name } : {}),
        ...(claims.email ? { email: claims.email } : {}),
        ...(claims.language ? { language: claims.language } : {}),
        ...(claims.timeZone ? { timeZone: claims.timeZone } : {}),
      },
      exp: Date.now() + SESSION_TTL_MS,
    };
  }

  /** Adds a verified email address to the current session (or starts one). */
  withVerifiedEmail(current: PortalSession | undefined, email: string): PortalSession {
    return {
      ...(current ?? { sid: randomUUID() }),
      verifiedEmail: email,
      exp: Date.now() + SESSION_TTL_MS,
    };
  }

  /** The address a non-user is confirming: kept between "send me a code" and "enter the code". */
  readPending(req: FastifyRequest): { email: string } | undefined {
    const pending = this.sealer.open<{ email: string; exp: number }>(req.cookies[PENDING_COOKIE]);
    if (!pending || pending.exp < Date.now() || typeof pending.email !== 'string') return undefined;
    return { email: pending.email };
  }

  writePending(reply: FastifyReply, email: string): void {
    reply.setCookie(PENDING_COOKIE, this.sealer.seal({ email, exp: Date.now() + PENDING_TTL_MS }), {
      ...this.options(),
      maxAge: PENDING_TTL_MS / 1000,
    });
  }

  clearPending(reply: FastifyReply): void {
    reply.clearCookie(PENDING_COOKIE, this.options());
  }

  /** The language chosen with the switcher: a preference, not personal data, so not sealed. */
  readLanguage(req: FastifyRequest): string | undefined {
    return req.cookies[LANG_COOKIE];
  }

  writeLanguage(reply: FastifyReply, lang: string): void {
    reply.setCookie(LANG_COOKIE, lang, { ...this.options(), maxAge: 365 * 24 * 3600 });
  }

  clearLanguage(reply: FastifyReply): void {
    reply.clearCookie(LANG_COOKIE, this.options());
  }

  private options() {
    return {
      path: this.settings.path,
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: this.settings.secure,
    };
  }
}
