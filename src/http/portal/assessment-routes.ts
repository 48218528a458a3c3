import type { FastifyInstance } from 'fastify';
import { assessmentPage } from './pages/assessment.ts';
import { errorPage } from './pages/error.ts';
import type { PortalRuntime } from './runtime.ts';

/**
 * The public summary of the legitimate-interest assessment, beside the notice: `/assessment`
 * shows the latest record of each policy, `/assessment/<id>` any version kept.
 */
export function registerAssessmentRoutes(app: FastifyInstance, rt: PortalRuntime): void {
  const assessments = rt.options.assessments;
  if (!assessments) return;

  app.get('/assessment', async (req, reply) => {
    const ctx = rt.context(req, reply);
    const [shown, versions] = await Promise.all([assessments.current(), assessments.list()]);
    return rt.send(reply, ctx, assessmentPage(ctx, shown, versions));
  });

  app.get<{ Params: { id: string } }>('/assessment/:id', async (req, reply) => {
    const ctx = rt.context(req, reply);
    const [one, versions] = await Promise.all([assessments.get(req.params.id), assessments.list()]);
    if (!one) return rt.send(reply, ctx, errorPage(ctx, 'error.assessment-not-found'), 404);
    return rt.send(reply, ctx, assessmentPage(ctx, [one], versions));
  });
}
