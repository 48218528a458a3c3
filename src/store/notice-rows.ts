import type {
  CampaignCounts,
  CampaignRecipient,
  NoticeCampaign,
  NoticeText,
  NoticeVersion,
  RecipientState,
} from '../domain/notices/notice-types.ts';

/**
 * Row shapes of the notice tables and their mappers, shared by both adapters. PostgreSQL returns
 * `timestamptz` as Date and SQLite returns text; the mappers accept both, so the adapters stay twins.
 */

export interface VersionRow {
  id: string;
  seq: number;
  previous_id: string | null;
  effective_at: string | Date;
  published_at: string | Date;
  published_by: string;
  default_language: string;
  sha256: string;
  text_count: number;
}

export interface TextRow {
  version_id: string;
  language: string;
  title: string;
  markdown: string;
  changes: string;
  sha256: string;
}

export interface CampaignRow {
  id: string;
  version_id: string;
  source_sha256: string;
  created_at: string | Date;
  finished_at: string | Date | null;
}

export interface RecipientRow {
  campaign_id: string;
  account_id: string;
  line: number;
  email: string | null;
  email_hash: string;
  language: string;
  state: string;
  attempts: number;
  last_error: string | null;
  updated_at: string | Date;
  sent_at: string | Date | null;
}

export const iso = (v: string | Date): string => (typeof v === 'string' ? v : v.toISOString());
const isoOrNull = (v: string | Date | null): string | null => (v === null ? null : iso(v));

export function versionFromRows(row: VersionRow, texts: TextRow[]): NoticeVersion {
  return {
    id: row.id,
    seq: Number(row.seq),
    previousId: row.previous_id,
    effectiveAt: iso(row.effective_at),
    publishedAt: iso(row.published_at),
    publishedBy: row.published_by,
    defaultLanguage: row.default_language,
    sha256: row.sha256,
    texts: texts
      .map(
        (t): NoticeText => ({
          language: t.language,
          title: t.title,
          markdown: t.markdown,
          changes: t.changes,
          sha256: t.sha256,
        }),
      )
      .sort((a, b) => (a.language < b.language ? -1 : 1)),
  };
}

export function campaignFromRow(r: CampaignRow): NoticeCampaign {
  return {
    id: r.id,
    versionId: r.version_id,
    sourceSha256: r.source_sha256,
    createdAt: iso(r.created_at),
    finishedAt: isoOrNull(r.finished_at),
  };
}

export function recipientFromRow(r: RecipientRow): CampaignRecipient {
  return {
    campaignId: r.campaign_id,
    accountId: r.account_id,
    line: Number(r.line),
    email: r.email,
    emailHash: r.email_hash,
    language: r.language,
    state: r.state as RecipientState,
    attempts: Number(r.attempts),
    lastError: r.last_error,
    updatedAt: iso(r.updated_at),
    sentAt: isoOrNull(r.sent_at),
  };
}

export function emptyCounts(): CampaignCounts {
  return {
    pending: 0,
    sending: 0,
    sent: 0,
    failed: 0,
    uncertain: 0,
    skipped: 0,
    bounced: 0,
  };
}
