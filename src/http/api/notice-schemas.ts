import { z } from 'zod';
import { EXPOSURE_CHANNELS } from '../../domain/notices/notice-types.ts';
import { accountIdSchema } from '../../domain/subjects.ts';

/** Schemas of the notice API: Fastify validates with them and /openapi.json is generated from them. */

const versionId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/)
  .describe('A notice version id, e.g. "2026-01"');
const instant = z.iso.datetime({ offset: true });

export const currentNoticeQuery = z.object({
  accountId: accountIdSchema(
    'The account the notice is for: the answer says whether it was already shown',
  ).optional(),
  lang: z
    .string()
    .min(2)
    .max(35)
    .optional()
    .describe("The account's language (BCP 47); else Accept-Language; else the default"),
});

export const versionParams = z.object({ version: versionId });

export const noticeView = z
  .object({
    version: z.string(),
    seq: z.number().int(),
    language: z.string().describe('The language chosen (RFC 4647 lookup, fr-BE → fr)'),
    title: z.string(),
    effectiveAt: z.string().describe('When the processing announced starts'),
    publishedAt: z.string(),
    sha256: z.string().describe('sha256 of the Markdown source of this language, as published'),
    versionSha256: z.string().describe('sha256 of the whole version (all languages)'),
    changes: z.string().describe('What changed since the previous version'),
    previousVersion: z.string().nullable(),
    html: z
      .string()
      .describe(
        'The notice as HTML (no script); the right-to-object block is a separate <section class="right-to-object">',
      ),
    markdown: z.string().describe('The notice as Markdown with placeholders filled in'),
    rightToObject: z
      .object({ html: z.string(), markdown: z.string() })
      .describe(
        'The separate "your right to object" block (GDPR Art. 21(4)), to show apart and prominently',
      ),
    objectUrl: z.string().describe('The direct objection link'),
    exposure: z
      .object({ firstShownAt: z.string(), acknowledgedAt: z.string().nullable() })
      .nullable()
      .describe('When this account was first shown this version (null: never, or no accountId)'),
  })
  .describe('A notice version rendered for one reader');

export const versionSummary = z.object({
  version: z.string(),
  seq: z.number().int(),
  previousVersion: z.string().nullable(),
  effectiveAt: z.string(),
  publishedAt: z.string(),
  sha256: z.string(),
  languages: z.array(
    z.object({ language: z.string(), title: z.string(), sha256: z.string(), changes: z.string() }),
  ),
});

export const versionList = z.object({ items: z.array(versionSummary) });

export const exposureItem = z
  .object({
    accountId: accountIdSchema('The platform account shown the notice'),
    version: versionId,
    language: z.string().min(2).max(35).describe('The language shown'),
    channel: z.enum(EXPOSURE_CHANNELS as [string, ...string[]]).describe('How it was shown'),
    shownAt: instant.describe(
      'When it was shown; with account, version and channel it identifies the exposure',
    ),
    acknowledgedAt: instant.optional().describe('When the person acknowledged it, if they did'),
  })
  .strict();

export const exposuresBody = z
  .object({ exposures: z.array(exposureItem).min(1).max(1000) })
  .strict();

export const exposuresResult = z.object({
  received: z.number().int(),
  recorded: z.number().int().describe('New exposures stored'),
  alreadyRecorded: z.number().int().describe('Exposures already known (retries are harmless)'),
});

export const publishBody = z
  .object({
    version: versionId,
    effectiveAt: z.string().optional().describe('ISO date or instant; default: at publication'),
    effectiveAfterDays: z.number().int().min(0).max(3650).optional(),
    policy: z
      .string()
      .min(1)
      .max(200_000)
      .optional()
      .describe(
        "The gate policy this version is tied to (YAML): the texts' {promise: ...} markers are checked against it (docs/notices.md)",
      ),
    texts: z
      .record(
        z.string().min(2).max(35),
        z
          .object({
            markdown: z.string().min(1).max(200_000),
            changes: z
              .string()
              .min(1)
              .max(2000)
              .describe('What changed since the previous version'),
          })
          .strict(),
      )
      .describe('One text per language: Markdown with placeholders and a :::right-to-object block'),
  })
  .strict();

export const bouncesBody = z
  .object({
    bounces: z
      .array(
        z
          .object({
            accountId: accountIdSchema('The platform account').optional(),
            email: z.email().max(254).optional(),
            campaignId: z.string().max(100).optional(),
            reason: z.string().max(500).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(1000),
  })
  .strict();

export const bouncesResult = z.object({
  received: z.number().int(),
  matched: z.number().int().describe('Sent messages now marked bounced (their exposure is voided)'),
  unmatched: z.array(z.number().int()).describe('Indexes of bounces that matched no sent message'),
});

export const campaignParams = z.object({ id: z.string().regex(/^camp_[0-9a-f]{24}$/) });

export const campaignView = z.object({
  id: z.string(),
  version: z.string(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  counts: z.record(z.string(), z.number().int()),
});
