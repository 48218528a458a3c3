import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Catalogue } from '../../i18n/catalogue.ts';
import { lookupLanguage } from '../../i18n/negotiate.ts';
import type { Clock } from '../../lib/clock.ts';
import { uuidv7 } from '../../lib/ids.ts';
import type { EmailContent, Mailer } from '../../mail/mailer.ts';
import { accountIdProblem } from '../../registry-files/subject-key-rule.ts';
import { AppError } from '../errors.ts';
import { emailHash } from '../subjects.ts';
import { renderNoticeEmail } from './notice-email.ts';
import type { CampaignCounts, CampaignRecipient, NoticeVersion } from './notice-types.ts';
import type { Notices } from './notices.ts';
import { signObjectLink } from './object-link.ts';

/**
 * Sends a notice version by email to a list of accounts (the notice campaign).
 *
 * Delivery guarantee: AT MOST ONCE. Each recipient's state is written durably before and after
 * the hand-over to the SMTP server: `pending` → `sending` (committed before the message leaves)
 * → `sent` (committed, with the email exposure, once the server accepted it) or `failed`.
 * A crash between the two writes leaves `sending`, and nobody can tell whether the server
 * accepted the message in that instant. We could re-send it (at least once: nobody is missed,
 * some people get the notice twice) or not (at most once: nobody gets it twice, a few may get
 * nothing). We choose at most once, because the alternative's failure is invisible and its
 * success is not: a left-over `sending` becomes `uncertain`, it is reported by account id, it
 * is never re-sent unless the operator asks (`--resend-uncertain`), and it records no exposure,
 * so the gate's notice-period check excludes that person's content (fail closed) instead of
 * assuming they were informed. The window is small: one `sending` row per message in flight
 * (at most `concurrency`), written just before that message is handed over.
 *
 * A failure where the server answered with an error, or could not be reached at all, is a
 * `failed` message (certainly not accepted); a re-run retries those up to `maxAttempts`.
 *
 * Resuming: the campaign id is derived from the version and the list's bytes, so running the
 * same command again continues the same campaign: recipients already stored keep their state.
 * One run of a campaign at a time.
 */
export interface CampaignOptions {
  versionId: string;
  /** The list: rows with `account_id`, `email`, `language` (csvRows of src/cli/file-rows.ts). */
  rows: AsyncIterable<ListRow>;
  /** sha256 of the list file: with the version, it names the campaign. */
  sourceSha256: string;
  /** Messages per second (default 10). */
  ratePerSecond?: number;
  /**
   * Messages handed to the SMTP server at once (default 4): also how many recipients are
   * claimed per database round trip, and so the most that a crash can leave `uncertain`.
   */
  concurrency?: number;
  /** Attempts per recipient across runs for `failed` messages (default 3). */
  maxAttempts?: number;
  /** Opt into at-least-once for the `uncertain` ones: they may receive the notice twice. */
  resendUncertain?: boolean;
  onProgress?: (progress: CampaignProgress) => void;
  /** Stop claiming new messages (messages in flight finish and are recorded). */
  signal?: AbortSignal;
}

export interface CampaignProgress {
  campaignId: string;
  total: number;
  done: number;
  counts: CampaignCounts;
  elapsedMs: number;
}

export interface CampaignReport {
  campaignId: string;
  versionId: string;
  counts: CampaignCounts;
  /** Rows of the list that could not be used, as `line: reason`. */
  invalid: { line: number; reason: string }[];
  /** Account ids whose message may or may not have been accepted (see the comment above). */
  uncertain: string[];
  finished: boolean;
  resumed: boolean;
}

export interface CampaignDeps {
  notices: Notices;
  mailer: Mailer;
  catalogue: Catalogue;
  clock: Clock;
  secret: string;
  /** Each email's one-click objection link (object-link.ts). */
  objectLink: ObjectLinkSettings;
}

export interface ObjectLinkSettings {
  secret: string;
  /** The purpose the link objects to (the deployment's default purpose). */
  purpose: string;
  /** Days the link stays valid after the message is sent. */
  days: number;
}

/**
 * Stands in for each recipient's signed link while the message is rendered once per language;
 * letters only, so it survives Markdown escaping and HTML attributes untouched.
 */
const LINK_SLOT = 'VETOOBJECTLINKSLOT';

/** One row of the list with its 1-based line (the shape of src/cli/file-rows.ts). */
export type ListRow = { line: number; value: unknown } | { line: number; error: string };

const IMPORT_BATCH = 1000;
/** Sent emails committed per `notice.exposures` event (and at the end of each run). */
const EXPOSURE_BATCH = 1000;
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]{2,}$/;

/** The id of the campaign sending `versionId` to the list whose bytes hash to `sourceSha256`. */
export function campaignIdOf(versionId: string, sourceSha256: string): string {
  return `camp_${createHash('sha256').update(`${versionId}\0${sourceSha256}`).digest('hex').slice(0, 24)}`;
}

export async function runNoticeCampaign(
  deps: CampaignDeps,
  options: CampaignOptions,
): Promise<CampaignReport> {
  const { notices, clock } = deps;
  const store = notices.store;
  const version = await notices.getVersion(options.versionId);
  if (!version)
    throw new AppError('not-found', `notice version "${options.versionId}" was never published`, {
      issues: [{ field: 'version', reason: 'not a published notice version' }],
    });
  const rate = options.ratePerSecond ?? 10;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const campaignId = campaignIdOf(version.id, options.sourceSha256);
  const resumed = Boolean(await store.getCampaign(campaignId));
  await store.ensureCampaign({
    id: campaignId,
    versionId: version.id,
    sourceSha256: options.sourceSha256,
    createdAt: clock(),
    finishedAt: null,
  });
  if (!resumed)
    await notices.audit('notice.campaign.started', {
      campaign: campaignId,
      version: version.id,
      sourceSha256: options.sourceSha256,
    });

  const invalid = await importRecipients(deps, version, campaignId, options.rows);
  const interrupted = await store.settleInterrupted(campaignId, clock());
  await store.requeue(
    campaignId,
    { maxAttempts: options.maxAttempts ?? 3, uncertain: options.resendUncertain ?? false },
    clock(),
  );

  const started = Date.now();
  const counts = await store.counts(campaignId);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const report = () =>
    options.onProgress?.({
      campaignId,
      total,
      done: total - counts.pending - counts.sending,
      counts: { ...counts },
      elapsedMs: Date.now() - started,
    });
  report();

  // Sent emails are exposures, committed in batches of up to EXPOSURE_BATCH
  // (exposure-commitments.ts): first any batch a killed run of this campaign left uncommitted
  // (its rows are corroborated by this campaign's own `sent` recipients).
  const source = `campaign:${campaignId}`;
  for (const left of await notices.uncommittedExposures(source))
    await notices.commitExposures(left, source);
  let exposureBatch = uuidv7();
  let inBatch = 0;
  const commitBatch = async () => {
    if (inBatch === 0) return;
    await notices.commitExposures(exposureBatch, source);
    exposureBatch = uuidv7();
    inBatch = 0;
  };

  const pace = pacer(rate);
  const contents = new Map<string, EmailContent>();
  const contentFor = (language: string) => {
    let c = contents.get(language);
    if (!c) {
      // Both the notice's own "object" link and the boxed one open the one-click page.
      const objectUrl = `${notices.settings.publicUrl.replace(/\/$/, '')}/object-link/${LINK_SLOT}`;
      const view = notices.view(version, { chosen: language }, { objectUrl });
      c = renderNoticeEmail(deps.catalogue, view, notices.settings.platformName, objectUrl);
      contents.set(language, c);
    }
    return c;
  };

  const sendOne = async (r: CampaignRecipient) => {
    await pace();
    const move = (from: keyof CampaignCounts, to: keyof CampaignCounts) => {
      counts[from] -= 1;
      counts[to] += 1;
    };
    if (!r.email) {
      await store.markUnsent(
        campaignId,
        r.accountId,
        'failed',
        'no address left to send to',
        clock(),
      );
      move('sending', 'failed');
      return;
    }
    const token = signObjectLink(deps.objectLink.secret, {
      accountId: r.accountId,
      purpose: deps.objectLink.purpose,
      version: version.id,
      language: notices.view(version, { chosen: r.language }).language,
      expiresAt: new Date(Date.parse(clock()) + deps.objectLink.days * 86_400_000).toISOString(),
      receiptTo: r.email,
    });
    const c = contentFor(r.language);
    const withLink = (s: string) => s.replaceAll(LINK_SLOT, token);
    try {
      await deps.mailer.send({
        to: r.email,
        subject: c.subject,
        text: withLink(c.text),
        html: withLink(c.html),
      });
    } catch (err) {
      const state = definitelyNotAccepted(err) ? 'failed' : 'uncertain';
      await store.markUnsent(campaignId, r.accountId, state, describe(err), clock());
      move('sending', state);
      return;
    }
    // Accepted by the SMTP server: this is when the notice counts as shown by email.
    const at = clock();
    await store.markSent(
      campaignId,
      r.accountId,
      {
        subjectKey: `acct:${r.accountId}`,
        versionId: version.id,
        language: notices.view(version, { chosen: r.language }).language,
        channel: 'email',
        shownAt: at,
        acknowledgedAt: null,
        source,
        recordedAt: at,
      },
      exposureBatch,
    );
    inBatch += 1;
    move('sending', 'sent');
  };

  // Each round claims as many recipients as will be in flight at once, so a crash leaves at
  // most `concurrency` rows in `sending` (uncertain), never a whole batch of untried ones.
  while (!options.signal?.aborted) {
    const batch = await store.claimRecipients(campaignId, concurrency, clock());
    if (batch.length === 0) break;
    counts.pending -= batch.length;
    counts.sending += batch.length;
    await Promise.all(
      batch.map(async (r) => {
        await sendOne(r);
        report();
      }),
    );
    if (inBatch >= EXPOSURE_BATCH) await commitBatch();
  }
  await commitBatch();

  const final = await store.counts(campaignId);
  const finished = final.pending === 0 && final.sending === 0;
  if (finished) await store.finishCampaign(campaignId, clock());
  // Aggregate only: how many, never who (GDPR Art. 5(2) accountability without a mailing list in the log).
  await notices.audit('notice.campaign.run', {
    campaign: campaignId,
    version: version.id,
    resumed,
    interrupted,
    finished,
    counts: final,
    invalidRows: invalid.length,
  });
  const uncertain = (await store.recipients(campaignId, 'uncertain')).map((r) => r.accountId);
  return {
    campaignId,
    versionId: version.id,
    counts: final,
    invalid,
    uncertain,
    finished,
    resumed,
  };
}

/** Reads the list into the campaign, 1000 rows per transaction; rows already stored are kept. */
async function importRecipients(
  deps: CampaignDeps,
  version: NoticeVersion,
  campaignId: string,
  rows: AsyncIterable<ListRow>,
): Promise<{ line: number; reason: string }[]> {
  const store = deps.notices.store;
  const languages = version.texts.map((t) => t.language);
  const invalid: { line: number; reason: string }[] = [];
  const firstLine = new Map<string, number>();
  let batch: CampaignRecipient[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const sent = new Set(
      await store.alreadySent(
        version.id,
        batch.map((r) => r.accountId),
      ),
    );
    const bounced = new Set(await store.bouncedBefore(batch.map((r) => r.emailHash)));
    for (const r of batch) {
      if (sent.has(r.accountId)) {
        r.state = 'skipped';
        r.lastError = `already sent version ${version.id} by email`;
      } else if (bounced.has(r.emailHash)) {
        r.state = 'skipped';
        r.lastError = 'this address bounced before';
      }
      if (r.state === 'skipped') r.email = null;
    }
    await store.addRecipients(batch);
    batch = [];
  };
  for await (const row of rows) {
    if ('error' in row) {
      invalid.push({ line: row.line, reason: row.error });
      continue;
    }
    const v = (row.value ?? {}) as Record<string, unknown>;
    const accountId = typeof v.account_id === 'string' ? v.account_id : '';
    const email = typeof v.email === 'string' ? v.email.trim() : '';
    const language = typeof v.language === 'string' ? v.language : '';
    const problems: string[] = [];
    const idProblem = accountIdProblem(accountId);
    if (idProblem) problems.push(`account_id: ${accountId ? idProblem : 'required'}`);
    if (!EMAIL.test(email) || email.length > 254) problems.push('email: not an email address');
    const seenAt = firstLine.get(accountId);
    if (accountId && seenAt !== undefined)
      problems.push(`account_id: already on line ${seenAt} (each account gets one message)`);
    if (problems.length > 0) {
      invalid.push({ line: row.line, reason: problems.join('; ') });
      continue;
    }
    firstLine.set(accountId, row.line);
    batch.push({
      campaignId,
      accountId,
      line: row.line,
      email,
      emailHash: emailHash(email, deps.secret),
      // RFC 4647 lookup among the version's languages; otherwise the version's default.
      language:
        lookupLanguage(language || version.defaultLanguage, languages) ?? version.defaultLanguage,
      state: 'pending',
      attempts: 0,
      lastError: null,
      updatedAt: deps.clock(),
      sentAt: null,
    });
    if (batch.length >= IMPORT_BATCH) await flush();
  }
  await flush();
  return invalid;
}

/** A message the server refused, or that never reached a server, was certainly not accepted. */
function definitelyNotAccepted(err: unknown): boolean {
  const e = err as { responseCode?: number; code?: string };
  if (typeof e?.responseCode === 'number' && e.responseCode >= 400) return true;
  return [
    'ECONNECTION',
    'ECONNREFUSED',
    'EAUTH',
    'EENVELOPE',
    'EDNS',
    'ENOTFOUND',
    'EADDRNOTAVAIL',
  ].includes(e?.code ?? '');
}

function describe(err: unknown): string {
  const e = err as { code?: string; responseCode?: number; message?: string };
  // Server replies can echo the address: keep the code and the status, not the text.
  return [e?.code, e?.responseCode].filter(Boolean).join(' ') || 'send failed';
}

/** At most `rate` calls per second, spaced evenly (no bursts at the start of each second). */
function pacer(rate: number): () => Promise<void> {
  const gap = 1000 / rate;
  let next = 0;
  return async () => {
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + gap;
    if (at > now) await sleep(at - now);
  };
}
