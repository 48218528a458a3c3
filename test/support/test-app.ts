import type { FastifyInstance } from 'fastify';
import type { VetoConfigInput } from '../../src/config.ts';
import { buildApp } from '../../src/http/app.ts';
import { signDemoToken } from '../../src/http/auth/platform-token.ts';
import type { CaptureMailer } from './capture-mailer.ts';
import { TEST_ADMIN_KEY, TEST_API_KEY, TEST_JWT_SECRET, testVeto } from './test-veto.ts';

/** A built app (not listening) on a fresh registry, for `inject` tests. */
export async function testApp(
  t: { after: (fn: () => void | Promise<void>) => void },
  overrides: Partial<VetoConfigInput> = {},
) {
  const ctx = await testVeto(t, overrides);
  const app: FastifyInstance = await buildApp(ctx.veto);
  t.after(() => app.close());
  return {
    ...ctx,
    app,
    mailer: ctx.mailer as CaptureMailer,
    apiKey: { authorization: `Bearer ${TEST_API_KEY}` },
    admin: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    async user(accountId: string, claims: { lang?: string; email?: string } = {}) {
      return {
        authorization: `Bearer ${await signDemoToken(TEST_JWT_SECRET, { sub: accountId, ...claims })}`,
      };
    },
  };
}
