import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.ts';
import type { SubjectDataset } from '../../store/removal-store.ts';
import { translate } from './context.ts';
import { type DatasetsPageData, DESCRIPTION_MAX, datasetsPage } from './pages/datasets.ts';
import { errorPage } from './pages/error.ts';
import { bodyParam, type PortalRuntime, queryParam } from './runtime.ts';

/**
 * "Am I in the dataset?" and the memorisation report form, for a signed-in person or
 * a non-user who verified an email address. Only registered when `options.afterwards` is set.
 */
export function registerDatasetRoutes(app: FastifyInstance, rt: PortalRuntime): void {
  const afterwards = rt.options.afterwards;
  if (!afterwards) return;
  const { registry } = rt.options;
  const csrf = { preHandler: app.csrfProtection };

  async function pageData(req: FastifyRequest): Promise<DatasetsPageData> {
    const subjects = rt.subjects(req);
    let datasets: SubjectDataset[] | undefined;
    if (subjects.length > 0) {
      datasets = [];
      for (const s of subjects)
        datasets.push(...(await afterwards!.datasetsOf(registry.subjectKey(s))));
    }
    // Proofs are per account key: a verified email has no key in the inclusion index.
    const account = subjects.some((s) => s.kind === 'account');
    return {
      datasets,
      proofs: account ? await afterwards!.exclusionDatasets() : [],
      publicUrl: rt.options.config.publicUrl,
      modelPolicy: afterwards!.modelPolicy,
      models: subjects.length > 0 ? await afterwards!.listModels() : [],
    };
  }

  app.get('/datasets', async (req, reply) => {
    const ctx = rt.context(req, reply);
    const data = await pageData(req);
    const reference = queryParam(req, 'reported');
    if (reference) {
      for (const s of rt.subjects(req)) {
        const found = (await afterwards.memorisationReportsOf(registry.subjectKey(s))).find(
          (r) => r.reference === reference,
        );
        if (found) data.received = { reference: found.reference, dueAt: found.dueAt };
      }
    }
    return rt.send(reply, ctx, datasetsPage(ctx, data));
  });

  // The person's own exclusion proof, as a file: only ever for the signed-in account.
  app.get<{ Params: { datasetId: string } }>(
    '/datasets/:datasetId/exclusion-proof',
    async (req, reply) => {
      const ctx = rt.context(req, reply);
      const account = rt.subjects(req).find((s) => s.kind === 'account');
      if (!account) return rt.send(reply, ctx, errorPage(ctx, 'error.unauthorized'), 401);
      const { datasetId } = req.params;
      let text: string;
      try {
        text = await afterwards.exclusionProof(datasetId, registry.subjectKey(account));
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== 'not-found') throw err;
        return rt.send(reply, ctx, errorPage(ctx, 'error.not-found'), 404);
      }
      return reply
        .type('application/json')
        .header('cache-control', 'no-store')
        .header(
          'content-disposition',
          `attachment; filename="exclusion-proof-${datasetId.replace(/[^A-Za-z0-9_.-]/g, '_')}.json"`,
        )
        .send(text);
    },
  );

  app.post('/datasets/memorisation', csrf, async (req, reply) => {
    const subject = rt.subjects(req)[0];
    const ctx = rt.context(req, reply);
    if (!subject) return rt.send(reply, ctx, errorPage(ctx, 'error.unauthorized'), 401);
    const modelId = bodyParam(req, 'modelId');
    const description = bodyParam(req, 'description').trim();
    if (!description || description.length > DESCRIPTION_MAX) {
      const data = await pageData(req);
      data.form = {
        modelId,
        description,
        errors: [{ field: 'description', message: translate(ctx, 'error.validation') }],
      };
      return rt.send(reply, ctx, datasetsPage(ctx, data), 400);
    }
    const session = rt.session(req);
    try {
      const report = await afterwards.reportMemorisation({
        subjectKey: registry.subjectKey(subject),
        modelId,
        description,
        language: ctx.lang,
        email: session?.account?.email ?? session?.verifiedEmail ?? null,
      });
      return rt.redirect(reply, '/datasets', { reported: report.reference });
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'validation') throw err;
      return rt.send(reply, ctx, errorPage(ctx, 'error.validation'), 400);
    }
  });
}
