import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { describeChainProblem } from '../../domain/audit-chain.ts';
import { AppError } from '../../domain/errors.ts';
import { exportObjections } from '../../domain/objection-export.ts';
import type { Registry } from '../../domain/registry.ts';
import type { Objection, SnapshotRecord } from '../../domain/types.ts';
import { type ApiAuthenticator, requireAdmin } from '../auth/api-auth.ts';
import { toAdminView, toView } from './objection-routes.ts';
import {
  adminObjectionView,
  auditView,
  decisionBody,
  EXPORT_CSV_COLUMNS,
  exportQuery,
  extensionBody,
  idParams,
  listQuery,
  listView,
  objectionView,
  problemSchema,
  snapshotBody,
  snapshotView,
} from './objection-schemas.ts';

export interface SnapshotService {
  /** Takes a snapshot and writes its file; returns the record. */
  create(purpose: string): Promise<SnapshotRecord>;
  /** Path of a snapshot's file, if it exists. */
  file(id: string): Promise<string | undefined>;
}

const errors = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  409: problemSchema,
};

/** Admin endpoints: need the admin credential (VETO_ADMIN_KEY). */
export function adminRoutes(
  app: FastifyInstance,
  deps: {
    registry: Registry;
    auth: ApiAuthenticator;
    snapshots: SnapshotService;
    /** The log's commitments checked (`Veto.verifyLoggedCommitments`); absent: not checked. */
    loggedCommitments?: () => Promise<{ problems: string[]; notes: string[] }>;
  },
): void {
  const { registry, auth, snapshots, loggedCommitments } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const admin = async (request: Parameters<ApiAuthenticator['authenticate']>[0]) =>
    requireAdmin(await auth.authenticate(request));

  r.get(
    '/v1/admin/objections',
    {
      schema: {
        tags: ['admin'],
        summary: 'List and filter objections',
        description: 'Keyset-paginated in order of receipt.',
        security: [{ adminKey: [] }],
        querystring: listQuery,
        response: { 200: listView, ...errors },
      },
    },
    async (request) => {
      await admin(request);
      const { cursor, limit, ...filter } = request.query;
      const after = cursor ? decodeCursor(cursor) : undefined;
      const rows = await registry.store.listObjections({
        ...filter,
        ...(after ? { after } : {}),
        limit,
      });
      const last = rows.at(-1);
      return {
        items: rows.map(toAdminView),
        nextCursor: rows.length === limit && last ? encodeCursor(last.receivedAt, last.id) : null,
      };
    },
  );

  r.get(
    '/v1/admin/objections/export',
    {
      schema: {
        tags: ['admin'],
        summary: 'Export objections (JSONL or CSV), streamed',
        description:
          'Every objection matching the filters, in order of receipt, as one stream: JSONL (each line an objection as in the listing) or CSV (columns ' +
          `${EXPORT_CSV_COLUMNS.join(', ')}; appears_at is a JSON array). ` +
          "With each objection's subject key and the handles or URLs a person without an account gave, so that the platform can act on them; never an email address.",
        security: [{ adminKey: [] }],
        querystring: exportQuery,
        response: {
          200: {
            description: 'The objections',
            content: {
              'application/x-ndjson': { schema: adminObjectionView },
              'text/csv': { schema: z.string() },
            },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      await admin(request);
      const { format, ...filter } = request.query;
      const rows = exportObjections(registry.store, filter);
      const lines = format === 'csv' ? csvLines(rows) : jsonLines(rows);
      return reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="objections.${format}"`)
        .send(Readable.from(lines) as never);
    },
  );

  r.post(
    '/v1/admin/objections/:id/decision',
    {
      schema: {
        tags: ['admin'],
        summary: "Record a reviewer's reasoned decision (review mode only)",
        security: [{ adminKey: [] }],
        params: idParams,
        body: decisionBody,
        response: { 200: objectionView, ...errors },
      },
    },
    async (request) => {
      await admin(request);
      return toView(await registry.decide(request.params.id, request.body));
    },
  );

  r.post(
    '/v1/admin/objections/:id/extension',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Extend the response deadline by one or two months, with a reason (review mode only)',
        security: [{ adminKey: [] }],
        params: idParams,
        body: extensionBody,
        response: { 200: objectionView, ...errors },
      },
    },
    async (request) => {
      await admin(request);
      return toView(await registry.extend(request.params.id, request.body));
    },
  );

  r.post(
    '/v1/admin/snapshots',
    {
      schema: {
        tags: ['admin'],
        summary: 'Freeze the objector set now (a registry snapshot for a dataset build)',
        security: [{ adminKey: [] }],
        body: snapshotBody.optional(),
        response: { 201: snapshotView, ...errors },
      },
    },
    async (request, reply) => {
      await admin(request);
      const purpose = request.body?.purpose ?? registry.settings.defaultPurpose;
      if (!registry.settings.purposes.includes(purpose)) {
        throw new AppError('validation', `unknown purpose "${purpose}"`, {
          issues: [{ field: 'purpose', reason: 'unknown purpose' }],
        });
      }
      const s = await snapshots.create(purpose);
      return reply.code(201).send({
        id: s.id,
        purpose: s.purpose,
        asOf: s.asOf,
        count: s.count,
        sha256: s.sha256,
        download: `/v1/admin/snapshots/${s.id}`,
      });
    },
  );

  r.get(
    '/v1/admin/snapshots/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Download a snapshot file (header line, then one subject key per line)',
        security: [{ adminKey: [] }],
        params: z.object({ id: z.string().regex(/^snap_[0-9a-f-]{36}$/) }),
      },
    },
    async (request, reply) => {
      await admin(request);
      const file = await snapshots.file(request.params.id);
      if (!file) throw new AppError('not-found', 'no such snapshot');
      return reply
        .type('text/plain; charset=utf-8')
        .header('content-disposition', `attachment; filename="${request.params.id}.snap"`)
        .send(createReadStream(file));
    },
  );

  r.get(
    '/v1/admin/audit',
    {
      schema: {
        tags: ['admin'],
        summary: 'Verify the audit chain and that the registry agrees with it',
        security: [{ adminKey: [] }],
        response: { 200: auditView, ...errors },
      },
    },
    async (request) => {
      await admin(request);
      const report = await registry.verifyAudit();
      // Read from the chain: compared only once it verifies, as `veto audit verify` does.
      const commitments =
        report.chain.ok && loggedCommitments
          ? await loggedCommitments()
          : {
              problems: [],
              notes: loggedCommitments ? [] : ['the log’s commitments are not checked here'],
            };
      return {
        ok: report.ok && commitments.problems.length === 0,
        events: report.chain.events,
        head: report.chain.head,
        problem: report.chain.problem ? describeChainProblem(report.chain.problem) : null,
        mismatches: report.mismatches,
        commitmentProblems: commitments.problems,
        notes: [...report.notes, ...commitments.notes],
      };
    },
  );
}

async function* jsonLines(rows: AsyncIterable<Objection>): AsyncIterable<string> {
  for await (const o of rows) yield `${JSON.stringify(toAdminView(o))}\n`;
}

async function* csvLines(rows: AsyncIterable<Objection>): AsyncIterable<string> {
  yield `${EXPORT_CSV_COLUMNS.join(',')}\r\n`;
  for await (const o of rows) {
    const cells = [
      o.id,
      o.reference,
      o.subjectKey,
      o.subjectKind,
      o.purpose,
      o.channel,
      o.status,
      o.review,
      o.receivedAt,
      o.dueAt,
      o.endedAt ?? '',
      JSON.stringify(o.appearsAt),
    ];
    yield `${cells.map(csvCell).join(',')}\r\n`;
  }
}

/**
 * One CSV cell (RFC 4180). No cell can start with a formula character (=, +, -, @): subject
 * keys start with their kind, `appears_at` with "[", the rest are ids, enums and dates.
 */
function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function encodeCursor(receivedAt: string, id: string): string {
  return Buffer.from(`${receivedAt}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { receivedAt: string; id: string } {
  const [receivedAt, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!receivedAt || !id)
    throw new AppError('validation', 'bad cursor', {
      issues: [{ field: 'cursor', reason: 'not a cursor from this API' }],
    });
  return { receivedAt, id };
}
