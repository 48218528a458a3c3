import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { verifyObjectLink } from '../../domain/notices/object-link.ts';
import { errorPage } from './pages/error.ts';
import { objectLinkDonePage, objectLinkPage } from './pages/object-link.ts';
import type { PortalRuntime } from './runtime.ts';

/**
 * The one-click objection from a notice email (GDPR Art. 21(4): the right to object presented
 * so that it can be used): the email's signed link (src/domain/notices/object-link.ts) opens a
 * page with one button, and the button records the objection with channel `email-link`. No
 * session is opened and none is needed.
 *
 * The link is a capability for exactly one act: an objection for the account and purpose it
 * names. Whoever holds a forwarded copy can do that and nothing else: both pages are the same
 * for every account (no name, no "you already objected", no reference or status link), the
 * objection's receipt goes to the account (never to the page), and withdrawing or reading the
 * status still needs the platform's sign-in.
 */
type LinkParams = { '*': string };

export function registerObjectLinkRoutes(app: FastifyInstance, rt: PortalRuntime): void {
  const { registry, config } = rt.options;
  const secret = config.objectLinkSecret ?? config.secret;
  const csrf = { preHandler: app.csrfProtection };

  /** The link's claims, or the page saying it is not valid (expired, altered, or for a purpose no longer offered). */
  function claimsOf(req: FastifyRequest<{ Params: LinkParams }>, reply: FastifyReply) {
    const check = verifyObjectLink(secret, req.params['*'], new Date().toISOString());
    if (check.ok && registry.settings.purposes.includes(check.claims.purpose)) {
      rt.preferLanguage(req, check.claims.language);
      return check.claims;
    }
    req.log.info(
      { reason: check.ok ? 'purpose no longer offered' : check.reason },
      'one-click objection link refused',
    );
    const ctx = rt.context(req, reply);
    rt.send(reply, ctx, errorPage(ctx, 'error.token-invalid', 'session.invalid.title'), 400);
    return undefined;
  }

  // A wildcard, not `:token`: a signed token is longer than Fastify's 100-character limit on
  // named parameters (the verifier bounds it).
  app.get<{ Params: LinkParams }>('/object-link/*', async (req, reply) => {
    const claims = claimsOf(req, reply);
    if (!claims) return reply;
    reply.header('x-robots-tag', 'noindex');
    const ctx = rt.context(req, reply);
    return rt.send(reply, ctx, objectLinkPage(ctx, req.params['*']));
  });

  app.post<{ Params: LinkParams }>('/object-link/*', csrf, async (req, reply) => {
    const claims = claimsOf(req, reply);
    if (!claims) return reply;
    // Idempotent per account and purpose: a second click, or an objection made before, ends
    // on the same page.
    await registry.object({
      subject: { kind: 'account', accountId: claims.accountId },
      purpose: claims.purpose,
      channel: 'email-link',
      language: claims.language,
      // The receipt goes where the notice went, never to the page (a forwarded copy's holder).
      email: claims.receiptTo ?? null,
    });
    req.log.info({ noticeVersion: claims.version }, 'objection from a notice email link');
    // The page after it stays in the email's language (the link no longer says it there).
    return rt.redirect(reply, '/object-link/done', { lang: rt.language(req, reply) });
  });

  app.get('/object-link/done', async (req, reply) => {
    const ctx = rt.context(req, reply);
    return rt.send(reply, ctx, objectLinkDonePage(ctx));
  });
}
