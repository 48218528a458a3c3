import { z } from 'zod';
import { accountIdSchema } from '../../domain/subjects.ts';
import type { Channel } from '../../domain/types.ts';

/**
 * The API's schemas: Fastify validates requests with them and @fastify/swagger turns the same
 * objects into /openapi.json, so the document cannot drift from what the server accepts.
 */

export const subjectSchema = z
  .union([
    z.object({ accountId: accountIdSchema('The platform account id') }).strict(),
    z
      .object({
        email: z
          .email()
          .max(254)
          .describe('A non-user, identified by an email address the platform verified'),
      })
      .strict(),
  ])
  .describe('Whose content: a platform account, or a non-user by email address');

export const createObjectionBody = z
  .object({
    subject: subjectSchema
      .optional()
      .describe('Required with an API key; omitted with a user token (the token says who)'),
    purpose: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe('Defaults to the deployment default, e.g. "ai-training"'),
    reason: z.string().max(5000).optional().describe('Optional free text. Never required.'),
    appearsAt: z
      .array(z.string().min(1).max(500))
      .max(50)
      .optional()
      .describe("Handles or post URLs where a non-user appears in others' content"),
    language: z
      .string()
      .min(2)
      .max(35)
      .optional()
      .describe("BCP 47 language for receipts; defaults to the account's"),
    channel: z
      .enum(['api', 'email', 'import', 'signal'])
      .optional()
      .describe(
        'How the platform received it (API keys only); "signal" for a browser privacy signal such as Sec-GPC: 1',
      ),
    receiptEmail: z.email().max(254).optional().describe('Where to send the receipt'),
  })
  .strict();

/** Every `Channel` (src/domain/types.ts); `signal` is a browser privacy signal (Sec-GPC). */
const CHANNELS = [
  'portal',
  'api',
  'import',
  'email',
  'signal',
  'email-link',
] as const satisfies readonly Channel[];

export const objectionView = z
  .object({
    id: z.string(),
    reference: z.string().describe('Printed on the receipt'),
    status: z.enum(['effective', 'withdrawn', 'overridden']),
    review: z.enum(['none', 'pending', 'upheld', 'overridden']),
    purpose: z.string(),
    scope: z.literal('account').describe('The whole account, including content created later'),
    channel: z.enum(CHANNELS),
    subjectKind: z.enum(['account', 'non-user']),
    receivedAt: z.string().describe('Effective from this instant'),
    dueAt: z
      .string()
      .describe('Response due date, in calendar months from receipt (GDPR Art. 12(3))'),
    extensionReason: z.string().nullable(),
    decisionReason: z.string().nullable(),
    endedAt: z.string().nullable(),
  })
  .describe('An objection');

export const idParams = z.object({ id: z.uuid() });

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('Retries with the same key never create a second objection'),
});

export const statusQuery = z.object({ accountId: accountIdSchema('The platform account id') });

export const statusView = z.object({
  objecting: z.boolean().describe('True when an objection to the purpose is effective now'),
  purpose: z.string(),
  objections: z.array(objectionView),
});

/** An objection as the admin API shows it: with its subject and the places it names. */
export const adminObjectionView = objectionView
  .extend({
    subjectKey: z
      .string()
      .describe(
        'acct:<account id>, or email:<keyed hash> for a person without an account (never the address)',
      ),
    appearsAt: z
      .array(z.string())
      .describe(
        "Handles or URLs where the person appears in others' content, as they gave them (people without an account): for the platform to act on",
      ),
  })
  .describe('An objection, for the platform');

/** The filters of the admin listing and the export. */
const objectionFilters = {
  status: z.enum(['effective', 'withdrawn', 'overridden']).optional(),
  purpose: z.string().optional(),
  channel: z.enum(CHANNELS).optional(),
  review: z.enum(['none', 'pending', 'upheld', 'overridden']).optional(),
  subjectKind: z.enum(['account', 'non-user']).optional(),
  receivedFrom: z.iso.datetime().optional(),
  receivedTo: z.iso.datetime().optional(),
};

export const listQuery = z.object({
  ...objectionFilters,
  cursor: z.string().optional().describe('The nextCursor of the previous page'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const listView = z.object({
  items: z.array(adminObjectionView),
  nextCursor: z.string().nullable(),
});

export const exportQuery = z.object({
  ...objectionFilters,
  format: z
    .enum(['jsonl', 'csv'])
    .default('jsonl')
    .describe(
      'jsonl: one objection (as in the listing) per line; csv: a header row, then one row each',
    ),
});

/** The export's CSV columns, in order; `appears_at` holds a JSON array. */
export const EXPORT_CSV_COLUMNS = [
  'id',
  'reference',
  'subject_key',
  'subject_kind',
  'purpose',
  'channel',
  'status',
  'review',
  'received_at',
  'due_at',
  'ended_at',
  'appears_at',
] as const;

export const decisionBody = z
  .object({
    outcome: z.enum(['upheld', 'overridden']),
    reason: z.string().min(1).max(5000).describe('The reasons, told to the person'),
    reviewer: z.string().min(1).max(200),
  })
  .strict();

export const extensionBody = z
  .object({
    months: z.union([z.literal(1), z.literal(2)]),
    reason: z.string().min(1).max(5000),
    reviewer: z.string().min(1).max(200),
  })
  .strict();

export const snapshotBody = z
  .object({
    purpose: z.string().min(1).max(100).optional(),
  })
  .strict();

export const snapshotView = z.object({
  id: z.string(),
  purpose: z.string(),
  asOf: z.string(),
  count: z.number().int(),
  sha256: z.string(),
  download: z.string().describe('Where to fetch the snapshot file'),
});

export const auditView = z.object({
  ok: z.boolean(),
  events: z.number().int(),
  head: z.object({ seq: z.number().int(), hash: z.string() }),
  problem: z.string().nullable(),
  mismatches: z
    .array(z.string())
    .describe('Each objection column that disagrees with the log, naming the objection and column'),
  commitmentProblems: z
    .array(z.string())
    .describe(
      'Each commitment the log holds that disagrees with what it commits to: a notice-exposure batch, a sealed dataset’s exclusion or terms root (as `veto audit verify` reports them)',
    ),
  notes: z
    .array(z.string())
    .describe(
      'What could not be compared, and why (objections recorded before the log carried a column)',
    ),
});

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
  })
  .describe('RFC 9457 problem details');
