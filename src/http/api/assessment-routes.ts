import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Assessments } from '../../domain/assessment/assessments.ts';

const summary = z.object({
  purpose: z.string(),
  necessity: z.string(),
  balancing: z.string(),
  conclusion: z.string(),
});

export const publicAssessmentView = z
  .object({
    assessments: z.array(
      z.object({
        id: z.string().describe('The record: lia-NNNN-<sha256 prefix>'),
        recordedAt: z.string(),
        sha256: z.string().describe('sha256 of the whole record (canonical JSON)'),
        policy: z.object({
          id: z.string(),
          title: z.string(),
          sha256: z.string().describe('The policy version assessed: the sha256 of its file'),
          purpose: z.string(),
          legalBasis: z.string(),
        }),
        controller: z.object({ name: z.string(), dpo: z.string().nullable() }),
        summary: summary.describe('The operator’s public summary'),
        summaryLanguage: z.string().describe('The language of `summary`'),
        translations: z.record(z.string(), summary).describe('The summary in other languages'),
        facts: z
          .object({
            contentKinds: z.array(z.string()),
            excludedContentKinds: z.array(z.string()),
            privateMessagesExcluded: z.boolean(),
            minorsAccountsExcluded: z.boolean(),
            adultAge: z.number().int(),
            contentDepictingMinorsExcluded: z.boolean(),
            sensitiveExcluded: z.boolean(),
            redactionCategories: z.array(z.string()),
            noticeMinimumDays: z.number().int(),
            objectionChannels: z.array(z.string()),
            retentionMonths: z.number().int().nullable(),
          })
          .describe('Drawn by Veto from the policy and the configuration'),
      }),
    ),
  })
  .describe('The public summary of the legitimate-interest assessment of each policy');

/**
 * `GET /v1/assessments`: the public summary of the latest assessment of each policy, as the
 * `/assessment` page shows it (no authentication; nothing about any person).
 */
export function assessmentRoutes(app: FastifyInstance, deps: { assessments: Assessments }): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/assessments',
    {
      schema: {
        tags: ['transparency'],
        summary: 'The legitimate-interest assessments’ public summary',
        description:
          'For the latest assessment record of each policy: the operator’s summary of the three steps (purpose, necessity, balancing) and conclusion, its translations, and the facts drawn from the policy and configuration. Also as HTML at /assessment.',
        querystring: z.object({
          lang: z
            .string()
            .regex(/^[a-z]{2,3}(-[A-Z]{2})?$/)
            .optional()
            .describe('The language wanted for `summary` (its translation when there is one)'),
        }),
        response: { 200: publicAssessmentView },
      },
    },
    async (request) => ({
      assessments: (await deps.assessments.current()).map((stored) => {
        const { summary, summaryLanguage } = Assessments.summaryFor(
          stored,
          request.query.lang ?? stored.record.text.language,
        );
        const f = stored.record.facts;
        return {
          id: stored.id,
          recordedAt: stored.recordedAt,
          sha256: stored.sha256,
          policy: {
            id: f.policy.id,
            title: f.policy.title,
            sha256: f.policy.sha256,
            purpose: f.policy.purpose,
            legalBasis: f.policy.legalBasis,
          },
          controller: { name: f.controller.name, dpo: f.controller.dpo },
          summary,
          summaryLanguage,
          translations: stored.record.text.translations,
          facts: {
            contentKinds: f.content.kinds,
            excludedContentKinds: f.content.excludedKinds,
            privateMessagesExcluded: f.privateMessagesExcluded,
            minorsAccountsExcluded: f.minors.accountsExcluded,
            adultAge: f.minors.adultAge,
            contentDepictingMinorsExcluded: f.minors.depictingMinorsExcluded,
            sensitiveExcluded: f.sensitiveExcluded,
            redactionCategories: f.redaction.categories,
            noticeMinimumDays: f.notice.minimumDays,
            objectionChannels: f.objectionChannels,
            retentionMonths: f.retentionMonths,
          },
        };
      }),
    }),
  );
}
