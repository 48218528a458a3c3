import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  TRANSPARENCY_MONTH_COLUMNS,
  type TransparencyReport,
} from '../../domain/transparency-report.ts';
import { csvCell } from '../console/export-stream.ts';

const count = z
  .number()
  .int()
  .nullable()
  .describe('null: between 1 and the suppression threshold minus one (suppressed)');
const hoursField = z
  .number()
  .nullable()
  .describe('null: fewer removals than the suppression threshold');

export const transparencyReportView = z
  .object({
    suppressionThreshold: z
      .number()
      .int()
      .describe('Counts from 1 to this minus one are published as null'),
    months: z.array(
      z.object({
        month: z.string().describe('UTC month, YYYY-MM'),
        language: z.string(),
        noticesShown: count,
        objectionsReceived: count,
        objectionsWithdrawn: count,
        removals: count,
        recipientsTold: count,
        medianHoursToEffect: hoursField,
        p99HoursToEffect: hoursField,
        memorisationReports: count,
        memorisationMitigated: count,
        memorisationNotReproduced: count,
        memorisationNoPersonalData: count,
      }),
    ),
    datasets: z.array(
      z.object({
        month: z.string(),
        reason: z.string().describe('The gate decision (kept, objected, private-message, ...)'),
        datasets: z.number().int().nullable(),
        records: count,
      }),
    ),
  })
  .describe('The public transparency report');

/** The report as CSV: one line per month and language (the dataset rows are in the JSON). */
export function transparencyCsv(report: TransparencyReport): string {
  const lines = [TRANSPARENCY_MONTH_COLUMNS.join(',')];
  for (const m of report.months)
    lines.push(TRANSPARENCY_MONTH_COLUMNS.map((c) => csvCell(m[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * The public transparency report, as JSON (in the OpenAPI document) and CSV: no
 * authentication, figures only, small counts suppressed (src/domain/transparency-report.ts).
 */
export function transparencyReportRoutes(
  app: FastifyInstance,
  deps: { report: () => Promise<TransparencyReport> },
): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/transparency.json',
    {
      schema: {
        tags: ['transparency'],
        summary: 'The public transparency report (per month and language)',
        description:
          'Per UTC month and language: people shown a notice, objections received and withdrawn, median and 99th-percentile time to effect, removals, recipients told, memorisation reports and their outcomes; datasets sealed with their records per reason. Small counts are suppressed (null). Also as HTML at /transparency and CSV at /transparency.csv.',
        response: { 200: transparencyReportView },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return deps.report();
    },
  );
  app.get('/transparency.csv', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/csv; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('content-disposition', 'attachment; filename="transparency.csv"')
      .send(transparencyCsv(await deps.report())),
  );
}
