import { canonicalTag } from '../../i18n/catalogue.ts';
import { lookupLanguage, negotiateLanguage } from '../../i18n/negotiate.ts';
import type { Clock } from '../../lib/clock.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { type NoticeStore, NoticeVersionTaken } from '../../store/notice-store.ts';
import type { RegistryStore } from '../../store/registry-store.ts';
import { canonicalJson } from '../audit-chain.ts';
import { AppError, type FieldIssue } from '../errors.ts';
import { checkSubject, emailHash, subjectKeyOf } from '../subjects.ts';
import {
  EXPOSURE_COMMITMENT_EVENT,
  type ExposureCommitment,
  exposureBatchRoot,
  uncommittedBatches,
  verifyExposureCommitments,
} from './exposure-commitments.ts';
import { createNoticeExposureLookup, type NoticeExposureLookup } from './notice-exposure-lookup.ts';
import { itemValues, missingItems, type NoticeItems } from './notice-items.ts';
import {
  normalizeMarkdown,
  type PlaceholderValues,
  parseNoticeMarkdown,
  type RenderedNotice,
  renderNoticeMarkdown,
  sha256Hex,
} from './notice-markdown.ts';
import { checkPromises, readPromises, type TextPromises } from './notice-promises.ts';
import {
  EXPOSURE_CHANNELS,
  type ExposureChannel,
  NOTICE_VERSION_ID,
  type NoticeDraft,
  type NoticeExposure,
  type NoticeText,
  type NoticeVersion,
} from './notice-types.ts';

export interface NoticeSettings {
  platformName: string;
  publicUrl: string;
  /** Every published version must have a text in each of these languages. */
  languages: string[];
  defaultLanguage: string;
  /** The Art. 13/14 items every notice states (src/config.ts); absent ones block publication. */
  items?: NoticeItems | undefined;
}

export interface NoticesDeps {
  store: NoticeStore;
  /** For the audit log: publications and campaigns are chained events. */
  registryStore: RegistryStore;
  clock: Clock;
  /** Keyed hashes of email addresses (campaign bounces), as in the registry. */
  secret: string;
  settings: NoticeSettings;
}

/** A version rendered in one language for one reader. */
export interface NoticeView {
  version: NoticeVersion;
  text: NoticeText;
  language: string;
  rendered: RenderedNotice;
}

export interface ExposureInput {
  accountId: string;
  version: string;
  language: string;
  channel: ExposureChannel;
  shownAt: string;
  acknowledgedAt?: string | null | undefined;
}

const MAX_MARKDOWN = 200_000;
const MAX_CHANGES = 2000;
const DAY_MS = 86_400_000;
/** Clocks disagree a little: a platform's "now" may be slightly ahead of ours. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Notice use cases: publish immutable versions, serve them in the reader's
 * language, record who was shown which version when, and answer the gate's notice-period
 * questions. HTTP and the CLI call these; only the NoticeStore touches SQL.
 */
export class Notices {
  readonly exposures: NoticeExposureLookup;
  readonly settings: NoticeSettings;

  constructor(private readonly deps: NoticesDeps) {
    this.settings = deps.settings;
    this.exposures = createNoticeExposureLookup(deps.store);
  }

  get store(): NoticeStore {
    return this.deps.store;
  }

  /**
   * Publishes a version: validates every text (title, placeholders, the separate right-to-object
   * block with its direct link), freezes it with a hash per language and an effective date, and
   * writes a `notice.published` audit event. Publishing the same content again under the same id
   * is a no-op (`created: false`); different content under a published id is refused: a
   * correction is a new version.
   */
  async publish(
    draft: NoticeDraft,
    by: string,
  ): Promise<{ version: NoticeVersion; created: boolean }> {
    const now = this.deps.clock();
    const issues: FieldIssue[] = [];
    if (!NOTICE_VERSION_ID.test(draft.id))
      issues.push({
        field: 'version',
        reason: 'letters, digits, ".", "_" and "-" only, 1-64 characters, e.g. "2026-01"',
      });
    const texts: NoticeText[] = [];
    const seen = new Set<string>();
    for (const [i, t] of draft.texts.entries()) {
      const field = `texts.${t.language || i}`;
      const language = canonicalTag(t.language);
      if (!language) {
        issues.push({ field, reason: `"${t.language}" is not a BCP 47 language tag` });
        continue;
      }
      if (seen.has(language)) issues.push({ field, reason: 'this language appears twice' });
      seen.add(language);
      const markdown = normalizeMarkdown(t.markdown);
      if (markdown.length > MAX_MARKDOWN)
        issues.push({
          field: `${field}.markdown`,
          reason: `longer than ${MAX_MARKDOWN} characters`,
        });
      const { parts, issues: found } = parseNoticeMarkdown(markdown, `${field}.markdown`);
      issues.push(...found);
      const changes = t.changes.trim();
      if (!changes)
        issues.push({
          field: `${field}.changes`,
          reason: 'say what changed since the previous version',
        });
      if (changes.length > MAX_CHANGES)
        issues.push({ field: `${field}.changes`, reason: `longer than ${MAX_CHANGES} characters` });
      if (parts)
        texts.push({
          language,
          title: parts.title,
          markdown,
          changes,
          sha256: sha256Hex(markdown),
        });
    }
    // In 2024 French users were shown the notice in English: every configured language, or nothing.
    for (const lang of this.settings.languages) {
      const tag = canonicalTag(lang) ?? lang;
      if (!seen.has(tag))
        issues.push({
          field: `texts.${tag}`,
          reason: `missing: every configured language needs a text`,
        });
    }
    issues.push(...promiseIssues(draft, texts));
    issues.push(...missingItems(texts, this.settings.items));
    const previous = await this.deps.store.latestVersion();
    const effectiveAt = this.effectiveAt(draft, now, issues);
    if (previous && effectiveAt && effectiveAt < previous.effectiveAt && previous.id !== draft.id) {
      issues.push({
        field: 'effectiveAt',
        reason: `before the previous version's (${previous.id}: ${previous.effectiveAt})`,
      });
    }
    const existing = NOTICE_VERSION_ID.test(draft.id)
      ? await this.deps.store.getVersion(draft.id)
      : undefined;
    if (existing && issues.length === 0) {
      if (sameContent(existing.texts, texts)) {
        await this.reconcileAudit();
        return { version: existing, created: false };
      }
      throw new AppError(
        'conflict',
        `notice version "${draft.id}" is already published with different content: a published version is never edited, publish the correction as a new version`,
        { issues: [{ field: 'version', reason: 'already published with different content' }] },
      );
    }
    if (issues.length > 0 || !effectiveAt) {
      throw new AppError(
        'validation',
        `notice version "${draft.id}" cannot be published: ${issues
          .slice(0, 20)
          .map((i) => `${i.field}: ${i.reason}`)
          .join('; ')}`,
        { issues },
      );
    }
    texts.sort((a, b) => (a.language < b.language ? -1 : 1));
    const defaultLanguage =
      canonicalTag(this.settings.defaultLanguage) ?? this.settings.defaultLanguage;
    const head = {
      id: draft.id,
      seq: (previous?.seq ?? 0) + 1,
      previousId: previous?.id ?? null,
      effectiveAt,
      publishedAt: now,
      publishedBy: by,
      defaultLanguage,
    };
    const version: NoticeVersion = {
      ...head,
      sha256: sha256Hex(
        canonicalJson({
          ...head,
          texts: texts.map((t) => ({ language: t.language, sha256: t.sha256, changes: t.changes })),
        }),
      ),
      texts,
    };
    try {
      await this.deps.store.insertVersion(version);
    } catch (err) {
      if (err instanceof NoticeVersionTaken)
        throw new AppError(
          'conflict',
          `notice version "${draft.id}" was published concurrently: retry (a new version needs a new id)`,
        );
      throw err;
    }
    await this.reconcileAudit();
    return { version, created: true };
  }

  /**
   * Writes the `notice.published` event of every version that lacks it. The version row and the
   * audit event live in different transactions (the registry's transaction does not expose its
   * connection to sibling stores on PostgreSQL), so publication stores the version first, then
   * the event, then marks it audited; a crash in between is repaired here, at the next
   * publication and at start-up. At worst an event is written twice, never missing.
   */
  async reconcileAudit(): Promise<number> {
    const pending = await this.deps.store.versionsAwaitingAudit();
    for (const id of pending) {
      const v = await this.deps.store.getVersion(id);
      if (!v) continue;
      await this.deps.registryStore.transaction((tx) =>
        tx.appendEvents([
          {
            at: v.publishedAt,
            type: 'notice.published',
            objectionId: null,
            subjectKey: null,
            data: {
              version: v.id,
              seq: v.seq,
              previousVersion: v.previousId,
              effectiveAt: v.effectiveAt,
              publishedBy: v.publishedBy,
              sha256: v.sha256,
              texts: Object.fromEntries(v.texts.map((t) => [t.language, t.sha256])),
            },
          },
        ]),
      );
      await this.deps.store.markAudited(v.id, this.deps.clock());
    }
    return pending.length;
  }

  /** Appends an aggregate audit event (campaigns): counts, never per-person data. */
  async audit(type: string, data: Record<string, unknown>): Promise<void> {
    const at = this.deps.clock();
    await this.deps.registryStore.transaction((tx) =>
      tx.appendEvents([{ at, type, objectionId: null, subjectKey: null, data }]),
    );
  }

  latest(): Promise<NoticeVersion | undefined> {
    return this.deps.store.latestVersion();
  }

  getVersion(id: string): Promise<NoticeVersion | undefined> {
    return NOTICE_VERSION_ID.test(id) ? this.deps.store.getVersion(id) : Promise.resolve(undefined);
  }

  list(): Promise<NoticeVersion[]> {
    return this.deps.store.listVersions();
  }

  /**
   * The version in the reader's language: an explicit choice first, then Accept-Language, each
   * with RFC 4647 lookup (`fr-BE` → `fr`), else the version's default language (the portal's
   * order, src/i18n/negotiate.ts).
   */
  view(
    version: NoticeVersion,
    signals: {
      chosen?: string | undefined;
      account?: string | undefined;
      acceptLanguage?: string | undefined;
    },
    /** Values that differ by where the notice is shown (the email's signed link, the portal's anchor). */
    overrides: Partial<PlaceholderValues> = {},
  ): NoticeView {
    const available = version.texts.map((t) => t.language);
    const language = negotiateLanguage(signals, available, version.defaultLanguage);
    const text = version.texts.find((t) => t.language === language) ?? version.texts[0]!;
    return {
      version,
      text,
      language: text.language,
      rendered: renderNoticeMarkdown(text.markdown, {
        ...this.placeholders(version, text.language),
        ...overrides,
      }),
    };
  }

  placeholders(version: NoticeVersion, language: string): PlaceholderValues {
    const base = this.settings.publicUrl.replace(/\/$/, '');
    const q = `?lang=${encodeURIComponent(language)}`;
    return {
      platformName: this.settings.platformName,
      objectUrl: `${base}/${q}`,
      nonUserObjectUrl: `${base}/non-user${q}`,
      noticeUrl: `${base}/notice/${encodeURIComponent(version.id)}${q}`,
      // The legitimate-interest assessment's public summary (docs/assessment.md).
      assessmentUrl: `${base}/assessment${q}`,
      effectiveDate: new Intl.DateTimeFormat(language, {
        dateStyle: 'long',
        timeZone: 'UTC',
      }).format(new Date(version.effectiveAt)),
      version: version.id,
      ...itemValues(this.settings.items, language),
    };
  }

  /**
   * Records exposures reported by the platform. All or nothing: every item is checked first and
   * each problem is named (`exposures.3.shownAt`); then one idempotent write stores the batch.
   */
  async recordExposures(
    items: readonly ExposureInput[],
    source: string,
  ): Promise<{ received: number; recorded: number }> {
    const now = this.deps.clock();
    const latestAllowed = Date.parse(now) + CLOCK_SKEW_MS;
    const issues: FieldIssue[] = [];
    const rows: NoticeExposure[] = [];
    const versions = new Map<string, NoticeVersion | undefined>();
    for (const [i, item] of items.entries()) {
      const f = (name: string) => `exposures.${i}.${name}`;
      let subjectKey: string | undefined;
      try {
        subjectKey = subjectKeyOf(
          checkSubject({ kind: 'account', accountId: item.accountId }, `exposures.${i}`),
          this.deps.secret,
        );
      } catch (err) {
        if (err instanceof AppError) issues.push(...err.issues);
        else throw err;
      }
      if (!versions.has(item.version))
        versions.set(item.version, await this.getVersion(item.version));
      const version = versions.get(item.version);
      if (!version) issues.push({ field: f('version'), reason: 'not a published notice version' });
      const language = version
        ? lookupLanguage(
            item.language,
            version.texts.map((t) => t.language),
          )
        : undefined;
      if (version && !language)
        issues.push({
          field: f('language'),
          reason: `version ${version.id} has no text in "${item.language}" (it has ${version.texts.map((t) => t.language).join(', ')})`,
        });
      if (!EXPOSURE_CHANNELS.includes(item.channel))
        issues.push({ field: f('channel'), reason: `one of ${EXPOSURE_CHANNELS.join(', ')}` });
      const shown = Date.parse(item.shownAt);
      if (Number.isNaN(shown))
        issues.push({ field: f('shownAt'), reason: 'not an ISO 8601 instant' });
      else if (shown > latestAllowed) issues.push({ field: f('shownAt'), reason: 'in the future' });
      else if (version && shown < Date.parse(version.publishedAt))
        issues.push({
          field: f('shownAt'),
          reason: `before version ${version.id} was published (${version.publishedAt})`,
        });
      let ack: string | null = null;
      if (item.acknowledgedAt) {
        const a = Date.parse(item.acknowledgedAt);
        if (Number.isNaN(a))
          issues.push({ field: f('acknowledgedAt'), reason: 'not an ISO 8601 instant' });
        else if (a > latestAllowed)
          issues.push({ field: f('acknowledgedAt'), reason: 'in the future' });
        else if (!Number.isNaN(shown) && a < shown)
          issues.push({ field: f('acknowledgedAt'), reason: 'before shownAt' });
        else ack = new Date(a).toISOString();
      }
      if (issues.length >= 50) break;
      if (subjectKey && version && language && !Number.isNaN(shown))
        rows.push({
          subjectKey,
          versionId: version.id,
          language,
          channel: item.channel,
          // One spelling per instant, so "…:00Z" and "…:00.000Z" are the same exposure.
          shownAt: new Date(shown).toISOString(),
          acknowledgedAt: ack,
          source,
          recordedAt: now,
        });
    }
    if (issues.length > 0)
      throw new AppError(
        'validation',
        `nothing recorded: ${issues
          .slice(0, 10)
          .map((i) => `${i.field}: ${i.reason}`)
          .join('; ')}`,
        { issues },
      );
    const batch = uuidv7(Date.parse(now));
    const recorded = await this.deps.store.recordExposures(rows, batch);
    if (recorded > 0) await this.commitExposures(batch, source);
    return { received: items.length, recorded };
  }

  /**
   * Commits a batch's new rows with one `notice.exposures` audit event (exposure-commitments.ts).
   * After the rows, in another transaction (as `notice.published`): a process that stops between
   * the two leaves a batch that `veto audit verify` reports as uncommitted, never one that passes
   * for committed.
   */
  async commitExposures(batch: string, source: string): Promise<void> {
    const leaves = await this.deps.store.exposureBatchLeaves(batch);
    const commitment: ExposureCommitment = {
      batch,
      count: leaves.length,
      root: exposureBatchRoot(leaves),
      source,
      unbatched: await this.deps.store.unbatchedExposures(),
    };
    await this.audit(EXPOSURE_COMMITMENT_EVENT, { ...commitment });
  }

  /**
   * The exposure table checked against the log's commitments: the problems found, each naming
   * its batch (`veto audit verify` prints them and fails).
   */
  /** Batches recorded by `source` that no event commits yet (a campaign run that was killed). */
  uncommittedExposures(source: string): Promise<string[]> {
    return uncommittedBatches(this.deps.registryStore.readEvents(), this.deps.store, source);
  }

  verifyExposures(): Promise<string[]> {
    return verifyExposureCommitments(this.deps.registryStore.readEvents(), this.deps.store);
  }

  /** Whether and when an account was shown a version (for the platform's "show again?" check). */
  async exposureOf(accountId: string, versionId: string) {
    const key = subjectKeyOf(
      checkSubject({ kind: 'account', accountId }, 'accountId'),
      this.deps.secret,
    );
    return (await this.deps.store.exposureSummary(key, versionId)) ?? null;
  }

  /**
   * Records bounces reported by the mail system: the matching sent campaign messages become
   * `bounced` and their email exposures are voided (a bounced message was never shown).
   */
  async recordBounces(
    items: readonly { accountId?: string; email?: string; campaignId?: string; reason?: string }[],
  ): Promise<{ received: number; matched: number; unmatched: number[] }> {
    const issues: FieldIssue[] = [];
    items.forEach((b, i) => {
      if (!b.accountId && !b.email)
        issues.push({ field: `bounces.${i}`, reason: 'give accountId or email' });
    });
    if (issues.length > 0)
      throw new AppError('validation', issues.map((x) => `${x.field}: ${x.reason}`).join('; '), {
        issues,
      });
    let matched = 0;
    const unmatched: number[] = [];
    for (const [i, b] of items.entries()) {
      const changed = await this.deps.store.recordBounce(
        {
          ...(b.campaignId ? { campaignId: b.campaignId } : {}),
          ...(b.accountId ? { accountId: b.accountId } : {}),
          ...(b.email ? { emailHash: emailHash(b.email, this.deps.secret) } : {}),
        },
        b.reason?.trim() || 'bounced',
        this.deps.clock(),
      );
      if (changed.length === 0) unmatched.push(i);
      matched += changed.length;
    }
    return { received: items.length, matched, unmatched };
  }

  private effectiveAt(draft: NoticeDraft, now: string, issues: FieldIssue[]): string | undefined {
    if (draft.effectiveAt !== undefined && draft.effectiveAfterDays !== undefined) {
      issues.push({
        field: 'effectiveAt',
        reason: 'give effectiveAt or effectiveAfterDays, not both',
      });
      return undefined;
    }
    if (draft.effectiveAfterDays !== undefined) {
      if (!Number.isInteger(draft.effectiveAfterDays) || draft.effectiveAfterDays < 0) {
        issues.push({ field: 'effectiveAfterDays', reason: 'a whole number of days ≥ 0' });
        return undefined;
      }
      return new Date(Date.parse(now) + draft.effectiveAfterDays * DAY_MS).toISOString();
    }
    if (draft.effectiveAt === undefined) return now;
    const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(draft.effectiveAt);
    const t = Date.parse(dateOnly ? `${draft.effectiveAt}T00:00:00Z` : draft.effectiveAt);
    if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}/.test(draft.effectiveAt)) {
      issues.push({ field: 'effectiveAt', reason: 'an ISO 8601 date (2026-06-26) or instant' });
      return undefined;
    }
    // A notice informs before processing starts: it cannot take effect before it is published.
    if (t < Date.parse(now.slice(0, 10))) {
      issues.push({
        field: 'effectiveAt',
        reason: 'in the past: a notice cannot take effect before it is published',
      });
      return undefined;
    }
    return new Date(Math.max(t, Date.parse(now))).toISOString();
  }
}

function sameContent(a: readonly NoticeText[], b: readonly NoticeText[]): boolean {
  const key = (ts: readonly NoticeText[]) =>
    canonicalJson(
      [...ts]
        .sort((x, y) => (x.language < y.language ? -1 : 1))
        .map((t) => [t.language, t.sha256, t.changes]),
    );
  return key(a) === key(b);
}

/**
 * The texts' promises against the tied policy: a version tied to a policy must be the one that
 * policy names, and keep every promise; promises with no policy to check them are refused.
 */
function promiseIssues(draft: NoticeDraft, texts: NoticeText[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const read: TextPromises[] = texts.map((t) => {
    const r = readPromises(t.markdown, `texts.${t.language}.markdown`);
    issues.push(...r.issues);
    return { language: t.language, promises: r.promises };
  });
  const tied = draft.policy;
  if (!tied) {
    if (read.some((t) => t.promises.length > 0))
      issues.push({
        field: 'policy',
        reason:
          'the texts make promises ({promise: ...}) but no policy is tied to this version to keep them',
      });
    return issues;
  }
  if (tied.policy.notice.version !== draft.id)
    issues.push({
      field: 'policy',
      reason: `policy ${tied.name} is tied to notice version "${tied.policy.notice.version}", not "${draft.id}"`,
    });
  issues.push(...checkPromises(read, tied.policy, tied.name));
  return issues;
}
