import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from './audit-chain.ts';
import { AppError } from './errors.ts';
import type { Registry } from './registry.ts';
import { accountIdSchema } from './subjects.ts';

/**
 * One imported row: an objection the platform received elsewhere (a letter, an email to the
 * DPO, another tool). Exactly one of `account_id` and `email`.
 */
export const importRowSchema = z
  .object({
    account_id: accountIdSchema('The platform account id').optional(),
    email: z.email().max(254).optional(),
    purpose: z.string().trim().min(1).max(100).optional(),
    reason: z.string().max(5000).optional(),
    language: z.string().trim().min(2).max(35).optional(),
    channel: z.enum(['import', 'email']).optional(),
    /** Handles or URLs, separated by ";" in CSV, or an array in JSONL. */
    appears_at: z.union([z.array(z.string()), z.string()]).optional(),
  })
  .strict()
  .refine((r) => Boolean(r.account_id) !== Boolean(r.email), {
    message: 'exactly one of account_id and email is required',
    path: ['account_id'],
  });

export type ImportRow = z.input<typeof importRowSchema>;

export interface ImportLineResult {
  line: number;
  status: 'imported' | 'already' | 'invalid' | 'failed';
  reference?: string;
  reason?: string;
}

export interface ImportSummary {
  imported: number;
  already: number;
  invalid: number;
  /** Valid rows the registry could not record (it failed or became unavailable). */
  failed: number;
  /** Every invalid or failed line, with its number and reason, in file order. */
  errors: { line: number; reason: string }[];
  /** Set when the import stopped before the end of the file: after which line, and why. */
  stopped?: { afterLine: number; reason: string };
}

/**
 * Imports rows idempotently: each row's idempotency key is the hash of its content, so running
 * the same file twice records nothing new, even for a subject who withdrew in between. Valid
 * rows are imported even when others are invalid; invalid rows are reported, never skipped
 * silently. Never throws: when the registry fails (or the file cannot be read further), the rows
 * in flight are accounted for, reading stops, and the summary says after which line and why.
 */
export async function importObjections(
  registry: Registry,
  rows: AsyncIterable<{ line: number; value: unknown } | { line: number; error: string }>,
  options: { concurrency?: number; onProgress?: (done: number) => void } = {},
): Promise<ImportSummary> {
  const summary: ImportSummary = { imported: 0, already: 0, invalid: 0, failed: 0, errors: [] };
  const concurrency = options.concurrency ?? 500;
  let pending: Promise<ImportLineResult>[] = [];
  let done = 0;
  let lastLine = 0;
  const settle = async () => {
    for (const r of await Promise.all(pending)) {
      if (r.status === 'invalid' || r.status === 'failed') {
        summary[r.status] += 1;
        summary.errors.push({ line: r.line, reason: r.reason ?? r.status });
        if (r.status === 'failed') summary.stopped ??= { afterLine: r.line, reason: r.reason! };
      } else summary[r.status] += 1;
    }
    done += pending.length;
    options.onProgress?.(done);
    pending = [];
  };
  try {
    for await (const row of rows) {
      lastLine = row.line;
      pending.push(importOne(registry, row));
      if (pending.length >= concurrency) {
        await settle();
        if (summary.stopped) break;
      }
    }
  } catch (err) {
    summary.stopped = {
      afterLine: lastLine,
      reason: `the file could not be read further: ${(err as Error).message}`,
    };
  }
  await settle();
  summary.errors.sort((a, b) => a.line - b.line);
  return summary;
}

async function importOne(
  registry: Registry,
  row: { line: number; value: unknown } | { line: number; error: string },
): Promise<ImportLineResult> {
  if ('error' in row) return { line: row.line, status: 'invalid', reason: row.error };
  const parsed = importRowSchema.safeParse(row.value);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .map((i) => `${i.path.join('.') || 'row'}: ${i.message}`)
      .join('; ');
    return { line: row.line, status: 'invalid', reason };
  }
  const r = parsed.data;
  const appearsAt =
    typeof r.appears_at === 'string' ? r.appears_at.split(';') : (r.appears_at ?? []);
  try {
    const outcome = await registry.object({
      subject: r.account_id
        ? { kind: 'account', accountId: r.account_id }
        : { kind: 'email', email: r.email! },
      ...(r.purpose ? { purpose: r.purpose } : {}),
      channel: r.channel ?? 'import',
      reasonText: r.reason ?? null,
      appearsAt,
      language: r.language ?? registry.settings.defaultLanguage,
      idempotencyKey: `import:${createHash('sha256').update(canonicalJson(r)).digest('hex')}`,
      requestHash: 'import',
    });
    return {
      line: row.line,
      status: outcome.created ? 'imported' : 'already',
      reference: outcome.objection.reference,
    };
  } catch (err) {
    if (err instanceof AppError && err.status < 500) {
      const field = err.issues.map((i) => `${i.field}: ${i.reason}`).join('; ');
      return { line: row.line, status: 'invalid', reason: field || err.message };
    }
    // The registry failed: this row is not recorded (the import can be run again: idempotent).
    const why = (err as Error).message || 'the registry failed';
    return { line: row.line, status: 'failed', reason: `not recorded: ${why}` };
  }
}
