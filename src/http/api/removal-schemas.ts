import { z } from 'zod';

/** Schemas of the issue-6 endpoints: they validate requests and generate /openapi.json. */

const DATASET_ID = /^[A-Za-z0-9_.-]+$/;

export const datasetParams = z.object({
  datasetId: z.string().min(1).max(200).regex(DATASET_ID, 'letters, digits, _ . - only'),
});

export const modelBody = z.strictObject({
  name: z.string().trim().min(1).max(200).describe('How the team calls the model'),
  trainedAt: z.iso.datetime({ offset: true }).optional().describe('When training finished'),
});

export const modelView = z.object({
  id: z.string(),
  datasetId: z.string(),
  name: z.string(),
  trainedAt: z.string().nullable(),
  recordedAt: z.string(),
});

export const recipientBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).describe('Team or partner that received the dataset'),
    webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
    natsSubject: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'dot-separated tokens, no wildcards')
      .max(200)
      .optional(),
    receivedAt: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((b) => b.webhookUrl !== undefined || b.natsSubject !== undefined, {
    message: 'give a webhookUrl, a natsSubject, or both',
    path: ['webhookUrl'],
  });

export const recipientView = z.object({
  id: z.string(),
  datasetId: z.string(),
  name: z.string(),
  webhookUrl: z.string().nullable(),
  natsSubject: z.string().nullable(),
  receivedAt: z.string(),
  createdAt: z.string(),
});

export const createdRecipientView = recipientView.extend({
  webhookSecret: z
    .string()
    .nullable()
    .describe(
      'Standard Webhooks secret (whsec_...), shown only in this response: the recipient verifies signatures with it',
    ),
});

export const removalView = z.object({
  id: z.string(),
  datasetId: z.string(),
  itemIds: z.array(z.string()),
  recordedAt: z.string(),
});

export const subjectDatasetView = z.object({
  datasetId: z.string(),
  purpose: z.string(),
  recordedAt: z.string(),
  items: z.number().int().describe('How many of your items it holds'),
  status: z
    .enum(['included', 'removal-recorded', 'recipients-told', 'rebuilt'])
    .describe(
      'included: no objection yet; removal-recorded: removal recorded, recipients being told; recipients-told: every recipient acknowledged; rebuilt: a new version without your items exists',
    ),
  removal: z
    .object({
      id: z.string(),
      items: z.number().int(),
      recordedAt: z.string(),
      deliveries: z.array(
        z.object({
          recipient: z.string(),
          channel: z.enum(['webhook', 'nats']),
          deliveredAt: z.string().nullable(),
        }),
      ),
    })
    .nullable(),
  replacedBy: z.string().nullable(),
  recipients: z.array(z.object({ name: z.string(), receivedAt: z.string() })),
  models: z.array(z.object({ id: z.string(), name: z.string() })),
});

export const myDatasetsView = z.object({
  datasets: z.array(subjectDatasetView),
  modelPolicy: z.enum(['retrain-next', 'unlearning', 'output-filter']),
});

export const memorisationBody = z.strictObject({
  modelId: z.string().min(1).max(100),
  description: z
    .string()
    .trim()
    .min(1)
    .max(5000)
    .describe('What the model reproduced, where and when'),
  language: z.string().max(35).optional(),
  receiptEmail: z.email().max(254).optional(),
});

export const memorisationView = z.object({
  id: z.string(),
  reference: z.string(),
  modelId: z.string(),
  receivedAt: z.string(),
  dueAt: z.string().describe('One calendar month after receipt (GDPR Art. 12(3))'),
});

export const clearanceQuery = z.object({
  appliedThrough: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'Id of the last recorded removal the training pipeline has applied: it and those before it count as done',
    ),
});

export const clearanceView = z.object({
  datasetId: z.string(),
  cleared: z
    .boolean()
    .describe('True only when nothing is left to remove: train; otherwise do not start'),
  reason: z.string().describe('Why, in one sentence'),
  itemIds: z
    .array(z.string())
    .describe('Item ids still to remove before training (never who objected)'),
  removals: z
    .array(z.object({ id: z.string(), itemIds: z.array(z.string()), recordedAt: z.string() }))
    .describe('Recorded removals not applied yet, oldest first'),
  unplannedItems: z
    .number()
    .int()
    .describe('Items of objections effective now that no recorded removal lists yet'),
  checkedAt: z.string(),
});

export const recipientBacklogQuery = z.strictObject({
  failingForMinutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(60 * 24 * 365)
    .default(60)
    .describe('a message is "failing" once it has failed and is older than this (default 60)'),
});

export const recipientBacklogView = z.object({
  pending: z.number().int().describe('removal messages to recipients not delivered yet'),
  oldestCreatedAt: z.string().nullable().describe('when the oldest undelivered one was created'),
  failingForMinutes: z.number().int(),
  failing: z
    .array(
      z.object({
        id: z.string(),
        recipientId: z.string(),
        recipientName: z.string(),
        datasetId: z.string(),
        removalId: z.string(),
        channel: z.enum(['webhook', 'nats']),
        attempts: z.number().int(),
        lastError: z.string().nullable(),
        createdAt: z.string(),
        nextAttemptAt: z.string(),
      }),
    )
    .describe('undelivered messages that failed at least once and are older than the threshold'),
});
