import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.ts';
import { verifyReceiptProof } from '../../transparency/receipt-proof.ts';
import { type TermsProof, verifyTermsProof } from '../../transparency/terms-commitment.ts';
import { sendProblem } from '../problem.ts';
import type { FieldError } from './components.ts';
import { errorMessage, translate } from './context.ts';
import { apiReferencePage } from './pages/api-reference.ts';
import { errorPage } from './pages/error.ts';
import {
  APPEARS_AT_ITEM_MAX,
  APPEARS_AT_MAX,
  nonUserEmailPage,
  nonUserVerifyPage,
} from './pages/non-user.ts';
import { noticePage, REASON_MAX } from './pages/notice.ts';
import { receiptPage, statusListPage, statusPage, withdrawPage } from './pages/objection.ts';
import { publishedNoticePage } from './pages/published-notice.ts';
import { receiptProofPage } from './pages/receipt-proof.ts';
import { termsListPage, termsProofPage } from './pages/terms-proof.ts';
import { bodyParam, type PortalRuntime, queryParam } from './runtime.ts';
import { nextValueProblem, sameOriginPath } from './same-origin.ts';

// Deliberately loose: the code sent to the address is the real proof of control. This only
// catches typos such as a missing "@" before a code is sent to nowhere.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const EMAIL_MAX = 254;
const CODE = /^[0-9]{4,10}$/;

/** `next` after sign-in must stay inside the portal: a path, never another origin. */
function safeNext(next: string | undefined): string {
  return sameOriginPath(next) ?? '/';
}

function optionalText(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

function parseAppearsAt(value: string): string[] {
  const seen = new Set<string>();
  for (const line of value.split(/\r?\n/)) {
    const item = line.trim();
    if (item) seen.add(item);
  }
  return [...seen];
}

function isCodeError(err: unknown): err is AppError {
  return (
    err instanceof AppError &&
    (err.code === 'code-invalid' || err.code === 'code-expired' || err.code === 'code-attempts')
  );
}

export function registerPortalRoutes(app: FastifyInstance, rt: PortalRuntime): void {
  const { registry, tokens } = rt.options;
  const csrf = { preHandler: app.csrfProtection };

  /** Verifies the platform's signed token and starts Veto's own session. */
  async function enterSession(
    req: FastifyRequest,
    reply: FastifyReply,
    token: string,
    next: string,
  ): Promise<FastifyReply> {
    let claims: Awaited<ReturnType<typeof tokens.verify>>;
    try {
      claims = await tokens.verify(token);
    } catch (err) {
      // For the platform's operators: why its token was refused (an expired link, or a subject
      // that is not a valid account id). Never the token or the id itself.
      req.log.info({ reason: (err as Error).message.slice(0, 200) }, 'platform token refused');
      rt.clearSession(req, reply);
      const ctx = rt.context(req, reply);
      return rt.send(
        reply,
        ctx,
        errorPage(ctx, 'error.token-invalid', 'session.invalid.title'),
        401,
      );
    }
    rt.setSession(req, reply, rt.cookies.fromClaims(claims));
    // The account's language now outranks a switcher choice made before signing in.
    rt.resetLanguage(req, reply);
    // Redirect so the token leaves the address bar, the history and any Referer.
    return rt.redirect(reply, next);
  }

  app.get('/docs/api', async (req, reply) => {
    const ctx = rt.context(req, reply);
    const doc = rt.options.openapi?.() ?? {};
    return rt.send(reply, ctx, apiReferencePage(ctx, doc));
  });

  app.get('/', async (req, reply) => {
    const token = queryParam(req, 'token');
    if (token) return enterSession(req, reply, token, '/');
    const ctx = rt.context(req, reply);
    const session = rt.session(req);
    const purpose = registry.settings.defaultPurpose;
    let existing: Awaited<ReturnType<typeof rt.effectiveObjection>>;
    if (session?.account) {
      existing = await rt.effectiveObjection(
        { kind: 'account', accountId: session.account.id },
        purpose,
      );
    } else if (session?.verifiedEmail) {
      existing = await rt.effectiveObjection(
        { kind: 'email', email: session.verifiedEmail },
        purpose,
      );
    }
    const data = { canObject: Boolean(session?.account), existing };
    // The published notice version when there is one; the catalogue's built-in text before.
    const published = await rt.options.notices?.latest();
    if (published) {
      // On this page the notice's own "object" link leads to the button below it (or, after
      // objecting, to the status shown there), never back to the top of the same page.
      const view = rt.options.notices!.view(
        published,
        { chosen: ctx.lang },
        { objectUrl: '#object-action' },
      );
      if (session?.account) {
        // Proof of who saw which notice version: the portal is itself a place where the
        // platform's members read the notice; the first view is what the notice period counts.
        // Showing the notice never depends on recording it: a failure is logged, and the gate
        // then treats the person as not shown (fail closed), which only excludes content.
        try {
          const key = registry.subjectKey({ kind: 'account', accountId: session.account.id });
          if (!(await rt.options.notices!.exposures.shownAt(key, published.id)))
            await rt.options.notices!.recordExposures(
              [
                {
                  accountId: session.account.id,
                  version: published.id,
                  language: view.language,
                  channel: 'web',
                  shownAt: new Date().toISOString(),
                },
              ],
              'portal',
            );
        } catch (err) {
          req.log.warn({ err }, 'could not record that the notice was shown');
        }
      }
      return rt.send(reply, ctx, publishedNoticePage(ctx, view, data));
    }
    return rt.send(reply, ctx, noticePage(ctx, data));
  });

  app.get('/session', async (req, reply) => {
    const token = queryParam(req, 'token');
    const rawNext = queryParam(req, 'next');
    const problem = rawNext === undefined ? undefined : nextValueProblem(rawNext);
    if (problem) {
      // A line break here is an attempt to split the Location header: a clear refusal, never a
      // redirect (and never a 500 from the HTTP layer refusing the header). A page for people,
      // a problem document for everything else, as for unknown paths.
      const err = new AppError('validation', `next: ${problem}`, {
        issues: [{ field: 'next', reason: problem }],
      });
      if (/text\/html/.test(req.headers.accept ?? '')) {
        const ctx = rt.context(req, reply);
        return rt.send(reply, ctx, errorPage(ctx, err.messageKey), 400);
      }
      return sendProblem(reply, req, err);
    }
    const next = safeNext(rawNext);
    if (!token) return rt.redirect(reply, next);
    return enterSession(req, reply, token, next);
  });

  // One step: the button on the notice posts here, and nothing else is asked.
  app.post('/object', csrf, async (req, reply) => {
    const session = rt.session(req);
    if (!session?.account) {
      const ctx = rt.context(req, reply);
      return rt.send(reply, ctx, errorPage(ctx, 'error.unauthorized'), 401);
    }
    const reasonText = optionalText(bodyParam(req, 'reasonText'));
    if (reasonText && reasonText.length > REASON_MAX) {
      const ctx = rt.context(req, reply);
      return rt.send(reply, ctx, errorPage(ctx, 'error.validation'), 400);
    }
    // The registry is idempotent per subject and purpose: a double-click returns the
    // objection the first click created, and both land on the same receipt.
    const { objection } = await registry.object({
      subject: { kind: 'account', accountId: session.account.id },
      purpose: registry.settings.defaultPurpose,
      channel: 'portal',
      reasonText,
      language: rt.language(req, reply),
      email: session.account.email ?? null,
      timeZone: session.account.timeZone,
    });
    return rt.redirect(reply, `/receipt/${objection.reference}`);
  });
  app.get('/object', async (_req, reply) => rt.redirect(reply, '/'));

  app.get<{ Params: { reference: string } }>('/receipt/:reference', async (req, reply) => {
    const found = await rt.owned(req, req.params.reference, queryParam(req, 't'));
    const ctx = rt.context(req, reply);
    if (!found) return rt.send(reply, ctx, errorPage(ctx, 'error.not-found'), 404);
    const emailSent =
      found.objection.subjectKind === 'non-user' || Boolean(rt.session(req)?.account?.email);
    return rt.send(
      reply,
      ctx,
      receiptPage(ctx, found.objection, {
        token: found.token,
        emailSent,
        proofs: Boolean(rt.options.receiptProofs),
        termsProofs: Boolean(rt.options.afterwards),
      }),
    );
  });

  app.get<{ Params: { reference: string } }>('/receipt/:reference/proof', async (req, reply) => {
    const proofs = rt.options.receiptProofs;
    const found = proofs ? await rt.owned(req, req.params.reference, queryParam(req, 't')) : null;
    const ctx = rt.context(req, reply);
    if (!proofs || !found) return rt.send(reply, ctx, errorPage(ctx, 'error.not-found'), 404);
    const proof = await proofs.of(found.objection.id);
    // Checked here against the keys the registry publishes, as a person would check it.
    const check = verifyReceiptProof(proof, proofs.logKeys());
    const query: Record<string, string> = found.token ? { t: found.token } : {};
    return rt.send(reply, ctx, receiptProofPage(ctx, found.objection, proof, check, query));
  });

  app.get<{ Params: { reference: string } }>(
    '/receipt/:reference/proof.json',
    async (req, reply) => {
      const proofs = rt.options.receiptProofs;
      const found = proofs ? await rt.owned(req, req.params.reference, queryParam(req, 't')) : null;
      if (!proofs || !found) {
        const ctx = rt.context(req, reply);
        return rt.send(reply, ctx, errorPage(ctx, 'error.not-found'), 404);
      }
      const proof = await proofs.of(found.objection.id);
      return reply
        .type('application/json; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="receipt-proof-${found.objection.reference}.json"`,
        )
        .header('cache-control', 'no-store')
        .send(`${JSON.stringify(proof, null, 2)}\n`);
    },
  );

  /** A non-user's own objection, from the reference and its token, when proofs can be shown. */
  const nonUserReceipt = async (req: FastifyRequest<{ Params: { reference: string } }>) => {
    const afterwards = rt.options.afterwards;
    if (!afterwards) return undefined;
    const found = await rt.owned(req, req.params.reference, queryParam(req, 't'));
    if (found?.objection.subjectKind !== 'non-user') return undefined;
    return { afterwards, found };
  };

  // People without an account: which datasets' redaction applied their objection, with proofs.
  app.get<{ Params: { reference: string } }>(
    '/receipt/:reference/terms-proof',
    async (req, reply) => {
      const own = await nonUserReceipt(req);
      const ctx = rt.context(req, reply);
      if (!own) return rt.send(reply, ctx, errorPage(ctx, 'error.not-found'), 404);
      const { afterwards, found } = own;
      const o = found.objection;
      const datasets = await afterwards.termsDatasetsOf(o.reference, o.purpose);
      const query: Record<string, string> = found.token ? { t: found.token } : {};
      return rt.send(reply, ctx, termsListPage(ctx, o, datasets, query));
    },
  );

  app.get<{ Params: { reference: string; datasetId: string } }>(
    '/receipt/:reference/terms-proof/:datasetId',
    async (req, reply) => {
      const own = await nonUserReceipt(req);
      const ctx = rt.context(req, reply);
      if (!own) return rt.send(reply, ctx, errorPage(ctx, 'error.not-found'), 404);
      const { afterwards, found } = own;
      const o = found.objection;
      let datasetId = req.params.datasetId;
      const download = datasetId.endsWith('.json');
      if (download) datasetId = datasetId.slice(0, -'.json'.length);
      if (!/^[A-Za-z0-9_.-]{1,200}$/.test(datasetId))
        return rt.send(reply, ctx, errorPage(ctx, 'error.not-found'), 404);
      let text: string | undefined;
      try {
        text = await afterwards.termsProof(datasetId, o.reference);
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== 'not-found') throw err;
        // A dataset this deployment never sealed with a terms commitment: nothing to say.
        if (!(await afterwards.storedTerms(datasetId)))
          return rt.send(reply, ctx, errorPage(ctx, 'error.not-found'), 404);
      }
      if (download) {
        if (!text) return rt.send(reply, ctx, errorPage(ctx, 'error.not-found'), 404);
        return reply
          .type('application/json; charset=utf-8')
          .header('content-disposition', `attachment; filename="terms-proof-${datasetId}.json"`)
          .header('cache-control', 'no-store')
          .send(text);
      }
      // Checked here against the dataset's commitment, as the person would check it.
      const stored = await afterwards.storedTerms(datasetId);
      const proof = text
        ? {
            text,
            proof: JSON.parse(text) as TermsProof,
            check: verifyTermsProof(text, { datasetId, commitment: stored! }),
          }
        : undefined;
      const query: Record<string, string> = found.token ? { t: found.token } : {};
      return rt.send(
        reply,
        ctx,
        termsProofPage(ctx, o, datasetId, proof, query, rt.options.config.publicUrl),
      );
    },
  );

  app.get<{ Params: { reference: string } }>('/status/:reference', async (req, reply) => {
    const found = await rt.owned(req, req.params.reference, queryParam(req, 't'));
    const ctx = rt.context(req, reply);
    if (!found) return rt.send(reply, ctx, errorPage(ctx, 'error.not-found'), 404);
    return rt.send(
      reply,
      ctx,
      statusPage(ctx, found.objection, {
        token: found.token,
        justWithdrawn: queryParam(req, 'withdrawn') === '1',
      }),
    );
  });

  app.get('/status', async (req, reply) => {
    const subjects = rt.subjects(req);
    const ctx = rt.context(req, reply);
    if (subjects.length === 0) return rt.send(reply, ctx, statusListPage(ctx, undefined));
    const lists = await Promise.all(subjects.map((s) => registry.objectionsOf(s)));
    const all = lists.flat().sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
    return rt.send(reply, ctx, statusListPage(ctx, all));
  });

  app.get<{ Params: { reference: string } }>('/withdraw/:reference', async (req, reply) => {
    const found = await rt.owned(req, req.params.reference, queryParam(req, 't'));
    const ctx = rt.context(req, reply);
    if (!found) return rt.send(reply, ctx, errorPage(ctx, 'error.not-found'), 404);
    if (found.objection.status !== 'effective') {
      return rt.redirect(
        reply,
        `/status/${found.objection.reference}`,
        found.token ? { t: found.token } : {},
      );
    }
    return rt.send(reply, ctx, withdrawPage(ctx, found.objection, { token: found.token }));
  });

  app.post<{ Params: { reference: string } }>('/withdraw/:reference', csrf, async (req, reply) => {
    const found = await rt.owned(req, req.params.reference, bodyParam(req, 't') || undefined);
    if (!found) {
      const ctx = rt.context(req, reply);
      return rt.send(reply, ctx, errorPage(ctx, 'error.not-found'), 404);
    }
    const { objection, token } = found;
    const back = { ...(token ? { t: token } : {}), withdrawn: '1' };
    // A second submission finds the objection already withdrawn: same outcome, no error.
    if (objection.status === 'effective') {
      try {
        await registry.withdraw(
          objection.id,
          { subjectKey: objection.subjectKey },
          { timeZone: rt.session(req)?.account?.timeZone },
        );
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'invalid-state')) throw err;
      }
    }
    return rt.redirect(reply, `/status/${objection.reference}`, back);
  });

  app.get('/non-user', async (req, reply) => {
    const ctx = rt.context(req, reply);
    return rt.send(reply, ctx, nonUserEmailPage(ctx));
  });

  app.post('/non-user', csrf, async (req, reply) => {
    const email = bodyParam(req, 'email').trim();
    const ctx = rt.context(req, reply);
    if (!email || email.length > EMAIL_MAX || !EMAIL.test(email)) {
      const errors = [{ field: 'email', message: translate(ctx, 'error.email-invalid') }];
      return rt.send(reply, ctx, nonUserEmailPage(ctx, { email, errors }), 400);
    }
    try {
      // Always the same answer whether or not the address is known to Veto.
      await registry.requestEmailCode(email, ctx.lang);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const errors = [{ field: 'email', message: errorMessage(ctx, err.messageKey) }];
      return rt.send(reply, ctx, nonUserEmailPage(ctx, { email, errors }), err.status);
    }
    rt.cookies.writePending(reply, email);
    return rt.redirect(reply, '/non-user/verify');
  });

  app.get('/non-user/verify', async (req, reply) => {
    const pending = rt.cookies.readPending(req);
    if (!pending) return rt.redirect(reply, '/non-user');
    const ctx = rt.context(req, reply);
    const alreadyVerified = rt.session(req)?.verifiedEmail === pending.email;
    return rt.send(reply, ctx, nonUserVerifyPage(ctx, { email: pending.email, alreadyVerified }));
  });

  app.post('/non-user/verify', csrf, async (req, reply) => {
    const ctx = rt.context(req, reply);
    const pending = rt.cookies.readPending(req);
    if (!pending) {
      const errors = [{ field: 'email', message: translate(ctx, 'error.no-pending') }];
      return rt.send(reply, ctx, nonUserEmailPage(ctx, { errors }), 400);
    }
    const email = pending.email;
    const alreadyVerified = rt.session(req)?.verifiedEmail === email;
    const code = bodyParam(req, 'code').replace(/[\s-]/g, '');
    const appearsAtRaw = bodyParam(req, 'appearsAt');
    const reasonRaw = bodyParam(req, 'reasonText');
    const appearsAt = parseAppearsAt(appearsAtRaw);
    const reasonText = optionalText(reasonRaw);

    const errors: FieldError[] = [];
    if (!alreadyVerified && !CODE.test(code)) {
      errors.push({ field: 'code', message: translate(ctx, 'error.code-format') });
    }
    if (appearsAt.length > APPEARS_AT_MAX) {
      errors.push({
        field: 'appearsAt',
        message: translate(ctx, 'error.appears-too-many', { max: APPEARS_AT_MAX }),
      });
    } else if (appearsAt.some((a) => a.length > APPEARS_AT_ITEM_MAX)) {
      errors.push({
        field: 'appearsAt',
        message: translate(ctx, 'error.text-too-long', { max: APPEARS_AT_ITEM_MAX }),
      });
    }
    if (reasonText && reasonText.length > REASON_MAX) {
      errors.push({
        field: 'reasonText',
        message: translate(ctx, 'error.text-too-long', { max: REASON_MAX }),
      });
    }
    const again = (errs: FieldError[], status: number) =>
      rt.send(
        reply,
        ctx,
        nonUserVerifyPage(ctx, {
          email,
          alreadyVerified,
          appearsAt: appearsAtRaw,
          reasonText: reasonRaw,
          errors: errs,
        }),
        status,
      );
    if (errors.length > 0) return again(errors, 400);

    if (!alreadyVerified) {
      try {
        await rt.verifier.check(email, code);
      } catch (err) {
        if (!isCodeError(err)) throw err;
        return again([{ field: 'code', message: errorMessage(ctx, err.messageKey) }], err.status);
      }
      // Remember the proof for this browser: a resubmission, the status page and a later
      // objection need no second code.
      rt.setSession(req, reply, rt.cookies.withVerifiedEmail(rt.session(req), email));
    }
    const { objection } = await registry.object({
      subject: { kind: 'email', email },
      purpose: registry.settings.defaultPurpose,
      channel: 'portal',
      reasonText,
      appearsAt,
      language: ctx.lang,
      email,
    });
    return rt.redirect(reply, `/receipt/${objection.reference}`);
  });

  app.post('/logout', csrf, async (req, reply) => {
    rt.clearSession(req, reply);
    rt.cookies.clearPending(reply);
    return rt.redirect(reply, '/');
  });
  app.get('/logout', async (_req, reply) => rt.redirect(reply, '/'));
}
