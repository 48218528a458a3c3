import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { VetoConfigInput } from '../../src/config.ts';
import { loginAtProvider, startTestProvider, type TestProvider } from './oidc-test-provider.ts';
import { testApp } from './test-app.ts';

export const CONSOLE_PUBLIC_URL = 'http://veto.test';

/** Staff logins the test provider knows, with their role claims. */
export const STAFF_ROLES: Record<string, string | string[]> = {
  vera: 'viewer',
  remi: ['viewer', 'reviewer'],
  ada: 'admin',
};

/** A test app with the console on, signed in through a real OpenID Connect provider. */
export async function consoleApp(
  t: { after: (fn: () => void | Promise<void>) => void },
  overrides: Partial<VetoConfigInput> = {},
) {
  const provider: TestProvider = await startTestProvider({
    redirectUri: `${CONSOLE_PUBLIC_URL}/console/callback`,
    roles: STAFF_ROLES,
  });
  t.after(() => provider.close());
  const ctx = await testApp(t, {
    publicUrl: CONSOLE_PUBLIC_URL,
    staffOidcIssuer: provider.issuer,
    staffOidcClientId: provider.clientId,
    staffOidcClientSecret: provider.clientSecret,
    ...overrides,
  });
  return { ...ctx, provider, staff: (login: string) => StaffBrowser.signIn(ctx.app, login) };
}

/** A cookie jar over `inject`: what a browser would keep between console requests. */
export class StaffBrowser {
  readonly jar = new Map<string, string>();
  constructor(readonly app: FastifyInstance) {}

  static async signIn(app: FastifyInstance, login: string): Promise<StaffBrowser> {
    const b = new StaffBrowser(app);
    const start = await b.get('/console/login');
    if (start.statusCode !== 303) throw new Error(`login: ${start.statusCode} ${start.body}`);
    const back = new URL(await loginAtProvider(start.headers.location as string, login));
    const done = await b.get(`${back.pathname}${back.search}`);
    b.last = done;
    return b;
  }

  last: LightMyRequestResponse | undefined;

  private keep(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of res.cookies) {
      if (c.value === '' || (c.maxAge !== undefined && c.maxAge <= 0)) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    return res;
  }

  private cookie(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(url: string, headers: Record<string, string> = {}) {
    return this.keep(
      await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookie(), ...headers } }),
    );
  }

  async post(url: string, form: Record<string, string>) {
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url,
        headers: { cookie: this.cookie(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(form).toString(),
      }),
    );
  }

  /** The CSRF token of the first form on a page. */
  static csrf(page: LightMyRequestResponse): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(page.body);
    if (!m) throw new Error('no form with a CSRF token on the page');
    return m[1]!;
  }
}
