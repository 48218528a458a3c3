import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../../domain/errors.ts';
import type { Registry } from '../../domain/registry.ts';
import { type Afterwards, removalStatus } from '../../domain/removals/afterwards.ts';
import { type ApiAuthenticator, type Caller, requireAdmin } from '../auth/api-auth.ts';
import { problemSchema } from './objection-schemas.ts';
import {
  clearanceQuery,
  clearanceView,
  createdRecipientView,
  datasetParams,
  memorisationBody,
  memorisationView,
  modelBody,
  modelView,
  myDatasetsView,
  recipientBacklogQuery,
  recipientBacklogView,
  recipientBody,
  recipientView,
  removalView,
} from './removal-schemas.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

function requireUser(caller: Caller): Extract<Caller, { kind: 'user' }> {
  if (caller.kind !== 'user')
    throw new AppError('forbidden', "this endpoint needs the person's own platform token");
  return caller;
}

/**
 * After the build: models and recipients of a dataset (admin), its removals, and for a
 * person (user token) "Am I in the dataset?" and memorisation reports.
 */
export function removalRoutes(
  app: FastifyInstance,
  deps: { registry: Registry; afterwards: Afterwards; auth: ApiAuthenticator },
): void {
  const { registry, afterwards, auth } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const admin = async (request: Parameters<ApiAuthenticator['authenticate']>[0]) =>
    requireAdmin(await auth.authenticate(request));

  r.post(
    '/v1/admin/datasets/:datasetId/models',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Record a model trained on a dataset',
        description: 'A later removal from this dataset lists the model as affected.',
        security: [{ adminKey: [] }],
        params: datasetParams,
        body: modelBody,
        response: { 201: modelView, ...errors },
      },
    },
    async (request, reply) => {
      await admin(request);
      const model = await afterwards.addModel({
        datasetId: request.params.datasetId,
        name: request.body.name,
        trainedAt: request.body.trainedAt,
      });
      return reply.code(201).send(model);
    },
  );

  r.get(
    '/v1/admin/datasets/:datasetId/models',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Models trained on a dataset',
        security: [{ adminKey: [] }],
        params: datasetParams,
        response: { 200: modelView.array(), ...errors },
      },
    },
    async (request) => {
      await admin(request);
      return afterwards.listModels(request.params.datasetId);
    },
  );

  r.post(
    '/v1/admin/datasets/:datasetId/recipients',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Record a recipient of a dataset version (GDPR Art. 19)',
        description:
          'Removals from this version are delivered to the webhook (signed per Standard Webhooks, webhook-id = message id) and/or published on the JetStream subject (Nats-Msg-Id = message id), with retries until acknowledged. The webhook secret is returned only here.',
        security: [{ adminKey: [] }],
        params: datasetParams,
        body: recipientBody,
        response: { 201: createdRecipientView, ...errors },
      },
    },
    async (request, reply) => {
      await admin(request);
      const recipient = await afterwards.addRecipient({
        datasetId: request.params.datasetId,
        ...request.body,
      });
      return reply.code(201).send(recipient);
    },
  );

  r.get(
    '/v1/admin/datasets/:datasetId/recipients',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Recipients of a dataset version',
        security: [{ adminKey: [] }],
        params: datasetParams,
        response: { 200: recipientView.array(), ...errors },
      },
    },
    async (request) => {
      await admin(request);
      return (await afterwards.listRecipients(request.params.datasetId)).map(
        ({ webhookSecret: _secret, ...rest }) => rest,
      );
    },
  );

  r.get(
    '/v1/admin/recipient-deliveries',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Removal messages not yet delivered to recipients, and those failing for long',
        description:
          'Deliveries are retried in the background; this shows which removals are not reaching their recipient (also as `veto_recipient_failing_messages` in /metrics).',
        security: [{ adminKey: [] }],
        querystring: recipientBacklogQuery,
        response: { 200: recipientBacklogView, ...errors },
      },
    },
    async (request) => {
      await admin(request);
      const { failingForMinutes } = request.query;
      return { ...(await afterwards.recipientBacklog(failingForMinutes)), failingForMinutes };
    },
  );

  r.get(
    '/v1/admin/datasets/:datasetId/removals',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Removals recorded against a dataset version',
        description: '`veto dataset removals` writes the same list as signed JSONL.',
        security: [{ adminKey: [] }],
        params: datasetParams,
        response: { 200: removalView.array(), ...errors },
      },
    },
    async (request) => {
      await admin(request);
      return (await afterwards.removalsOf(request.params.datasetId)).map((x) => ({
        id: x.id,
        datasetId: x.datasetId,
        itemIds: x.itemIds,
        recordedAt: x.recordedAt,
      }));
    },
  );

  r.get(
    '/v1/datasets/:datasetId/clearance',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Clearance at training time: what must still be removed from a dataset version',
        description:
          'For a training job about to start: the item ids of people who objected that are still in this version ' +
          '(from the objections effective now and the removals recorded, never who objected), and `cleared`. ' +
          'A pipeline refuses to start unless `cleared` is true (docs/training.md). `veto dataset clearance` prints the same.',
        security: [{ apiKey: [] }, { adminKey: [] }],
        params: datasetParams,
        querystring: clearanceQuery,
        response: { 200: clearanceView, ...errors },
      },
    },
    async (request) => {
      const caller = await auth.authenticate(request);
      if (caller.kind === 'user')
        throw new AppError('forbidden', 'clearance is for the platform (API key) or an admin');
      return afterwards.clearance(request.params.datasetId, request.query.appliedThrough);
    },
  );

  r.get(
    '/v1/me/datasets',
    {
      schema: {
        tags: ['datasets'],
        summary: "Datasets holding the caller's content (am I in a dataset)",
        description:
          "The datasets holding the signed-in person's content, how many items, the status of the removal in each, who received it and which models were trained on it.",
        security: [{ userToken: [] }],
        response: { 200: myDatasetsView, ...errors },
      },
    },
    async (request) => {
      const { session } = requireUser(await auth.authenticate(request));
      const key = registry.subjectKey({ kind: 'account', accountId: session.accountId });
      const datasets = await afterwards.datasetsOf(key);
      return {
        datasets: datasets.map((d) => ({ ...d, status: removalStatus(d) })),
        modelPolicy: afterwards.modelPolicy,
      };
    },
  );

  r.post(
    '/v1/me/memorisation-reports',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Report that a model reproduced my personal data',
        description:
          'Recorded against the model and the person, with a reference and a due date one calendar month away; a receipt is emailed when an address is known.',
        security: [{ userToken: [] }],
        body: memorisationBody,
        response: { 201: memorisationView, ...errors },
      },
    },
    async (request, reply) => {
      const { session } = requireUser(await auth.authenticate(request));
      const report = await afterwards.reportMemorisation({
        subjectKey: registry.subjectKey({ kind: 'account', accountId: session.accountId }),
        modelId: request.body.modelId,
        description: request.body.description,
        language: request.body.language ?? session.language ?? registry.settings.defaultLanguage,
        email: request.body.receiptEmail ?? session.email ?? null,
      });
      return reply.code(201).send({
        id: report.id,
        reference: report.reference,
        modelId: report.modelId,
        receivedAt: report.receivedAt,
        dueAt: report.dueAt,
      });
    },
  );
}
