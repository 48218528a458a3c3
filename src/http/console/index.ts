import { createHash, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type Art30Deployment,
  art30Dir,
  art30Html,
  currentArt30Markdown,
  keepArt30Version,
  listArt30Versions,
  readArt30Version,
} from '../../domain/art30-record.ts';
import { loadOverview } from '../../domain/console/overview.ts';
import {
  type StaffAudit,
  type StaffPermission,
  staffActor,
  staffMay,
} from '../../domain/console/staff.ts';
import { AppError } from '../../domain/errors.ts';
import { updateSchedule } from '../../domain/model-summary.ts';
import { modelSummary } from '../../domain/model-summary-loader.ts';
import { exportObjections } from '../../domain/objection-export.ts';
import type { Registry } from '../../domain/registry.ts';
import type { Afterwards } from '../../domain/removals/afterwards.ts';
import type { Objection } from '../../domain/types.ts';
import { type Catalogue, loadCatalogue } from '../../i18n/catalogue.ts';
import { lookupLanguage, negotiateLanguage } from '../../i18n/negotiate.ts';
import type { Clock } from '../../lib/clock.ts';
import { markdownHtml, printableHtml } from '../../lib/printable-markdown.ts';
import type { ConsoleStore } from '../../store/console-store.ts';
import { html } from '../portal/html.ts';
import { bodyParam, queryParam } from '../portal/runtime.ts';
import { Sealer } from '../portal/sealed.ts';
import type { ConsoleContext } from './context.ts';
import {
  mapRows,
  OBJECTION_EXPORT_COLUMNS,
  objectionExportRow,
  sendList,
} from './export-stream.ts';
import { CONSOLE_STYLESHEET_PATH, type ConsolePage, consoleLayout } from './layout.ts';
import {
  MEMORISATION_EXPORT_COLUMNS,
  memorisationExportRow,
  reportPage,
  reportsPage,
} from './pages/memorisation.ts';
import { exportsPage, messagePage } from './pages/messages.ts';
import { modelSummaryPage, modelsPage, summaryReminders } from './pages/models.ts';
import { findPage, objectionPage } from './pages/objection.ts';
import { datasetsPage, noticesPage, recipientsPage } from './pages/operations.ts';
import {
  OVERVIEW_TABLES,
  type OverviewTable,
  overviewPage,
  overviewTable,
} from './pages/overview.ts';
import { ART30_PATH, art30Page } from './pages/records.ts';
import { reviewsPage } from './pages/reviews.ts';
import { StaffCookies, type StaffSession } from './staff-session.ts';
import { NoStaffRole, type StaffSignIn } from './staff-sign-in.ts';

const STYLESHEET = readFileSync(new URL('./assets/console.css', import.meta.url), 'utf8');
const STYLESHEET_ETAG = `"${createHash('sha256').update(STYLESHEET).digest('base64url').slice(0, 16)}"`;
const LANG_COOKIE = 'veto_lang';
const REFERENCE = /^VT-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;
/** Pages that need no session: signing in and out. */
/** What the objection page confirms after a form posted to it redirects back. */
const DONE = ['decided', 'extended'] as const;
const OPEN_PATHS = new Set(['/console/login', '/console/callback', '/console/signed-out']);

export interface ConsoleOptions {
  registry: Registry;
  consoleStore: ConsoleStore;
  audit: StaffAudit;
  signIn: StaffSignIn;
  clock: Clock;
  /** Models and memorisation reports (absent: the reports page says there are none). */
  afterwards?: Afterwards | undefined;
  /** What the Art. 30 record is generated from (absent: its page is not found). */
  art30?: Art30Deployment | undefined;
  config: {
    languages: string[];
    defaultLanguage: string;
    publicUrl: string;
    secret: string;
    platformName: string;
    controllerName?: string | undefined;
    demo: boolean;
  };
}

/**
 * The staff console at /console: server-rendered pages (no client JavaScript) for the data
 * protection officer and the privacy team, behind OpenID Connect sign-in. Every page needs a
 * staff session; each action is allowed by role (src/domain/console/staff.ts), and each read
 * or change of personal data is an audit event naming the staff member. Register encapsulated,
 * like the portal: its cookies, CSRF and error pages stay inside.
 */
export async function consolePlugin(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const { config, registry, audit } = options;
  const catalogue: Catalogue = loadCatalogue({
    languages: config.languages,
    defaultLanguage: config.defaultLanguage,
  });
  const secure = config.publicUrl.startsWith('https:');
  const cookies = new StaffCookies(
    new Sealer(config.secret, 'staff-session'),
    new Sealer(config.secret, 'staff-sign-in'),
    secure,
  );
  const sessions = new WeakMap<FastifyRequest, StaffSession | undefined>();
  const session = (req: FastifyRequest) => {
    if (!sessions.has(req)) sessions.set(req, cookies.read(req));
    return sessions.get(req);
  };

  if (!app.hasRequestDecorator('cookies')) await app.register(fastifyCookie);
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    await app.register(fastifyFormbody, { bodyLimit: 16 * 1024 });
  }
  await app.register(fastifyCsrf, {
    cookieKey: 'veto_console_csrf',
    cookieOpts: { path: '/console', sameSite: 'lax', httpOnly: true, secure },
    getUserInfo: (req) => session(req)?.sid ?? 'anonymous',
    csrfOpts: {
      userInfo: true,
      hmacKey: Buffer.from(hkdfSync('sha256', config.secret, 'veto-console', 'csrf-hmac', 32)),
      validity: 8 * 60 * 60 * 1000,
    },
  });

  const language = (req: FastifyRequest, reply: FastifyReply): string => {
    const available = catalogue.languages;
    const asked = queryParam(req, 'lang');
    const chosen = asked ? lookupLanguage(asked, available) : undefined;
    if (chosen && chosen !== req.cookies[LANG_COOKIE]) {
      reply.setCookie(LANG_COOKIE, chosen, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure,
        maxAge: 365 * 24 * 3600,
      });
    }
    const remembered = req.cookies[LANG_COOKIE];
    return negotiateLanguage(
      {
        chosen: chosen ?? (remembered ? lookupLanguage(remembered, available) : undefined),
        acceptLanguage: req.headers['accept-language'],
      },
      available,
      catalogue.defaultLanguage,
    );
  };

  const context = (req: FastifyRequest, reply: FastifyReply): ConsoleContext => {
    const s = session(req);
    const [path = '/console', queryPart = ''] = req.url.split('?', 2);
    const query = new URLSearchParams(queryPart);
    query.delete('lang');
    return {
      lang: language(req, reply),
      catalogue,
      platformName: config.platformName,
      base: '',
      here: { path, query },
      csrf: reply.generateCsrf({ userInfo: s?.sid ?? 'anonymous' }),
      session: undefined,
      demo: config.demo,
      staff: s?.staff,
    };
  };

  const send = (reply: FastifyReply, ctx: ConsoleContext, page: ConsolePage, status = 200) =>
    reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-language', ctx.lang)
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .send(consoleLayout(ctx, page));

  /** Refuses (403, a page saying so) unless the signed-in role allows `permission`. */
  const allow = (req: FastifyRequest, permission: StaffPermission) => {
    const s = session(req);
    if (!s || !staffMay(s.staff.role, permission)) {
      throw new AppError('forbidden', `the role does not allow ${permission}`, {
        messageKey: 'console.forbidden',
      });
    }
    return s.staff;
  };

  // No console page without a session: GETs go to sign-in (and come back), the rest are refused.
  app.addHook('preHandler', async (req, reply) => {
    const path = req.url.split('?', 1)[0]!;
    if (OPEN_PATHS.has(path) || path === CONSOLE_STYLESHEET_PATH || session(req)) return;
    if (req.method === 'GET' || req.method === 'HEAD') {
      return reply.redirect(`/console/login?${new URLSearchParams({ returnTo: req.url })}`, 303);
    }
    const ctx = context(req, reply);
    return send(reply, ctx, messagePage(ctx, 'console.signed-out', true), 401);
  });

  app.setErrorHandler(async (error: FastifyError, req, reply) => {
    let status = 500;
    let key = 'error.generic';
    if (error instanceof AppError) {
      status = error.status;
      key = error.messageKey;
    } else if (error.code?.startsWith('FST_CSRF')) {
      status = 403;
      key = 'error.csrf';
    } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
      key = 'error.validation';
    }
    if (status >= 500) req.log.error({ err: error }, 'console request failed');
    const ctx = context(req, reply);
    const known = catalogue.source(catalogue.defaultLanguage, key) !== undefined;
    return send(reply, ctx, messagePage(ctx, known ? key : 'error.generic'), status);
  });

  app.get(CONSOLE_STYLESHEET_PATH, async (req, reply) => {
    reply
      .header('content-type', 'text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .header('etag', STYLESHEET_ETAG);
    if (req.headers['if-none-match'] === STYLESHEET_ETAG) return reply.code(304).send();
    return reply.send(STYLESHEET);
  });

  app.get('/console/login', async (req, reply) => {
    const asked = queryParam(req, 'returnTo') ?? '/console';
    // Only a console path: never an open redirect to another site.
    const returnTo =
      /^\/console(?:[/?]|$)/.test(asked) && !asked.startsWith('//') ? asked : '/console';
    const { url, pending } = await options.signIn.start(returnTo);
    cookies.writePending(reply, pending);
    return reply.redirect(url, 303);
  });

  app.get('/console/callback', async (req, reply) => {
    const pending = cookies.readPending(req);
    cookies.clearPending(reply);
    const ctx = context(req, reply);
    if (!pending) return send(reply, ctx, messagePage(ctx, 'console.sign-in-failed', true), 400);
    try {
      const staff = await options.signIn.finish(new URL(req.url, config.publicUrl), pending);
      const s = cookies.start(reply, staff);
      sessions.set(req, s);
      await audit.record(staff, 'signed-in');
      return reply.redirect(pending.returnTo, 303);
    } catch (err) {
      if (err instanceof NoStaffRole)
        return send(reply, ctx, messagePage(ctx, 'console.no-role'), 403);
      req.log.warn({ err }, 'staff sign-in failed');
      return send(reply, ctx, messagePage(ctx, 'console.sign-in-failed', true), 400);
    }
  });

  app.post('/console/logout', { preHandler: app.csrfProtection }, async (req, reply) => {
    cookies.clear(reply);
    sessions.set(req, undefined);
    return reply.redirect('/console/signed-out', 303);
  });

  app.get('/console/signed-out', async (req, reply) => {
    const ctx = context(req, reply);
    return send(reply, ctx, messagePage(ctx, 'console.signed-out', true));
  });

  app.get('/console', async (req, reply) => {
    allow(req, 'read-figures');
    const ctx = context(req, reply);
    const page = await overviewPage(ctx, await loadOverview(options.consoleStore));
    // The six-monthly update of a model's training-content summary, reminded where staff start.
    const now = options.clock();
    const due = ((await options.afterwards?.listModels()) ?? [])
      .map((model) => ({ model, schedule: updateSchedule(model, now) }))
      .filter((m) => m.schedule.remind);
    return send(reply, ctx, { ...page, body: html`${summaryReminders(ctx, due)}${page.body}` });
  });

  app.get('/console/figures/:file', async (req, reply) => {
    allow(req, 'read-figures');
    const { name, format } = listFile((req.params as { file: string }).file);
    if (!(OVERVIEW_TABLES as readonly string[]).includes(name)) throw notFound();
    const ctx = context(req, reply);
    const table = overviewTable(
      ctx,
      await loadOverview(options.consoleStore),
      name as OverviewTable,
    );
    const columns = Object.keys(
      table.rows[0] ?? Object.fromEntries(table.columns.map((c) => [c.key, 1])),
    );
    return sendList(reply, { name, format, columns, rows: table.rows });
  });

  app.get('/console/reviews', async (req, reply) => {
    const staff = allow(req, 'read-objection');
    const ctx = context(req, reply);
    const reviewMode = registry.settings.reviewMode;
    const [pending, upheld, overridden] = reviewMode
      ? await Promise.all([
          collect(exportObjections(registry.store, { review: 'pending' })),
          registry.store.listObjections({ review: 'upheld', limit: 200 }),
          registry.store.listObjections({ review: 'overridden', limit: 200 }),
        ])
      : [[], [], []];
    if (reviewMode) await audit.record(staff, 'read-review-queue', { pending: pending.length });
    const decided = [...upheld, ...overridden].sort((a, b) =>
      (b.decidedAt ?? '').localeCompare(a.decidedAt ?? ''),
    );
    pending.sort((a, b) => a.dueAt.localeCompare(b.dueAt));
    return send(
      reply,
      ctx,
      reviewsPage(ctx, { reviewMode, pending, decided, now: options.clock() }),
    );
  });

  app.get('/console/objections', async (req, reply) => {
    allow(req, 'read-objection');
    const ctx = context(req, reply);
    const asked = (queryParam(req, 'reference') ?? '').trim().toUpperCase();
    if (!asked) return send(reply, ctx, findPage(ctx, { reference: '', notFound: false }));
    const found = REFERENCE.test(asked) ? await registry.getByReference(asked) : undefined;
    if (found) return reply.redirect(`/console/objections/${found.reference}`, 303);
    return send(reply, ctx, findPage(ctx, { reference: asked, notFound: true }), 404);
  });

  const objectionOf = async (req: FastifyRequest): Promise<Objection> => {
    const ref = (req.params as { reference: string }).reference.toUpperCase();
    const o = REFERENCE.test(ref) ? await registry.getByReference(ref) : undefined;
    if (!o) throw notFound();
    return o;
  };

  app.get('/console/objections/:reference', async (req, reply) => {
    const staff = allow(req, 'read-objection');
    const o = await objectionOf(req);
    await audit.record(staff, 'read-objection', { objection: o.id, reference: o.reference });
    const ctx = context(req, reply);
    return send(
      reply,
      ctx,
      objectionPage(ctx, o, {
        reviewMode: registry.settings.reviewMode,
        done: DONE.find((d) => d === queryParam(req, 'done')),
      }),
    );
  });

  app.post(
    '/console/objections/:reference/decision',
    { preHandler: app.csrfProtection },
    async (req, reply) => {
      const staff = allow(req, 'decide');
      const o = await objectionOf(req);
      const outcome = bodyParam(req, 'outcome');
      if (outcome !== 'upheld' && outcome !== 'overridden') {
        throw new AppError('validation', 'outcome must be upheld or overridden', {
          issues: [{ field: 'outcome', reason: 'must be upheld or overridden' }],
        });
      }
      await registry.decide(o.id, {
        outcome,
        reason: bodyParam(req, 'reason'),
        reviewer: staffActor(staff),
      });
      await audit.record(staff, 'decided', { objection: o.id, reference: o.reference, outcome });
      return reply.redirect(`/console/objections/${o.reference}?done=decided`, 303);
    },
  );

  app.post(
    '/console/objections/:reference/extension',
    { preHandler: app.csrfProtection },
    async (req, reply) => {
      const staff = allow(req, 'decide');
      const o = await objectionOf(req);
      const months = Number(bodyParam(req, 'months'));
      await registry.extend(o.id, {
        months,
        reason: bodyParam(req, 'reason'),
        reviewer: staffActor(staff),
      });
      await audit.record(staff, 'extended', { objection: o.id, reference: o.reference, months });
      return reply.redirect(`/console/objections/${o.reference}?done=extended`, 303);
    },
  );

  app.get('/console/datasets', async (req, reply) => {
    allow(req, 'read-figures');
    const ctx = context(req, reply);
    const [datasets, effects, verifications] = await Promise.all([
      options.consoleStore.sealedDatasets(),
      options.consoleStore.removalEffects(),
      options.consoleStore.lastVerifications(),
    ]);
    return send(reply, ctx, datasetsPage(ctx, { datasets, effects, verifications }));
  });

  // The Art. 30 record as `veto record art30` generates it now, and the versions it kept.
  const art30 = async () => {
    if (!options.art30) throw notFound();
    const deployment = options.art30;
    const [markdown, versions] = await Promise.all([
      currentArt30Markdown(deployment),
      listArt30Versions(art30Dir(deployment.config.dataDir)),
    ]);
    const sha256 = createHash('sha256').update(markdown).digest('hex');
    const last = versions[versions.length - 1];
    const currentVersion = last?.sha256 === sha256 ? last.version : undefined;
    return { markdown, versions, currentVersion, policies: deployment.config.policies ?? [] };
  };

  app.get(ART30_PATH, async (req, reply) => {
    allow(req, 'read-figures');
    const record = await art30();
    const ctx = context(req, reply);
    return send(
      reply,
      ctx,
      art30Page(ctx, {
        recordHtml: markdownHtml(record.markdown, 2),
        policiesConfigured: record.policies.length > 0,
        versions: record.versions,
        currentVersion: record.currentVersion,
        done: queryParam(req, 'done') === 'kept',
      }),
    );
  });

  // A kept version as it was kept: the files are never changed, so they may be cached.
  app.get<{ Params: { file: string } }>(`${ART30_PATH}/versions/:file`, async (req, reply) => {
    allow(req, 'read-figures');
    if (!options.art30) throw notFound();
    const kept = await readArt30Version(art30Dir(options.art30.config.dataDir), req.params.file);
    if (!kept) throw notFound();
    if (kept.format === 'md') {
      reply
        .header('content-type', 'text/markdown; charset=utf-8')
        .header('content-disposition', `attachment; filename="art30-record-${kept.version}.md"`);
    } else {
      reply.header('content-type', 'text/html; charset=utf-8');
    }
    return reply.header('cache-control', 'private, max-age=86400, immutable').send(kept.body);
  });

  // Keeps the record as it stands now, as `veto record art30` does: the controller's act.
  app.post(`${ART30_PATH}/keep`, { preHandler: app.csrfProtection }, async (req, reply) => {
    const staff = allow(req, 'keep-records');
    if (!options.art30) throw notFound();
    const deployment = options.art30;
    const kept = await keepArt30Version(
      art30Dir(deployment.config.dataDir),
      await currentArt30Markdown(deployment),
    );
    await audit.record(staff, 'kept-art30', { version: kept.version, created: kept.created });
    return reply.redirect(`${ART30_PATH}?done=kept`, 303);
  });

  app.get(`${ART30_PATH}.md`, async (req, reply) => {
    allow(req, 'read-figures');
    const record = await art30();
    return reply
      .header('content-type', 'text/markdown; charset=utf-8')
      .header('content-disposition', 'attachment; filename="art30-record.md"')
      .header('cache-control', 'no-store')
      .send(record.markdown);
  });

  app.get(`${ART30_PATH}.html`, async (req, reply) => {
    allow(req, 'read-figures');
    const record = await art30();
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(
        record.currentVersion
          ? art30Html(record.markdown, record.currentVersion)
          : printableHtml(
              record.markdown,
              `Generated ${options.clock()}; not kept as a version yet (veto record art30 keeps it)`,
            ),
      );
  });

  app.get('/console/recipients', async (req, reply) => {
    allow(req, 'read-figures');
    const ctx = context(req, reply);
    return send(reply, ctx, recipientsPage(ctx, await options.consoleStore.recipientDeliveries()));
  });

  app.get('/console/notices', async (req, reply) => {
    allow(req, 'read-figures');
    const ctx = context(req, reply);
    const [exposures, campaigns] = await Promise.all([
      options.consoleStore.noticeExposures(),
      options.consoleStore.campaignProgress(),
    ]);
    return send(reply, ctx, noticesPage(ctx, { exposures, campaigns }));
  });

  app.get('/console/models', async (req, reply) => {
    allow(req, 'read-figures');
    const ctx = context(req, reply);
    const now = options.clock();
    const models = ((await options.afterwards?.listModels()) ?? []).map((model) => ({
      model,
      schedule: updateSchedule(model, now),
    }));
    return send(reply, ctx, modelsPage(ctx, models));
  });

  app.get('/console/models/:id/summary', async (req, reply) => {
    allow(req, 'read-figures');
    const id = (req.params as { id: string }).id;
    const model = options.afterwards ? await options.afterwards.getModel(id) : undefined;
    if (!model || !options.afterwards) throw notFound();
    const ctx = context(req, reply);
    const summary = await modelSummary(
      {
        consoleStore: options.consoleStore,
        config: { platformName: config.platformName, controllerName: config.controllerName },
        clock: options.clock,
      },
      options.afterwards,
      model,
    );
    return send(reply, ctx, modelSummaryPage(ctx, model, summary));
  });

  const modelNames = async () =>
    new Map((await options.afterwards?.listModels())?.map((m) => [m.id, m.name]) ?? []);

  app.get('/console/memorisation', async (req, reply) => {
    const staff = allow(req, 'read-objection');
    const ctx = context(req, reply);
    const reports = (await options.afterwards?.listMemorisationReports()) ?? [];
    await audit.record(staff, 'read-reports', { reports: reports.length });
    return send(
      reply,
      ctx,
      reportsPage(ctx, { reports, models: await modelNames(), now: options.clock() }),
    );
  });

  const reportOf = async (req: FastifyRequest) => {
    const ref = (req.params as { reference: string }).reference.toUpperCase();
    const r = REFERENCE.test(ref)
      ? await options.afterwards?.memorisationReportByReference(ref)
      : undefined;
    if (!r) throw notFound();
    return r;
  };

  app.get('/console/memorisation/:reference', async (req, reply) => {
    const staff = allow(req, 'read-objection');
    const r = await reportOf(req);
    await audit.record(staff, 'read-report', { report: r.id, reference: r.reference });
    const ctx = context(req, reply);
    const model = (await modelNames()).get(r.modelId) ?? r.modelId;
    return send(
      reply,
      ctx,
      reportPage(ctx, r, { model, done: queryParam(req, 'done') === 'answered' }),
    );
  });

  app.post(
    '/console/memorisation/:reference/answer',
    { preHandler: app.csrfProtection },
    async (req, reply) => {
      const staff = allow(req, 'answer-reports');
      const r = await reportOf(req);
      const { emailed } = await options.afterwards!.answerMemorisation({
        reference: r.reference,
        outcome: bodyParam(req, 'outcome') ?? '',
        text: bodyParam(req, 'answer') ?? '',
        answeredBy: staffActor(staff),
      });
      await audit.record(staff, 'answered-report', {
        report: r.id,
        reference: r.reference,
        outcome: bodyParam(req, 'outcome') ?? '',
        emailed,
      });
      return reply.redirect(`/console/memorisation/${r.reference}?done=answered`, 303);
    },
  );

  app.get('/console/exports', async (req, reply) => {
    const staff = allow(req, 'read-figures');
    const ctx = context(req, reply);
    return send(reply, ctx, exportsPage(ctx, staffMay(staff.role, 'export-personal')));
  });

  app.get('/console/exports/:file', async (req, reply) => {
    const staff = allow(req, 'export-personal');
    const { name, format } = listFile((req.params as { file: string }).file);
    if (name !== 'objections' && name !== 'review-queue' && name !== 'memorisation-reports')
      throw notFound();
    await audit.record(staff, 'export', { list: name, format });
    if (name === 'memorisation-reports') {
      const reports = (await options.afterwards?.listMemorisationReports()) ?? [];
      return sendList(reply, {
        name,
        format,
        columns: MEMORISATION_EXPORT_COLUMNS,
        rows: reports.map(memorisationExportRow),
      });
    }
    const rows = exportObjections(
      registry.store,
      name === 'review-queue' ? { review: 'pending' } : {},
    );
    return sendList(reply, {
      name,
      format,
      columns: OBJECTION_EXPORT_COLUMNS,
      rows: mapRows(rows, objectionExportRow),
    });
  });
}

function notFound(): AppError {
  return new AppError('not-found', 'no such console page', { messageKey: 'error.not-found' });
}

function listFile(file: string): { name: string; format: 'csv' | 'json' } {
  const m = /^([a-z-]+)\.(csv|json)$/.exec(file);
  if (!m) throw notFound();
  return { name: m[1]!, format: m[2] as 'csv' | 'json' };
}

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of rows) out.push(r);
  return out;
}
