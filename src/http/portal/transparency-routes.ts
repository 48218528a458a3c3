import type { FastifyInstance } from 'fastify';
import { transparencyPage } from './pages/transparency.ts';
import type { PortalRuntime } from './runtime.ts';

/**
 * The public transparency report at /transparency (JSON and CSV beside it, in
 * src/http/api/transparency-report-routes.ts). Only registered when the report can be computed.
 */
export function registerTransparencyRoutes(app: FastifyInstance, rt: PortalRuntime): void {
  const report = rt.options.transparencyReport;
  if (!report) return;
  app.get('/transparency', async (req, reply) => {
    const ctx = rt.context(req, reply);
    return rt.send(reply, ctx, transparencyPage(ctx, await report()));
  });
}
