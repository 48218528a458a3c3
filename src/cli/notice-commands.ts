import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Veto, wireVeto } from '../app/wire.ts';
import type { VetoConfig } from '../config.ts';
import { loadAssessmentText } from '../domain/assessment/assessment-text.ts';
import { AppError } from '../domain/errors.ts';
import { runNoticeCampaign } from '../domain/notices/notice-campaign.ts';
import { readNoticeDirectory } from '../domain/notices/notice-files.ts';
import { loadPolicy } from '../gate/policy.ts';
import { loadCatalogue } from '../i18n/catalogue.ts';
import { type Command, defineCommand, UsageError } from './command.ts';
import { csvRows } from './file-rows.ts';
import { progressReporter } from './notice-progress.ts';

/** Prints an AppError as one `field: reason` line per problem; other errors go up. */
function reportInvalid(err: unknown): number {
  if (!(err instanceof AppError)) throw err;
  if (err.issues.length === 0) console.error(`veto: ${err.message}`);
  for (const i of err.issues) console.error(`${i.field}: ${i.reason}`);
  return err.code === 'conflict' ? 3 : 1;
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `veto notices ...`: publish versions, run email campaigns, record bounces. */
export const noticeCommands: Command[] = [
  defineCommand({
    name: 'notices publish',
    synopsis: 'DIR',
    summary: 'publish a notice version (one Markdown file per language)',
    details: '  DIR                 holds notice.json and one <lang>.md per language',
    options: {},
    positionals: { min: 1, max: 1 },
    async run({ positionals }, { loadConfig }) {
      const dir = positionals[0]!;
      const veto = await wireVeto(loadConfig());
      try {
        const { version, created } = await veto.notices.publish(readNoticeDirectory(dir), 'cli');
        console.log(
          JSON.stringify(
            {
              status: created ? 'published' : 'already published (same content)',
              version: version.id,
              seq: version.seq,
              previousVersion: version.previousId,
              effectiveAt: version.effectiveAt,
              publishedAt: version.publishedAt,
              sha256: version.sha256,
              texts: Object.fromEntries(version.texts.map((t) => [t.language, t.sha256])),
            },
            null,
            2,
          ),
        );
        return 0;
      } catch (err) {
        return reportInvalid(err);
      } finally {
        await veto.close();
      }
    },
  }),

  defineCommand({
    name: 'notices list',
    synopsis: '',
    summary: 'list published notice versions',
    options: {},
    async run(_input, { loadConfig }) {
      const veto = await wireVeto(loadConfig());
      try {
        for (const v of await veto.notices.list()) {
          console.log(
            `${v.seq}\t${v.id}\tpublished ${v.publishedAt}\teffective ${v.effectiveAt}\t${v.texts.map((t) => t.language).join(',')}\t${v.sha256}`,
          );
        }
        return 0;
      } finally {
        await veto.close();
      }
    },
  }),

  defineCommand({
    name: 'notices campaign',
    synopsis:
      '--version V --users FILE.csv [--rate MSG_PER_S] [--concurrency N] [--max-attempts N] [--resend-uncertain]',
    summary: 'email a notice version; resumable, never sends twice',
    details: `  --version V         the published notice version to send (required)
  --users FILE.csv    account_id, email, language (required)
  --rate N            messages per second (default: unlimited)
  --concurrency N     messages in flight (default 8)
  --max-attempts N    attempts per message before it counts as failed
  --resend-uncertain  send again the messages whose outcome is unknown`,
    options: {
      version: { type: 'string' },
      users: { type: 'string' },
      rate: { type: 'string' },
      concurrency: { type: 'string' },
      'max-attempts': { type: 'string' },
      'resend-uncertain': { type: 'boolean' },
    },
    async run({ values }, { loadConfig }) {
      if (!values.version || !values.users) {
        throw new UsageError('--version and --users are required');
      }
      if (!existsSync(values.users)) {
        console.error(`veto: ${values.users}: no such file`);
        return 2;
      }
      const num = (name: string, v: string | undefined, min: number, max: number) => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isFinite(n) || n < min || n > max)
          throw new AppError('validation', `--${name}: a number from ${min} to ${max}`);
        return n;
      };
      let options: {
        rate?: number | undefined;
        concurrency?: number | undefined;
        maxAttempts?: number | undefined;
      };
      try {
        options = {
          rate: num('rate', values.rate, 0.01, 10_000),
          concurrency: num('concurrency', values.concurrency, 1, 100),
          maxAttempts: num('max-attempts', values['max-attempts'], 1, 100),
        };
      } catch (err) {
        return reportInvalid(err);
      }
      const config = loadConfig();
      const veto = await wireVeto(config);
      const stop = new AbortController();
      const onSignal = () => {
        if (stop.signal.aborted) return;
        console.error(
          '\nstopping: finishing the messages in flight (run the same command to resume)',
        );
        stop.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const progress = progressReporter(process.stderr);
      try {
        const report = await runNoticeCampaign(
          {
            notices: veto.notices,
            mailer: veto.mailer,
            catalogue: loadCatalogue({
              languages: config.languages,
              defaultLanguage: config.defaultLanguage,
            }),
            clock: veto.clock,
            secret: config.secret,
            objectLink: objectLinkSettings(config),
          },
          {
            versionId: values.version,
            rows: csvRows(values.users),
            sourceSha256: await fileSha256(values.users),
            ...(options.rate ? { ratePerSecond: options.rate } : {}),
            ...(options.concurrency ? { concurrency: options.concurrency } : {}),
            ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
            resendUncertain: Boolean(values['resend-uncertain']),
            onProgress: (p) => progress.update(p),
            signal: stop.signal,
          },
        );
        progress.done();
        for (const e of report.invalid) console.error(`${values.users}:${e.line}: ${e.reason}`);
        const c = report.counts;
        console.log(
          `campaign ${report.campaignId} (notice ${report.versionId})${report.resumed ? ', resumed' : ''}: ${report.finished ? 'finished' : 'not finished'}`,
        );
        console.log(
          `  sent ${c.sent}, skipped ${c.skipped}, failed ${c.failed}, bounced ${c.bounced}, uncertain ${c.uncertain}, pending ${c.pending}, invalid rows ${report.invalid.length}`,
        );
        if (report.uncertain.length > 0) {
          console.log(
            `  uncertain (may or may not have been accepted; not re-sent, no exposure recorded; --resend-uncertain to send again): ${report.uncertain.slice(0, 20).join(', ')}${report.uncertain.length > 20 ? ', ...' : ''}`,
          );
        }
        return report.finished && c.failed === 0 && c.uncertain === 0 && report.invalid.length === 0
          ? 0
          : 1;
      } catch (err) {
        progress.done();
        return reportInvalid(err);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await veto.close();
      }
    },
  }),

  defineCommand({
    name: 'notices bounces',
    synopsis: 'FILE.csv',
    summary: 'record bounced notice emails',
    details: '  FILE.csv            columns: account_id or email, optional campaign_id, reason',
    options: {},
    positionals: { min: 1, max: 1 },
    async run({ positionals }, { loadConfig }) {
      const file = positionals[0]!;
      if (!existsSync(file)) {
        console.error(`veto: ${file}: no such file`);
        return 2;
      }
      const items: { accountId?: string; email?: string; campaignId?: string; reason?: string }[] =
        [];
      const lines: number[] = [];
      let bad = 0;
      for await (const row of csvRows(file)) {
        if ('error' in row) {
          console.error(`${file}:${row.line}: ${row.error}`);
          bad += 1;
          continue;
        }
        const v = row.value as Record<string, string | undefined>;
        if (!v.account_id && !v.email) {
          console.error(`${file}:${row.line}: give account_id or email`);
          bad += 1;
          continue;
        }
        items.push({
          ...(v.account_id ? { accountId: v.account_id } : {}),
          ...(v.email ? { email: v.email } : {}),
          ...(v.campaign_id ? { campaignId: v.campaign_id } : {}),
          ...(v.reason ? { reason: v.reason } : {}),
        });
        lines.push(row.line);
      }
      const veto = await wireVeto(loadConfig());
      try {
        const result = items.length
          ? await veto.notices.recordBounces(items)
          : { received: 0, matched: 0, unmatched: [] };
        for (const i of result.unmatched)
          console.error(`${file}:${lines[i]}: matched no sent campaign message`);
        console.log(
          `bounces: ${result.received} read, ${result.matched} sent messages marked bounced, ${result.unmatched.length} unmatched, ${bad} invalid`,
        );
        return bad > 0 ? 1 : 0;
      } catch (err) {
        return reportInvalid(err);
      } finally {
        await veto.close();
      }
    },
  }),
];

/** The one-click link of notice emails: the portal checks it with the same settings. */
export function objectLinkSettings(config: VetoConfig) {
  return {
    secret: config.objectLinkSecret ?? config.secret,
    purpose: config.purposes[0] ?? 'ai-training',
    days: config.objectLinkDays,
  };
}

/** The sample notice shipped with the demo platform (notices/2026-01: English and French). */
export const DEMO_NOTICE_DIR = fileURLToPath(new URL('../../notices/2026-01', import.meta.url));

/**
 * `npm start` (serve --demo): publish the sample notice when nothing is published yet, so the
 * portal's notice page shows a real, versioned notice from the first run. A failure (say, a
 * deployment language the sample lacks) is logged and the server starts with the built-in text.
 */
export async function publishDemoNoticeIfNone(veto: Veto): Promise<void> {
  if (await veto.notices.latest()) return;
  try {
    // The demo's notice takes effect at once (the sample directory announces 30 days, as a
    // real deployment would): the gate refuses to build before the announced date, and the
    // README walkthrough builds a dataset minutes after `npm start`.
    const { effectiveAt: _announced, ...draft } = readNoticeDirectory(DEMO_NOTICE_DIR);
    const { version } = await veto.notices.publish({ ...draft, effectiveAfterDays: 0 }, 'demo');
    veto.logger.info({ version: version.id, sha256: version.sha256 }, 'published the demo notice');
  } catch (err) {
    veto.logger.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'could not publish the demo notice; the portal shows its built-in text',
    );
  }
}

/** The demo policy and its assessment text (policies/), recorded by `serve --demo`. */
export const DEMO_POLICY = fileURLToPath(new URL('../../policies/demo.yaml', import.meta.url));
export const DEMO_ASSESSMENT = fileURLToPath(
  new URL('../../policies/demo-assessment.yaml', import.meta.url),
);

/**
 * The demo's legitimate-interest assessment, recorded when the demo policy has none, so the
 * README walkthrough's `veto gate build` finds one (a real deployment records its own).
 */
export async function recordDemoAssessmentIfNone(veto: Veto): Promise<void> {
  try {
    const policy = await loadPolicy(DEMO_POLICY);
    if (await veto.assessments.forPolicy(policy.sha256)) return;
    const { stored } = await veto.assessments.record(
      policy,
      await loadAssessmentText(DEMO_ASSESSMENT),
    );
    veto.logger.info({ assessment: stored.id }, 'recorded the demo assessment');
  } catch (err) {
    veto.logger.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'could not record the demo assessment; gate builds of the demo policy will be refused',
    );
  }
}
