import type { Server } from 'node:http';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { freePort } from './server-process.ts';

/**
 * A real OpenID Connect provider (oidc-provider) running in-process for the console's tests:
 * its development login form accepts any login with any password, and the account's role claim
 * comes from `roles` (a login missing there gets no role). The grant is given without a consent
 * screen, as a platform's own identity provider does for its own staff tool.
 */
export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

export const TEST_CLIENT_ID = 'veto-console';
export const TEST_CLIENT_SECRET = 'veto-console-secret-0123456789-0123456789';

export async function startTestProvider(options: {
  redirectUri: string;
  roles: Record<string, string | string[]>;
  roleClaim?: string;
}): Promise<TestProvider> {
  const roleClaim = options.roleClaim ?? 'veto_role';
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: TEST_CLIENT_ID,
        client_secret: TEST_CLIENT_SECRET,
        redirect_uris: [options.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    claims: { openid: ['sub'], profile: ['name'], veto: [roleClaim] },
    scopes: ['openid', 'profile', 'veto'],
    // Claims in the ID token: the console reads the role from it without a userinfo call.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          const role = options.roles[sub];
          return { sub, name: `Staff ${sub}`, ...(role ? { [roleClaim]: role } : {}) };
        },
      };
    },
    async loadExistingGrant(ctx) {
      const session = ctx.oidc.session;
      const client = ctx.oidc.client;
      if (!session?.accountId || !client) return undefined;
      const grant = new ctx.oidc.provider.Grant({
        clientId: client.clientId,
        accountId: session.accountId,
      });
      grant.addOIDCScope('openid profile veto');
      grant.addOIDCClaims(['name', roleClaim]);
      await grant.save();
      return grant;
    },
  });
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    issuer,
    clientId: TEST_CLIENT_ID,
    clientSecret: TEST_CLIENT_SECRET,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Signs in at the provider as a browser would, without one: follows the authorization URL to the
 * login form, posts `login`, and returns the URL the provider sends the browser back to (the
 * console's callback with its code and state).
 */
export async function loginAtProvider(authorizationUrl: string, login: string): Promise<string> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
  };
  let url = authorizationUrl;
  let method = 'GET';
  let body: string | undefined;
  for (let hop = 0; hop < 10; hop++) {
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        cookie: cookieHeader(),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body ? { body } : {}),
    });
    keep(res);
    const location = res.headers.get('location');
    if (location) {
      const next = new URL(location, url).toString();
      if (!next.startsWith(new URL(authorizationUrl).origin)) return next;
      url = next;
      method = 'GET';
      body = undefined;
      continue;
    }
    const page = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    if (!action || !/name="login"/.test(page)) {
      throw new Error(`unexpected provider page (${res.status}): ${page.slice(0, 300)}`);
    }
    url = new URL(action.replace(/&amp;/g, '&'), url).toString();
    method = 'POST';
    body = new URLSearchParams({ prompt: 'login', login, password: 'any' }).toString();
  }
  throw new Error('too many redirects at the provider');
}
