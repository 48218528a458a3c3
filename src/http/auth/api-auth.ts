import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.ts';
import type { PlatformSession, PlatformTokenVerifier } from './platform-token.ts';

/** Who is calling the API. */
export type Caller =
  | { kind: 'client'; name: string }
  | { kind: 'admin' }
  | { kind: 'user'; session: PlatformSession };

export interface ApiAuthenticator {
  /** Resolves the caller from `Authorization: Bearer ...`; throws 401 when absent or wrong. */
  authenticate(request: FastifyRequest): Promise<Caller>;
  /** Cheap check used to exempt the platform's own servers from per-IP rate limits. */
  isTrustedClient(request: FastifyRequest): boolean;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * API keys are compared by their SHA-256 (a map lookup on a hash leaks nothing useful through
 * timing). A bearer value that is not a key but looks like a JWT is a platform user token.
 */
export function createApiAuthenticator(options: {
  apiKeys: Record<string, string>;
  adminKey?: string | undefined;
  tokens: PlatformTokenVerifier;
}): ApiAuthenticator {
  const clients = new Map(Object.entries(options.apiKeys).map(([name, key]) => [sha(key), name]));
  const admin = options.adminKey ? sha(options.adminKey) : null;
  const bearer = (request: FastifyRequest) => {
    const h = request.headers.authorization;
    return h?.startsWith('Bearer ') ? h.slice(7).trim() : null;
  };
  // The rate limiter and the route both ask; hash the credential once per request.
  const hashes = new WeakMap<FastifyRequest, string | null>();
  const bearerHash = (request: FastifyRequest): string | null => {
    let h = hashes.get(request);
    if (h === undefined) {
      const token = bearer(request);
      h = token ? sha(token) : null;
      hashes.set(request, h);
    }
    return h;
  };
  return {
    async authenticate(request) {
      const token = bearer(request);
      const h = bearerHash(request);
      if (!token || !h)
        throw new AppError(
          'unauthorized',
          'send Authorization: Bearer <API key or platform token>',
        );
      if (admin && h === admin) return { kind: 'admin' };
      const name = clients.get(h);
      if (name) return { kind: 'client', name };
      if (token.split('.').length === 3)
        return { kind: 'user', session: await options.tokens.verify(token) };
      throw new AppError('unauthorized', 'unknown API key');
    },
    isTrustedClient(request) {
      const h = bearerHash(request);
      if (!h) return false;
      return clients.has(h) || h === admin;
    },
  };
}

export function requireAdmin(caller: Caller): void {
  if (caller.kind !== 'admin')
    throw new AppError('forbidden', 'this endpoint needs the admin credential');
}
