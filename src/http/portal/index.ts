import { createHash, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../../domain/errors.ts';
import { type Catalogue, loadCatalogue } from '../../i18n/catalogue.ts';
import { isStorageFault } from '../../store/storage-fault.ts';
import { storageWork } from '../problem.ts';
import { registerAssessmentRoutes } from './assessment-routes.ts';
import { registerDatasetRoutes } from './dataset-routes.ts';
import { STYLESHEET_PATH } from './layout.ts';
import { registerNoticeRoutes } from './notice-routes.ts';
import { registerObjectLinkRoutes } from './object-link-routes.ts';
import { errorPage } from './pages/error.ts';
import { registerPortalRoutes } from './routes.ts';
import { PortalRuntime } from './runtime.ts';
import { Sealer } from './sealed.ts';
import { csrfUserInfo, SessionCookies } from './session.ts';
import { registerTransparencyRoutes } from './transparency-routes.ts';
import type { PortalOptions } from './types.ts';

export type { PortalOptions } from './types.ts';

const STYLESHEET = readFileSync(new URL('./assets/portal.css', import.meta.url), 'utf8');
const STYLESHEET_ETAG = `"${createHash('sha256').update(STYLESHEET).digest('base64url').slice(0, 16)}"`;

export const CSRF_COOKIE = 'veto_csrf';
/** Forms are small; a larger body is refused before parsing. */
const FORM_BODY_LIMIT = 64 * 1024;

/**
 * The right-to-object portal: server-rendered pages, no client JavaScript.
 * Register it encapsulated (it is not wrapped in fastify-plugin on purpose: its cookies,
 * CSRF hook and HTML error handler stay inside), usually at the root prefix:
 *
 *   app.register(portalPlugin, { registry, tokens, config })
 *
 * CSRF: @fastify/csrf-protection with its secret in an HttpOnly cookie, and each token bound
 * to the Veto session id (`getUserInfo`), so a token minted in one session (or planted by a
 * sibling subdomain, "cookie tossing") fails in another. Chosen over a hand-written
 * double-submit scheme because it is the maintained Fastify plugin and gives the session
 * binding for free; tokens stay valid for repeated submissions, which is what lets a
 * double-clicked form reach the idempotent registry instead of failing.
 */
export async function portalPlugin(app: FastifyInstance, options: PortalOptions): Promise<void> {
  const { config } = options;
  const catalogue: Catalogue = loadCatalogue({
    languages: config.languages,
    defaultLanguage: config.defaultLanguage,
  });
  const base = app.prefix === '/' ? '' : app.prefix;
  const secure = config.publicUrl.startsWith('https:');

  if (!app.hasRequestDecorator('cookies')) await app.register(fastifyCookie);
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    await app.register(fastifyFormbody, { bodyLimit: FORM_BODY_LIMIT });
  }
  await app.register(fastifyCsrf, {
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: base || '/', sameSite: 'lax', httpOnly: true, secure },
    getUserInfo: (req) => csrfUserInfo(rt.session(req)),
    csrfOpts: {
      userInfo: true,
      hmacKey: Buffer.from(hkdfSync('sha256', config.secret, 'veto-portal', 'csrf-hmac', 32)),
      validity: 12 * 60 * 60 * 1000,
    },
  });

  const cookies = new SessionCookies(new Sealer(config.secret, 'session'), {
    path: base || '/',
    secure,
  });
  const rt = new PortalRuntime(options, catalogue, cookies, base);

  // Global Privacy Control: handled before any page renders, so every page can
  // say what the signal did. Pages are GETs; the stylesheet needs nothing.
  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'GET' || req.url.startsWith(`${base}${STYLESHEET_PATH}`)) return;
    await rt.applySignal(req, reply);
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    // Status links carry a token in the query string: never let it leave in a Referer.
    reply.header('referrer-policy', 'no-referrer');
    return payload;
  });

  app.setErrorHandler(async (error: FastifyError, req, reply) => {
    let status = 500;
    let key = 'error.generic';
    if (isStorageFault(error)) {
      status = 503;
      key = 'error.unavailable';
      options.storageHealth?.fault(storageWork(req.method), error);
      reply.header('retry-after', String(options.storageHealth?.retryAfterSeconds ?? 5));
    } else if (error instanceof AppError) {
      status = error.status;
      key = error.messageKey;
    } else if (error.code?.startsWith('FST_CSRF')) {
      status = 403;
      key = 'error.csrf';
    } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
      key = 'error.validation';
    }
    if (status === 503 && key === 'error.unavailable') {
      // Logged once per outage by StorageHealth.
    } else if (status >= 500) req.log.error({ err: error }, 'portal request failed');
    else
      req.log.info({ code: (error as { code?: string }).code, status }, 'portal request refused');
    const ctx = rt.context(req, reply);
    return rt.send(reply, ctx, errorPage(ctx, key), status);
  });

  // Unknown paths: a page for people, a problem document for API clients.
  app.setNotFoundHandler(async (req, reply) => {
    const wantsHtml = /text\/html/.test(req.headers.accept ?? '') && !req.url.startsWith('/v1/');
    if (!wantsHtml) {
      return reply
        .code(404)
        .type('application/problem+json')
        .send({
          type: 'urn:veto:problem:not-found',
          title: 'Not Found',
          status: 404,
          detail: `no route ${req.method} ${req.url.split('?')[0]}`,
          instance: req.url,
        });
    }
    const ctx = rt.context(req, reply);
    return rt.send(reply, ctx, errorPage(ctx, 'error.not-found'), 404);
  });

  app.get(STYLESHEET_PATH, async (req, reply) => {
    reply
      .header('content-type', 'text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .header('etag', STYLESHEET_ETAG);
    if (req.headers['if-none-match'] === STYLESHEET_ETAG) return reply.code(304).send();
    return reply.send(STYLESHEET);
  });

  registerPortalRoutes(app, rt);
  registerNoticeRoutes(app, rt);
  registerObjectLinkRoutes(app, rt);
  registerDatasetRoutes(app, rt);
  registerTransparencyRoutes(app, rt);
  registerAssessmentRoutes(app, rt);
}
