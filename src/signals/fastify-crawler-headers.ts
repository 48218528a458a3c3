import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type AccountOf, type CrawlerHeaderSource, headersForRequest } from './crawler-headers.ts';

export interface CrawlerHeadersPluginOptions {
  /** Usually `createVetoHeaderSource({ vetoUrl, apiKey })`. */
  source: CrawlerHeaderSource;
  /** Whose public page this request shows (route params are already parsed), or undefined. */
  accountOf: AccountOf<FastifyRequest>;
}

/**
 * For a platform built on Fastify: adds the "do not train" headers to every response that
 * shows an objector's public page.
 *
 *   await app.register(crawlerHeadersPlugin, {
 *     source: createVetoHeaderSource({ vetoUrl, apiKey }),
 *     accountOf: (req) => (req.params as { user?: string }).user,
 *   });
 *
 * The headers are set in `onRequest`, before the handler runs, so they are on the response
 * whatever the handler does (stream, error page). Wrapped in fastify-plugin so the hook applies
 * to the routes of the application that registers it.
 */
const plugin: FastifyPluginAsync<CrawlerHeadersPluginOptions> = async (app, options) => {
  app.addHook('onRequest', async (req, reply) => {
    const headers = await headersForRequest(options.source, options.accountOf, req);
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  });
};

export const crawlerHeadersPlugin = fp(plugin, {
  name: 'veto-crawler-headers',
  fastify: '5.x',
});
