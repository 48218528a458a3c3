import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../../domain/errors.ts';
import type { Registry } from '../../domain/registry.ts';
import { crawlerHeaders } from '../../signals/crawler-headers.ts';
import type { ApiAuthenticator } from '../auth/api-auth.ts';
import { problemSchema } from './objection-schemas.ts';
import { signalHeadersQuery, signalHeadersView } from './signal-schemas.ts';

/**
 * Signals for third parties: the platform asks, per account, which headers to emit
 * on that account's public pages so that crawlers see the objection too. The ready-made
 * middlewares in src/signals/ call this with a short cache.
 */
export function signalRoutes(
  app: FastifyInstance,
  deps: { registry: Registry; auth: ApiAuthenticator },
): void {
  const { registry, auth } = deps;
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/signals/headers',
    {
      schema: {
        tags: ['signals'],
        summary: "Headers to emit on an account's public pages (API key)",
        description:
          'For an account with an effective objection: X-Robots-Tag "noai, noimageai", tdm-reservation "1" and Content-Usage "train-ai=n". ' +
          'An empty object otherwise. Cache the answer briefly at most (the middlewares in src/signals/ keep it 60 s).',
        security: [{ apiKey: [] }],
        querystring: signalHeadersQuery,
        response: {
          200: signalHeadersView,
          400: problemSchema,
          401: problemSchema,
          403: problemSchema,
        },
      },
    },
    async (request) => {
      const caller = await auth.authenticate(request);
      if (caller.kind === 'user') {
        throw new AppError('forbidden', 'this endpoint is for the platform (API key)');
      }
      const { accountId } = request.query;
      const purpose = registry.settings.defaultPurpose;
      const objections = await registry.objectionsOf({ kind: 'account', accountId });
      const objecting = objections.some((o) => o.purpose === purpose && o.status === 'effective');
      return { accountId, purpose, objecting, headers: crawlerHeaders(objecting) };
    },
  );
}
