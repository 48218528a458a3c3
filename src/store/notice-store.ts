import type { ExposureBatches } from '../domain/notices/exposure-commitments.ts';
import type {
  CampaignCounts,
  CampaignRecipient,
  NoticeCampaign,
  NoticeExposure,
  NoticeVersion,
  RecipientState,
} from '../domain/notices/notice-types.ts';

/**
 * Storage of notices, exposures and campaigns. Two adapters implement it, next to the registry
 * adapters whose database they share (src/store/sqlite/sqlite-notice-store.ts,
 * src/store/postgres/postgres-notice-store.ts); test/notices/notice-store.suite.ts runs on both.
 * The tables come from the `002-notices` migration of each dialect.
 *
 * Published versions are immutable at the database level too (triggers refuse UPDATE and DELETE
 * of their content and any text added after publication), so not even a direct SQL session can
 * quietly edit what people were shown.
 */
export interface NoticeStore extends ExposureBatches {
  /**
   * Stores a version with all its texts in one transaction. Throws `NoticeVersionTaken` when
   * the id (or the sequence number, when two publishers race) is already used.
   */
  insertVersion(version: NoticeVersion): Promise<void>;
  getVersion(id: string): Promise<NoticeVersion | undefined>;
  /** The version with the highest `seq`: the one to show now. */
  latestVersion(): Promise<NoticeVersion | undefined>;
  /** Every version, newest first. */
  listVersions(): Promise<NoticeVersion[]>;
  /** Ids of versions whose `notice.published` audit event is not yet known to be written. */
  versionsAwaitingAudit(): Promise<string[]>;
  markAudited(id: string, at: string): Promise<void>;

  /**
   * Idempotent bulk insert: an exposure already stored (same subject, version, channel and
   * shownAt) is not stored again; a later acknowledgement fills `acknowledged_at` if empty.
   * Returns how many rows were new; the new rows remember `batch` (see exposure-commitments.ts).
   */
  recordExposures(rows: readonly NoticeExposure[], batch?: string): Promise<number>;
  /** Earliest non-voided showing of `versionId` to `subjectKey`, and the first acknowledgement. */
  exposureSummary(
    subjectKey: string,
    versionId: string,
  ): Promise<{ firstShownAt: string; acknowledgedAt: string | null } | undefined>;
  /** Of `subjectKeys`, those shown `versionId` at or before `shownBy` (each once). */
  subjectsShownBy(
    versionId: string,
    shownBy: string,
    subjectKeys: readonly string[],
  ): Promise<string[]>;
  /**
   * Subject keys shown `versionId` at or before `shownBy`, each once, in byte order, streamed
   * from one consistent snapshot (millions of rows: never loaded at once).
   */
  subjectsShownByStream(versionId: string, shownBy: string): AsyncIterable<string>;

  getCampaign(id: string): Promise<NoticeCampaign | undefined>;
  /** Creates the campaign if it does not exist; returns the stored one. */
  ensureCampaign(campaign: NoticeCampaign): Promise<NoticeCampaign>;
  /** Adds recipients; one already in the campaign is left untouched. Returns how many were new. */
  addRecipients(rows: readonly CampaignRecipient[]): Promise<number>;
  /** Of `accountIds`, those with a `sent` or `bounced` message of `versionId` in any campaign. */
  alreadySent(versionId: string, accountIds: readonly string[]): Promise<string[]>;
  /** Of `emailHashes`, those that bounced in any campaign. */
  bouncedBefore(emailHashes: readonly string[]): Promise<string[]>;
  /**
   * Durably moves up to `limit` `pending` recipients (in line order) to `sending` and returns
   * them. This is the "before" record of at-most-once delivery (see notice-campaign.ts).
   */
  claimRecipients(campaignId: string, limit: number, at: string): Promise<CampaignRecipient[]>;
  /** `sending` → `sent`, the address cleared, and the email exposure stored: one transaction. */
  /** `batch`: as in {@link recordExposures}. */
  markSent(
    campaignId: string,
    accountId: string,
    exposure: NoticeExposure,
    batch?: string,
  ): Promise<void>;
  /** `sending` → `failed` (retryable or not) or `uncertain`. */
  markUnsent(
    campaignId: string,
    accountId: string,
    state: 'failed' | 'uncertain' | 'pending',
    error: string,
    at: string,
  ): Promise<void>;
  /** After a crash: every `sending` left over becomes `uncertain`. Returns how many. */
  settleInterrupted(campaignId: string, at: string): Promise<number>;
  /** `failed` recipients with fewer than `maxAttempts` attempts (and, if asked, `uncertain` ones) → `pending`. */
  requeue(
    campaignId: string,
    options: { maxAttempts: number; uncertain: boolean },
    at: string,
  ): Promise<number>;
  counts(campaignId: string): Promise<CampaignCounts>;
  recipients(campaignId: string, state?: RecipientState): Promise<CampaignRecipient[]>;
  finishCampaign(id: string, at: string): Promise<void>;
  /**
   * Records a bounce: matching `sent` recipients of the version's campaigns (by account id or
   * address hash) become `bounced`, and their email exposures are voided (a bounced message was
   * never shown). Returns the recipients changed.
   */
  recordBounce(
    match: { campaignId?: string; accountId?: string; emailHash?: string },
    reason: string,
    at: string,
  ): Promise<CampaignRecipient[]>;
}

export class NoticeVersionTaken extends Error {
  override name = 'NoticeVersionTaken';
}

export class NoticeImmutable extends Error {
  override name = 'NoticeImmutable';
}
