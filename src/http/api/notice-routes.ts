import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../../domain/errors.ts';
import type { NoticeDraft, NoticeVersion, TiedPolicy } from '../../domain/notices/notice-types.ts';
import type { Notices } from '../../domain/notices/notices.ts';
import { PolicyError, parsePolicy } from '../../gate/policy.ts';
import { type ApiAuthenticator, type Caller, requireAdmin } from '../auth/api-auth.ts';
import {
  bouncesBody,
  bouncesResult,
  campaignParams,
  campaignView,
  currentNoticeQuery,
  exposuresBody,
  exposuresResult,
  noticeView,
  publishBody,
  versionList,
  versionParams,
  versionSummary,
} from './notice-schemas.ts';
import { problemSchema } from './objection-schemas.ts';

const errors = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  409: problemSchema,
};

/** 1000 exposures of ~250 bytes: above the app's 64 KiB default, still bounded. */
const EXPOSURES_BODY_LIMIT = 1024 * 1024;
const PUBLISH_BODY_LIMIT = 4 * 1024 * 1024;

function summary(v: NoticeVersion) {
  return {
    version: v.id,
    seq: v.seq,
    previousVersion: v.previousId,
    effectiveAt: v.effectiveAt,
    publishedAt: v.publishedAt,
    sha256: v.sha256,
    languages: v.texts.map((t) => ({
      language: t.language,
      title: t.title,
      sha256: t.sha256,
      changes: t.changes,
    })),
  };
}

/** The platform's notice API and its admin side. */
export function noticeRoutes(
  app: FastifyInstance,
  deps: { notices: Notices; auth: ApiAuthenticator },
): void {
  const { notices, auth } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const platform = async (request: FastifyRequest): Promise<Exclude<Caller, { kind: 'user' }>> => {
    const caller = await auth.authenticate(request);
    if (caller.kind === 'user') throw new AppError('forbidden', 'this endpoint needs an API key');
    return caller;
  };
  const admin = async (request: FastifyRequest) => requireAdmin(await auth.authenticate(request));

  const render = async (
    version: NoticeVersion,
    request: FastifyRequest,
    query: { accountId?: string | undefined; lang?: string | undefined },
  ) => {
    const view = notices.view(version, {
      chosen: query.lang,
      acceptLanguage: request.headers['accept-language'],
    });
    return {
      version: version.id,
      seq: version.seq,
      language: view.language,
      title: view.rendered.title,
      effectiveAt: version.effectiveAt,
      publishedAt: version.publishedAt,
      sha256: view.text.sha256,
      versionSha256: version.sha256,
      changes: view.text.changes,
      previousVersion: version.previousId,
      html: view.rendered.html,
      markdown: view.rendered.markdown,
      rightToObject: { html: view.rendered.blockHtml, markdown: view.rendered.blockMarkdown },
      objectUrl: notices.placeholders(version, view.language).objectUrl,
      exposure: query.accountId ? await notices.exposureOf(query.accountId, version.id) : null,
    };
  };

  r.get(
    '/v1/notices/current',
    {
      schema: {
        tags: ['notices'],
        summary: 'The notice to show a user now, in their language',
        description:
          'The latest published version, rendered (HTML and Markdown) in the language chosen from `lang`, then Accept-Language (RFC 4647 lookup, fr-BE → fr), then the default. ' +
          'Record that it was shown with POST /v1/notices/exposures.',
        security: [{ apiKey: [] }],
        querystring: currentNoticeQuery,
        response: { 200: noticeView, ...errors },
      },
    },
    async (request) => {
      await platform(request);
      const version = await notices.latest();
      if (!version) throw new AppError('not-found', 'no notice version is published yet');
      return render(version, request, request.query);
    },
  );

  r.get(
    '/v1/notices/versions',
    {
      schema: {
        tags: ['notices'],
        summary: 'Every published notice version, newest first, with hashes and change summaries',
        security: [{ apiKey: [] }],
        response: { 200: versionList, ...errors },
      },
    },
    async (request) => {
      await platform(request);
      return { items: (await notices.list()).map(summary) };
    },
  );

  r.get(
    '/v1/notices/versions/:version',
    {
      schema: {
        tags: ['notices'],
        summary: 'One published version, rendered in the reader’s language',
        security: [{ apiKey: [] }],
        params: versionParams,
        querystring: currentNoticeQuery,
        response: { 200: noticeView, ...errors },
      },
    },
    async (request) => {
      await platform(request);
      const version = await notices.getVersion(request.params.version);
      if (!version) throw new AppError('not-found', 'no such notice version');
      return render(version, request, request.query);
    },
  );

  r.post(
    '/v1/notices/exposures',
    {
      bodyLimit: EXPOSURES_BODY_LIMIT,
      schema: {
        tags: ['notices'],
        summary: 'Record that notices were shown (and optionally acknowledged)',
        description:
          'Up to 1000 exposures per call, all or nothing: an invalid item rejects the call and every problem is named. ' +
          'Idempotent: the same exposure (account, version, channel, shownAt) sent again is stored once; an acknowledgedAt sent later is added to it.',
        security: [{ apiKey: [] }],
        body: exposuresBody,
        response: { 200: exposuresResult, ...errors },
      },
    },
    async (request) => {
      const caller = await platform(request);
      const source = caller.kind === 'admin' ? 'admin' : `client:${caller.name}`;
      const result = await notices.recordExposures(
        request.body.exposures.map((e) => ({
          ...e,
          channel: e.channel as 'in-app',
        })),
        source,
      );
      return { ...result, alreadyRecorded: result.received - result.recorded };
    },
  );

  r.post(
    '/v1/admin/notices',
    {
      bodyLimit: PUBLISH_BODY_LIMIT,
      schema: {
        tags: ['admin'],
        summary: 'Publish a notice version (frozen: never edited afterwards)',
        description:
          'Every configured language needs a text with a title ("# ...") and one ":::right-to-object" block holding a heading and the link "[...]({objectUrl})" (GDPR Art. 21(4)). ' +
          '201 when published; 200 when the same content was already published under this id; 409 when the id holds different content (a correction is a new version).',
        security: [{ adminKey: [] }],
        body: publishBody,
        response: { 200: versionSummary, 201: versionSummary, ...errors },
      },
    },
    async (request, reply) => {
      await admin(request);
      const b = request.body;
      const draft: NoticeDraft = {
        id: b.version,
        policy: b.policy === undefined ? undefined : tiedPolicy(b.policy),
        effectiveAt: b.effectiveAt,
        effectiveAfterDays: b.effectiveAfterDays,
        texts: Object.entries(b.texts).map(([language, t]) => ({ language, ...t })),
      };
      const { version, created } = await notices.publish(draft, 'admin');
      reply.header('location', `/v1/notices/versions/${version.id}`);
      return reply.code(created ? 201 : 200).send(summary(version));
    },
  );

  r.post(
    '/v1/admin/notices/bounces',
    {
      bodyLimit: EXPOSURES_BODY_LIMIT,
      schema: {
        tags: ['admin'],
        summary: 'Record bounced campaign emails',
        description:
          'Each bounce names the account or the address (and optionally the campaign). A bounced message was never shown: its email exposure is voided.',
        security: [{ adminKey: [] }],
        body: bouncesBody,
        response: { 200: bouncesResult, ...errors },
      },
    },
    async (request) => {
      await admin(request);
      return notices.recordBounces(request.body.bounces);
    },
  );

  r.get(
    '/v1/admin/notices/campaigns/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'A notice campaign and its counts (sent, skipped, failed, bounced, ...)',
        security: [{ adminKey: [] }],
        params: campaignParams,
        response: { 200: campaignView, ...errors },
      },
    },
    async (request) => {
      await admin(request);
      const c = await notices.store.getCampaign(request.params.id);
      if (!c) throw new AppError('not-found', 'no such campaign');
      return {
        id: c.id,
        version: c.versionId,
        createdAt: c.createdAt,
        finishedAt: c.finishedAt,
        counts: await notices.store.counts(c.id),
      };
    },
  );
}

/** The policy text of a publication, validated; its problems are the request's. */
function tiedPolicy(source: string): TiedPolicy {
  try {
    const policy = parsePolicy(source, 'policy.yaml');
    return { name: policy.id, policy };
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    throw new AppError('validation', err.message, {
      issues: err.issues.map((i) => ({
        field: `policy${i.field ? `.${i.field}` : ''}`,
        reason: `${i.line ? `line ${i.line}: ` : ''}${i.reason}`,
      })),
    });
  }
}
