import type { FastifyInstance } from 'fastify';
import { errorPage } from './pages/error.ts';
import { noNoticePage, publicNoticePage } from './pages/published-notice.ts';
import type { PortalRuntime } from './runtime.ts';

/**
 * The public notice for people without an account (GDPR Art. 14: people named or shown in
 * others' posts must be able to read what happens and object): the current version at
 * `/notice`, any earlier one at `/notice/<version>` with its hash and dates.
 */
export function registerNoticeRoutes(app: FastifyInstance, rt: PortalRuntime): void {
  const notices = rt.options.notices;

  app.get('/notice', async (req, reply) => {
    const ctx = rt.context(req, reply);
    const latest = await notices?.latest();
    if (!notices || !latest) return rt.send(reply, ctx, noNoticePage(ctx));
    const view = notices.view(latest, { chosen: ctx.lang });
    return rt.send(
      reply,
      ctx,
      publicNoticePage(ctx, view, { latest, versions: await notices.list() }),
    );
  });

  app.get<{ Params: { version: string } }>('/notice/:version', async (req, reply) => {
    const ctx = rt.context(req, reply);
    const [version, latest] = notices
      ? await Promise.all([notices.getVersion(req.params.version), notices.latest()])
      : [undefined, undefined];
    if (!notices || !version || !latest)
      return rt.send(reply, ctx, errorPage(ctx, 'error.notice-not-found'), 404);
    const view = notices.view(version, { chosen: ctx.lang });
    return rt.send(
      reply,
      ctx,
      publicNoticePage(ctx, view, { latest, versions: await notices.list() }),
    );
  });
}
