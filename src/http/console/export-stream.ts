import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { Objection } from '../../domain/types.ts';

/**
 * The columns of every objection list the console exports. No free text (a person's message,
 * the places a non-user appears): those may hold anything, an email address included. A
 * non-user's address itself lives only in `contacts` and is never read here.
 */
export const OBJECTION_EXPORT_COLUMNS = [
  'id',
  'reference',
  'subjectKey',
  'subjectKind',
  'purpose',
  'channel',
  'language',
  'status',
  'review',
  'receivedAt',
  'dueAt',
  'extended',
  'decidedAt',
  'decidedBy',
  'endedAt',
] as const;

export function objectionExportRow(o: Objection): Record<string, string | boolean | null> {
  return {
    id: o.id,
    reference: o.reference,
    subjectKey: o.subjectKey,
    subjectKind: o.subjectKind,
    purpose: o.purpose,
    channel: o.channel,
    language: o.language,
    status: o.status,
    review: o.review,
    receivedAt: o.receivedAt,
    dueAt: o.dueAt,
    extended: o.extensionReason !== null,
    decidedAt: o.decidedAt,
    decidedBy: o.decidedBy,
    endedAt: o.endedAt,
  };
}

/** RFC 4180; a cell that a spreadsheet would run as a formula is prefixed with a quote. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function* csvLines(
  columns: readonly string[],
  rows: AsyncIterable<Record<string, unknown>> | Iterable<Record<string, unknown>>,
): AsyncIterable<string> {
  yield `${columns.join(',')}\r\n`;
  for await (const r of rows) yield `${columns.map((c) => csvCell(r[c])).join(',')}\r\n`;
}

/** A JSON array written one element at a time: a large list never sits in memory whole. */
async function* jsonArray(
  rows: AsyncIterable<Record<string, unknown>> | Iterable<Record<string, unknown>>,
): AsyncIterable<string> {
  let first = true;
  yield '[';
  for await (const r of rows) {
    yield `${first ? '' : ','}\n${JSON.stringify(r)}`;
    first = false;
  }
  yield '\n]\n';
}

export function sendList(
  reply: FastifyReply,
  list: {
    name: string;
    format: 'csv' | 'json';
    columns: readonly string[];
    rows: AsyncIterable<Record<string, unknown>> | Iterable<Record<string, unknown>>;
  },
): FastifyReply {
  const body = list.format === 'csv' ? csvLines(list.columns, list.rows) : jsonArray(list.rows);
  return reply
    .type(list.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-disposition', `attachment; filename="${list.name}.${list.format}"`)
    .send(Readable.from(body));
}

export async function* mapRows<T>(
  rows: AsyncIterable<T>,
  f: (row: T) => Record<string, unknown>,
): AsyncIterable<Record<string, unknown>> {
  for await (const r of rows) yield f(r);
}
