import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StaffMember } from '../../domain/console/staff.ts';
import type { Sealer } from '../portal/sealed.ts';
import type { PendingSignIn } from './staff-sign-in.ts';

/**
 * The console's session: a sealed cookie scoped to /console, apart from the portal's (a staff
 * member who also uses the platform keeps two identities). Eight hours, then sign in again.
 */
export interface StaffSession {
  sid: string;
  staff: StaffMember;
  exp: number;
}

export const STAFF_SESSION_COOKIE = 'veto_staff';
const PENDING_COOKIE = 'veto_staff_pending';
const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
const PENDING_TTL_MS = 10 * 60 * 1000;

export class StaffCookies {
  constructor(
    private readonly sessions: Sealer,
    private readonly pendings: Sealer,
    private readonly secure: boolean,
  ) {}

  private options() {
    return { path: '/console', httpOnly: true, sameSite: 'lax' as const, secure: this.secure };
  }

  read(req: FastifyRequest): StaffSession | undefined {
    const s = this.sessions.open<StaffSession>(req.cookies[STAFF_SESSION_COOKIE]);
    if (!s || typeof s.exp !== 'number' || s.exp < Date.now() || !s.staff?.sub) return undefined;
    return s;
  }

  start(reply: FastifyReply, staff: StaffMember): StaffSession {
    const session = { sid: randomUUID(), staff, exp: Date.now() + SESSION_TTL_MS };
    reply.setCookie(STAFF_SESSION_COOKIE, this.sessions.seal(session), {
      ...this.options(),
      maxAge: SESSION_TTL_MS / 1000,
    });
    return session;
  }

  clear(reply: FastifyReply): void {
    reply.clearCookie(STAFF_SESSION_COOKIE, this.options());
  }

  readPending(req: FastifyRequest): PendingSignIn | undefined {
    const p = this.pendings.open<PendingSignIn & { exp: number }>(req.cookies[PENDING_COOKIE]);
    if (!p || p.exp < Date.now()) return undefined;
    return p;
  }

  writePending(reply: FastifyReply, pending: PendingSignIn): void {
    reply.setCookie(
      PENDING_COOKIE,
      this.pendings.seal({ ...pending, exp: Date.now() + PENDING_TTL_MS }),
      {
        ...this.options(),
        maxAge: PENDING_TTL_MS / 1000,
      },
    );
  }

  clearPending(reply: FastifyReply): void {
    reply.clearCookie(PENDING_COOKIE, this.options());
  }
}
