import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Objection, SubjectRef } from '../../domain/types.ts';
import type { Catalogue } from '../../i18n/catalogue.ts';
import { lookupLanguage, negotiateLanguage } from '../../i18n/negotiate.ts';
import { applyGpcSignal, type GpcOutcome, hasGpcSignal } from '../../signals/gpc.ts';
import { CodeVerifier } from './code-verifier.ts';
import type { PageContext } from './context.ts';
import { layout, type PageParts } from './layout.ts';
import { sameOriginPath } from './same-origin.ts';
import { csrfUserInfo, type PortalSession, type SessionCookies } from './session.ts';
import type { PortalOptions } from './types.ts';

// Crockford base32 references as printed on receipts (src/lib/ids.ts). Checked before any
// lookup so that junk never reaches the store.
const REFERENCE = /^VT-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

export type Query = Record<string, string | string[] | undefined>;

function firstString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

export function queryParam(req: FastifyRequest, name: string): string | undefined {
  return firstString((req.query as Query | undefined)?.[name]);
}

export function bodyParam(req: FastifyRequest, name: string): string {
  const body = req.body as Record<string, unknown> | undefined;
  return firstString(body?.[name]) ?? '';
}

/**
 * Per-request state of the portal (session, language) and the helpers routes share. Kept out
 * of Fastify decorators so the portal adds nothing to the host application's types.
 */
export class PortalRuntime {
  readonly verifier: CodeVerifier;
  private readonly sessions = new WeakMap<FastifyRequest, PortalSession | undefined>();
  private readonly languages = new WeakMap<FastifyRequest, string>();
  private readonly signals = new WeakMap<FastifyRequest, GpcOutcome>();

  constructor(
    readonly options: PortalOptions,
    readonly catalogue: Catalogue,
    readonly cookies: SessionCookies,
    /** Where the portal is mounted ("" at the root). */
    readonly base: string,
  ) {
    this.verifier = new CodeVerifier((email, code) =>
      options.registry.verifyEmailCode(email, code),
    );
  }

  get registry() {
    return this.options.registry;
  }

  session(req: FastifyRequest): PortalSession | undefined {
    if (!this.sessions.has(req)) this.sessions.set(req, this.cookies.read(req));
    return this.sessions.get(req);
  }

  /** Replaces the session for the rest of this request and in the browser. */
  setSession(req: FastifyRequest, reply: FastifyReply, session: PortalSession): void {
    this.sessions.set(req, session);
    this.cookies.write(reply, session);
  }

  clearSession(req: FastifyRequest, reply: FastifyReply): void {
    this.sessions.set(req, undefined);
    this.cookies.clear(reply);
  }

  /**
   * The page language (see src/i18n/negotiate.ts for the order). A `?lang=` that names an
   * available language is remembered in a cookie, so the choice follows the person around.
   */
  language(req: FastifyRequest, reply: FastifyReply): string {
    const known = this.languages.get(req);
    if (known) return known;
    const available = this.catalogue.languages;
    const asked = queryParam(req, 'lang');
    const chosenNow = asked ? lookupLanguage(asked, available) : undefined;
    if (chosenNow && chosenNow !== this.cookies.readLanguage(req)) {
      this.cookies.writeLanguage(reply, chosenNow);
    }
    const remembered = this.cookies.readLanguage(req);
    const lang = negotiateLanguage(
      {
        chosen: chosenNow ?? (remembered ? lookupLanguage(remembered, available) : undefined),
        account: this.session(req)?.account?.language,
        acceptLanguage: req.headers['accept-language'],
      },
      available,
      this.catalogue.defaultLanguage,
    );
    this.languages.set(req, lang);
    return lang;
  }

  /**
   * A page that knows the person's language from elsewhere (a notice email's link names the
   * language the email was in): it wins over the browser's headers, never over a switcher choice.
   */
  preferLanguage(req: FastifyRequest, lang: string): void {
    if (queryParam(req, 'lang') || this.cookies.readLanguage(req)) return;
    const known = lookupLanguage(lang, this.catalogue.languages);
    if (known) this.languages.set(req, known);
  }

  /** Forget a switcher choice made before the platform told us the account's language. */
  resetLanguage(req: FastifyRequest, reply: FastifyReply): void {
    this.languages.delete(req);
    if (this.cookies.readLanguage(req)) this.cookies.clearLanguage(reply);
  }

  /**
   * Handles a `Sec-GPC: 1` request (src/signals/gpc.ts) once, before its page is rendered; the
   * page then says what the signal did. A failure to record never fails the page: it is
   * logged, the page says so, and the next visit tries again.
   */
  async applySignal(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (this.signals.has(req) || !hasGpcSignal(req.headers)) return;
    const { config, registry } = this.options;
    const account = this.session(req)?.account;
    let outcome: GpcOutcome;
    try {
      outcome = await applyGpcSignal(
        registry,
        {
          mode: config.gpc ?? 'off',
          sharingPurpose: config.gpcPurpose ?? 'third-party-sharing',
          defaultPurpose: registry.settings.defaultPurpose,
        },
        account ? { accountId: account.id, email: account.email } : undefined,
        this.language(req, reply),
      );
    } catch (err) {
      req.log.warn({ err }, 'could not record a Global Privacy Control signal');
      outcome = { kind: 'failed' };
    }
    this.signals.set(req, outcome);
  }

  context(req: FastifyRequest, reply: FastifyReply): PageContext {
    const lang = this.language(req, reply);
    const session = this.session(req);
    const [pathPart = '/', queryPart = ''] = req.url.split('?', 2);
    const query = new URLSearchParams(queryPart);
    query.delete('lang');
    query.delete('token');
    // The switcher links back to this page, so the page is taken from the route that matched,
    // never echoed from an address no route knows (`//evil.example/login` would make every
    // language link point at evil.example). An unknown address's page links to the start.
    const matched = req.routeOptions.url !== undefined && req.is404 !== true;
    const here = matched && pathPart.startsWith(this.base) ? pathPart.slice(this.base.length) : '';
    const path = sameOriginPath(here || '/') ?? '/';
    if (!matched) for (const key of [...query.keys()]) query.delete(key);
    return {
      lang,
      catalogue: this.catalogue,
      platformName: this.options.config.platformName,
      base: this.base,
      here: { path, query },
      csrf: reply.generateCsrf({ userInfo: csrfUserInfo(session) }),
      session,
      demo: this.options.config.demo,
      signal: this.signals.get(req),
    };
  }

  send(reply: FastifyReply, ctx: PageContext, page: PageParts, status = 200): FastifyReply {
    return reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-language', ctx.lang)
      .header('cache-control', 'no-store')
      .header('vary', 'Accept-Language, Cookie, Sec-GPC')
      .send(layout(ctx, page));
  }

  redirect(reply: FastifyReply, path: string, query: Record<string, string> = {}): FastifyReply {
    const qs = new URLSearchParams(query).toString();
    return reply.redirect(`${this.base}${path}${qs ? `?${qs}` : ''}`, 303);
  }

  /** The subjects the current session speaks for: the account and/or a verified address. */
  subjects(req: FastifyRequest): SubjectRef[] {
    const s = this.session(req);
    const out: SubjectRef[] = [];
    if (s?.account) out.push({ kind: 'account', accountId: s.account.id });
    if (s?.verifiedEmail) out.push({ kind: 'email', email: s.verifiedEmail });
    return out;
  }

  ownsSubjectKey(req: FastifyRequest, subjectKey: string): boolean {
    return this.subjects(req).some((s) => this.registry.subjectKey(s) === subjectKey);
  }

  /**
   * The objection behind `reference` if this person may see it: their session owns it, or they
   * hold the status token from their receipt. Anything else is "not found", identical to a
   * reference that does not exist, so nobody learns whether someone else objected.
   */
  async owned(
    req: FastifyRequest,
    reference: string,
    token: string | undefined,
  ): Promise<{ objection: Objection; token: string | undefined } | undefined> {
    const ref = reference.trim().toUpperCase();
    if (!REFERENCE.test(ref)) return undefined;
    const objection = await this.registry.getByReference(ref);
    if (!objection) return undefined;
    if (this.ownsSubjectKey(req, objection.subjectKey)) return { objection, token: undefined };
    if (token && this.registry.checkStatusToken(objection, token)) return { objection, token };
    return undefined;
  }

  /** The person's own effective objection for a purpose, if any. */
  async effectiveObjection(subject: SubjectRef, purpose: string): Promise<Objection | undefined> {
    const list = await this.registry.objectionsOf(subject);
    return list.find((o) => o.purpose === purpose && o.status === 'effective');
  }
}
