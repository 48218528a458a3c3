import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type CrawlerHeaderMode, headersForMode } from './crawler-headers.ts';

/**
 * Without options: the site-wide reservation on every response. `perPerson: { source,
 * accountOf }` (source usually `createVetoHeaderSource({ vetoUrl, apiKey })`, accountOf whose
 * public page the request shows, route params already parsed) marks only objectors' pages,
 * which discloses who objected: an explicit choice.
 */
export type CrawlerHeadersPluginOptions = CrawlerHeaderMode<FastifyRequest>;

/**
 * For a platform built on Fastify: adds the "do not train" headers to every response that
 * shows an objector's public page.
 *
 *   await app.register(crawlerHeadersPlugin);   // the site-wide reservation (default)
 *   await app.register(crawlerHeadersPlugin, {  // or objectors' pages only (discloses them)
 *     perPerson: {
 *       source: createVetoHeaderSource({ vetoUrl, apiKey }),
 *       accountOf: (req) => (req.params as { user?: string }).user,
 *     },
 *   });
 *
 * The headers are set in `onRequest`, before the handler runs, so they are on the response
 * whatever the handler does (stream, error page). Wrapped in fastify-plugin so the hook applies
 * to the routes of the application that registers it.
 */
const plugin: FastifyPluginAsync<CrawlerHeadersPluginOptions> = async (app, options) => {
  app.addHook('onRequest', async (req, reply) => {
    const headers = await headersForMode(options ?? {}, req);
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  });
};

export const crawlerHeadersPlugin = fp(plugin, {
  name: 'veto-crawler-headers',
  fastify: '5.x',
});
