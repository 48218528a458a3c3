import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { tempDir } from '../support/temp.ts';
import { testApp } from '../support/test-app.ts';
import { TEST_JWT_SECRET } from '../support/test-veto.ts';
import { runVeto, sqliteEnv } from '../support/veto-cli.ts';

const SECRET = 'token-settings-secret-0123456789-0123456789';

test('serve outside --demo refuses to start without a token issuer and audience', async (t) => {
  const dir = tempDir(t);
  // A port held here, so a server that gets past the check stops at once (EADDRINUSE).
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => blocker.close());
  const env = {
    ...sqliteEnv(dir, SECRET),
    VETO_PLATFORM_JWT_SECRET: 'token-settings-jwt-secret-0123456789-0123456789',
    VETO_PORT: String((blocker.address() as { port: number }).port),
  };
  const r = runVeto(env, 'serve');
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /VETO_PLATFORM_JWT_ISSUER and VETO_PLATFORM_JWT_AUDIENCE/);
  assert.match(r.err, /VETO_PLATFORM_JWT_ANY_ISSUER=1/);
  // Only the issuer: still refused.
  const half = runVeto({ ...env, VETO_PLATFORM_JWT_ISSUER: 'https://p.example' }, 'serve');
  assert.equal(half.code, 2, half.err);
  // The explicit opt-out gets past the check (and then stops on the port held above).
  const optOut = runVeto(
    { ...env, VETO_PLATFORM_JWT_ANY_ISSUER: '1', VETO_LOG_LEVEL: 'warn' },
    'serve',
  );
  assert.equal(optOut.code, 1, optOut.err);
  assert.match(optOut.out + optOut.err, /accepted without checking their issuer and audience/);
});

async function token(claims: Record<string, unknown>, lifetimeSeconds: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setIssuedAt(now)
    .setExpirationTime(now + lifetimeSeconds)
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

test('platform tokens: wrong issuer or audience, or a 10-year lifetime, are refused', async (t) => {
  const { app } = await testApp(t, {
    platformJwtIssuer: 'https://platform.example',
    platformJwtAudience: 'veto',
  });
  const status = async (jwt: string) =>
    (
      await app.inject({
        url: '/v1/me',
        headers: { authorization: `Bearer ${jwt}` },
      })
    ).statusCode;
  const good = { iss: 'https://platform.example', aud: 'veto' };
  assert.equal(await status(await token(good, 3600)), 200);
  assert.equal(await status(await token({ ...good, iss: 'https://other.example' }, 3600)), 401);
  assert.equal(await status(await token({ ...good, aud: 'another-service' }, 3600)), 401);
  assert.equal(await status(await token(good, 10 * 365 * 24 * 3600)), 401);
});
