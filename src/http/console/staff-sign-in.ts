import * as oidc from 'openid-client';
import { roleFromClaim, type StaffMember } from '../../domain/console/staff.ts';

export interface StaffSignInSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  /** The console's callback URL, registered with the provider. */
  redirectUri: string;
  /** The ID-token claim holding the role(s). */
  roleClaim: string;
}

/** What the browser carries (sealed) from "sign in" to the provider's answer. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
  /** The console page to return to afterwards (a path under /console, checked). */
  returnTo: string;
}

/** Signed in at the provider, but no role in the configured claim: the console stays closed. */
export class NoStaffRole extends Error {}

/**
 * Staff sign-in with the platform's OpenID Connect provider (openid-client): authorization code
 * flow with PKCE, state and nonce, the role read from a configured ID-token claim. Discovery
 * runs on the first sign-in (and again after a failure), so Veto starts even while the provider
 * is down. Plain http is accepted only for a provider on this machine (tests, a local provider).
 */
export class StaffSignIn {
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(private readonly settings: StaffSignInSettings) {}

  private config(): Promise<oidc.Configuration> {
    if (!this.configuration) {
      const url = new URL(this.settings.issuer);
      const local = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
      this.configuration = oidc
        .discovery(
          url,
          this.settings.clientId,
          this.settings.clientSecret,
          undefined,
          url.protocol === 'http:' && local ? { execute: [oidc.allowInsecureRequests] } : undefined,
        )
        .catch((err: unknown) => {
          this.configuration = undefined;
          throw err;
        });
    }
    return this.configuration;
  }

  async start(returnTo: string): Promise<{ url: string; pending: PendingSignIn }> {
    const config = await this.config();
    const verifier = oidc.randomPKCECodeVerifier();
    const pending: PendingSignIn = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier,
      returnTo,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri,
      scope: 'openid profile veto',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url: url.toString(), pending };
  }

  /** Exchanges the code for tokens and reads who signed in; throws when anything does not match. */
  async finish(currentUrl: URL, pending: PendingSignIn): Promise<StaffMember> {
    const config = await this.config();
    const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (!claims) throw new Error('the provider returned no ID token');
    const role = roleFromClaim(claims[this.settings.roleClaim]);
    if (!role) throw new NoStaffRole(`no staff role in claim ${this.settings.roleClaim}`);
    const name = typeof claims.name === 'string' ? claims.name : undefined;
    return { issuer: claims.iss, sub: claims.sub, role, ...(name ? { name } : {}) };
  }
}
