import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Metrics } from '../app/metrics.ts';
import type { StorageHealth } from '../app/storage-health.ts';
import type { VetoConfig } from '../config.ts';
import { demoPlugin } from '../demo/index.ts';
import type { Assessments } from '../domain/assessment/assessments.ts';
import type { StaffAudit } from '../domain/console/staff.ts';
import type { Notices } from '../domain/notices/notices.ts';
import type { Registry } from '../domain/registry.ts';
import type { Afterwards } from '../domain/removals/afterwards.ts';
import type { RequestRate } from '../domain/request-rate.ts';
import { loadTransparencyReport } from '../domain/transparency-report.ts';
import { type Clock, monotonicClock } from '../lib/clock.ts';
import type { ConsoleStore } from '../store/console-store.ts';
import type { Transparency } from '../transparency/transparency.ts';
import { adminRoutes, type SnapshotService } from './api/admin-routes.ts';
import { assessmentRoutes } from './api/assessment-routes.ts';
import { exclusionRoutes } from './api/exclusion-routes.ts';
import { noticeRoutes } from './api/notice-routes.ts';
import { objectionRoutes } from './api/objection-routes.ts';
import { removalRoutes } from './api/removal-routes.ts';
import { signalRoutes } from './api/signal-routes.ts';
import { transparencyReportRoutes } from './api/transparency-report-routes.ts';
import { transparencyRoutes } from './api/transparency-routes.ts';
import { createApiAuthenticator, requireAdmin } from './auth/api-auth.ts';
import type { PlatformTokenVerifier } from './auth/platform-token.ts';
import { consolePlugin } from './console/index.ts';
import { StaffSignIn } from './console/staff-sign-in.ts';
import { portalPlugin } from './portal/index.ts';
import type { OpenApiDocument } from './portal/pages/api-reference.ts';
import { sendProblem, storageWork } from './problem.ts';
import { securityHeaders } from './security-headers.ts';
import { sharedRateLimitStore } from './shared-rate-limit-store.ts';

export interface AppDeps {
  config: VetoConfig;
  registry: Registry;
  tokens: PlatformTokenVerifier;
  logger: Logger;
  snapshots: SnapshotService;
  /** Notices: the notice API and the portal's notice pages. */
  notices?: Notices;
  /** After the build: datasets, removals, recipients, memorisation reports. */
  afterwards?: Afterwards;
  /** Legitimate-interest assessments: their public summary (portal and API). */
  assessments?: Assessments;
  /** Storage faults: 503 with Retry-After, logged once per outage (src/app/storage-health.ts). */
  storageHealth?: StorageHealth;
  /** Rate-limit counts shared by every instance on the database (else per process). */
  requestRate?: RequestRate;
  /** The transparency log's checkpoints, proofs, tiles and cosignatures. */
  transparency?: Transparency;
  /** The staff console's figures and audit (mounted when staff sign-in is configured). */
  consoleStore?: ConsoleStore;
  staffAudit?: StaffAudit;
  clock?: Clock;
  /** `/metrics` (Prometheus) and the intake latency it measures; absent: no `/metrics`. */
  metrics?: Metrics;
  /** The log's commitments, checked by `GET /v1/admin/audit` as by `veto audit verify`. */
  verifyLoggedCommitments?: () => Promise<{ problems: string[]; notes: string[] }>;
  /** `/readyz`: database reachable, migrations current, jobs alive (absent: always ready). */
  readiness?: () => Promise<{ ready: boolean; checks: Record<string, string> }>;
}

const VERSION = '0.1.0';

/**
 * Builds the HTTP application: the API under /v1 with its OpenAPI document, the portal, and
 * (when `config.demo`) the demo platform under /demo. No listening here: tests use `inject`.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, registry, tokens, logger } = deps;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Request bodies are small; anything larger is a mistake or an attack.
    bodyLimit: 64 * 1024,
    trustProxy: false,
    // No per-request lines: URLs carry status-link tokens, and at thousands of objections per
    // second the log would be the bottleneck. Errors are still logged by the error handlers.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const auth = createApiAuthenticator({
    apiKeys: config.apiKeys,
    adminKey: config.adminKey,
    tokens,
  });

  await app.register(securityHeaders, {
    // Pages are plain HTML and CSS from this origin; no inline script exists to allow.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    strictTransportSecurity: config.publicUrl.startsWith('https://'),
  });
  await app.register(rateLimit, {
    max: config.rateLimitPerMinute,
    timeWindow: '1 minute',
    // The platform's own servers (API keys) batch-submit objections; per-IP limits are for people.
    allowList: (request) => auth.isTrustedClient(request),
    ...(deps.requestRate ? { store: sharedRateLimitStore(deps.requestRate) } : {}),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Veto API',
        version: VERSION,
        description:
          'Object to the use of content for AI training (GDPR Art. 21(5)), read status, withdraw, and export registry snapshots. ' +
          'Errors are RFC 9457 application/problem+json documents naming the field and the reason.',
      },
      servers: [{ url: config.publicUrl }],
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'A server-to-server API key (VETO_API_KEYS)',
          },
          userToken: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: "The platform's signed session token for a user",
          },
          adminKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'The admin credential (VETO_ADMIN_KEY)',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
  });

  // Graceful shutdown: `close()` lets requests in flight finish and closes idle connections, but
  // a keep-alive connection that answers a request during the drain would stay open for the
  // keep-alive timeout and hold the close up: while closing, every answer closes its connection.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });

  const health = deps.storageHealth;
  app.setErrorHandler((err, request, reply) => sendProblem(reply, request, err, health));
  if (health) {
    app.addHook('onResponse', async (request, reply) => {
      if (!health.available && reply.statusCode < 400) health.ok(storageWork(request.method));
    });
  }

  objectionRoutes(app, {
    registry,
    auth,
    ...(deps.transparency ? { transparency: deps.transparency } : {}),
  });
  adminRoutes(app, {
    registry,
    auth,
    snapshots: deps.snapshots,
    ...(deps.verifyLoggedCommitments ? { loggedCommitments: deps.verifyLoggedCommitments } : {}),
  });
  signalRoutes(app, { registry, auth });
  if (deps.transparency) transparencyRoutes(app, { transparency: deps.transparency });
  if (deps.notices) noticeRoutes(app, { notices: deps.notices, auth });
  if (deps.afterwards) {
    removalRoutes(app, { registry, afterwards: deps.afterwards, auth });
    exclusionRoutes(app, { registry, afterwards: deps.afterwards, auth });
  }
  const consoleStore = deps.consoleStore;
  const transparencyReport = consoleStore
    ? () =>
        loadTransparencyReport(
          consoleStore,
          async () => (await deps.afterwards?.listMemorisationReports()) ?? [],
        )
    : undefined;
  if (transparencyReport) transparencyReportRoutes(app, { report: transparencyReport });
  if (deps.assessments) assessmentRoutes(app, { assessments: deps.assessments });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Liveness: the process answers. Readiness: it can do its work (load balancers route on it).
  // Probes are exempt from the rate limit (whose counts live in the database: a probe must not
  // fail because of what it probes).
  const probe = { schema: { hide: true }, config: { rateLimit: false } } as const;
  app.get('/healthz', probe, async () => ({ ok: true }));
  const metrics = deps.metrics;
  if (metrics) {
    // Objection intake, every route that records one: the API and the portal's button.
    const intake = new Set(['POST /v1/objections', 'POST /object']);
    app.addHook('onResponse', async (request, reply) => {
      const route = `${request.method} ${request.routeOptions.url ?? ''}`;
      if (intake.has(route)) metrics.intakeSeconds.observe({ route }, reply.elapsedTime / 1000);
    });
    // Operator figures: behind the admin credential (Prometheus sends it as a bearer token).
    app.get(
      '/metrics',
      { schema: { hide: true }, config: { rateLimit: false } },
      async (req, reply) => {
        requireAdmin(await auth.authenticate(req));
        return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
      },
    );
  }
  app.get('/readyz', probe, async (_req, reply) => {
    const report = (await deps.readiness?.()) ?? { ready: true, checks: {} };
    return reply.code(report.ready ? 200 : 503).send(report);
  });

  await app.register(portalPlugin, {
    registry,
    tokens,
    config,
    openapi: () => app.swagger() as unknown as OpenApiDocument,
    ...(deps.notices ? { notices: deps.notices } : {}),
    ...(deps.afterwards ? { afterwards: deps.afterwards } : {}),
    ...(deps.assessments ? { assessments: deps.assessments } : {}),
    ...(transparencyReport ? { transparencyReport } : {}),
    ...(deps.transparency ? { receiptProofs: receiptProofs(deps.transparency) } : {}),
    ...(health ? { storageHealth: health } : {}),
  });
  if (config.demo) await app.register(demoPlugin, { config, prefix: '/demo' });
  if (config.staffOidcIssuer && config.staffOidcClientId && deps.consoleStore && deps.staffAudit) {
    await app.register(consolePlugin, {
      registry,
      consoleStore: deps.consoleStore,
      audit: deps.staffAudit,
      clock: deps.clock ?? monotonicClock(),
      afterwards: deps.afterwards,
      art30: deps.notices ? { config, notices: deps.notices } : undefined,
      config,
      signIn: new StaffSignIn({
        issuer: config.staffOidcIssuer,
        clientId: config.staffOidcClientId,
        clientSecret: config.staffOidcClientSecret,
        redirectUri: `${config.publicUrl}/console/callback`,
        roleClaim: config.staffRoleClaim,
      }),
    });
  }

  return app;
}

/** The portal's view of the transparency log: receipts' proofs and the keys that check them. */
function receiptProofs(transparency: Transparency) {
  return {
    of: (objectionId: string) => transparency.receiptProofOf(objectionId),
    logKeys: () => transparency.logKeys.map((k) => k.vkey),
  };
}
