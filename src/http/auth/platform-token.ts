import { createRemoteJWKSet, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { AppError } from '../../domain/errors.ts';
import { isTimeZone } from '../../i18n/catalogue.ts';
import { accountIdProblem } from '../../registry-files/subject-key-rule.ts';

/** Who the platform says is logged in. */
export interface PlatformSession {
  accountId: string;
  language?: string;
  email?: string;
  name?: string;
  /** IANA time zone (`zoneinfo`, the OpenID Connect claim): pages show times in it. */
  timeZone?: string;
}

export interface PlatformTokenVerifier {
  verify(token: string): Promise<PlatformSession>;
}

export interface PlatformTokenConfig {
  platformJwtSecret?: string | undefined;
  platformJwksUrl?: string | undefined;
  platformJwtIssuer?: string | undefined;
  platformJwtAudience?: string | undefined;
  /** Tokens living longer than this are refused (a leaked link must expire soon). */
  platformJwtMaxLifetimeSeconds?: number | undefined;
}

/** Without configuration: a day, far beyond a session link's needs, far short of a year. */
const DEFAULT_MAX_LIFETIME_SECONDS = 24 * 3600;

/**
 * The platform's session reaches Veto as a signed JWT: `sub` is the account id; optional `lang`,
 * `email`, `name` and `zoneinfo` (an IANA time zone; one this runtime does not know is ignored,
 * and times stay in UTC, said so) claims. Verified with the shared secret (HS256) or the platform's JWKS.
 * Expiry is required so a leaked link stops working.
 */
export function createPlatformTokenVerifier(config: PlatformTokenConfig): PlatformTokenVerifier {
  const key = config.platformJwksUrl
    ? createRemoteJWKSet(new URL(config.platformJwksUrl))
    : new TextEncoder().encode(config.platformJwtSecret ?? '');
  if (!config.platformJwksUrl && !config.platformJwtSecret) {
    throw new Error('platform tokens need VETO_PLATFORM_JWT_SECRET or VETO_PLATFORM_JWKS_URL');
  }
  const options = {
    issuer: config.platformJwtIssuer,
    audience: config.platformJwtAudience,
    requiredClaims: ['sub', 'exp'],
    algorithms: config.platformJwksUrl ? ['RS256', 'ES256', 'EdDSA'] : ['HS256'],
  };
  return {
    async verify(token: string): Promise<PlatformSession> {
      let payload: JWTPayload;
      try {
        // jose's overloads differ for a key and a JWKS getter; both are valid here.
        ({ payload } = await jwtVerify(token, key as Uint8Array, options));
      } catch (err) {
        throw new AppError('unauthorized', `platform token rejected: ${(err as Error).message}`, {
          messageKey: 'error.session-invalid',
        });
      }
      // A token valid for years is a standing credential, not a session: refuse it, whatever
      // signed it. Measured from `iat` when present, else from now.
      const maxLifetime = config.platformJwtMaxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;
      const from = typeof payload.iat === 'number' ? payload.iat : Math.floor(Date.now() / 1000);
      if (typeof payload.exp === 'number' && payload.exp - from > maxLifetime) {
        throw new AppError(
          'unauthorized',
          `platform token rejected: lifetime ${payload.exp - from} s exceeds the maximum ${maxLifetime} s`,
          { messageKey: 'error.session-invalid' },
        );
      }
      const sub = payload.sub ?? '';
      if (!sub) throw new AppError('unauthorized', 'platform token has no subject');
      // The intake's one account id rule, here too: a session only ever names an id that the
      // registry can record and write to a snapshot.
      const problem = accountIdProblem(sub);
      if (problem) {
        throw new AppError('unauthorized', `platform token's subject: ${problem}`, {
          issues: [{ field: 'token.sub', reason: problem }],
          messageKey: 'error.session-invalid',
        });
      }
      const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
      const session: PlatformSession = { accountId: sub };
      const language = str(payload.lang);
      const email = str(payload.email);
      const name = str(payload.name);
      if (language) session.language = language;
      if (email) session.email = email;
      if (name) session.name = name;
      const zone = str(payload.zoneinfo);
      if (zone && isTimeZone(zone)) session.timeZone = zone;
      return session;
    },
  };
}

/** Signs a token the way a platform would; used by the demo platform and tests. */
export async function signDemoToken(
  secret: string,
  claims: { sub: string; lang?: string; email?: string; name?: string; zoneinfo?: string },
  ttlSeconds = 3600,
): Promise<string> {
  const { sub, ...rest } = claims;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}
