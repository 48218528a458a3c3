import type { Policy } from '../../gate/policy-schema.ts';

/**
 * The vocabulary of notices (GDPR Art. 12-14, 21(4)). Plain data shared by the domain, the
 * notice stores and the edges. Times are ISO 8601 UTC strings with millisecond precision, like
 * the registry's (src/domain/types.ts), so text order is time order in SQLite.
 */

/** A version label as authors write it ("2026-01", "v3"): safe in a URL path and a file name. */
export const NOTICE_VERSION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** One language of a published version: the Markdown source exactly as frozen, and its hash. */
export interface NoticeText {
  language: string;
  /** The first level-1 heading of the Markdown. */
  title: string;
  /** Markdown with message placeholders ({platformName}, {objectUrl}, ...) left in place. */
  markdown: string;
  /** What changed since the previous version, in this language (plain text). */
  changes: string;
  /** sha256 (hex) of `markdown` as UTF-8: `sha256sum` of the published file reproduces it. */
  sha256: string;
}

/** A published notice version. Never edited: a correction is a new version. */
export interface NoticeVersion {
  id: string;
  /** 1, 2, 3... in order of publication: the latest is the one to show. */
  seq: number;
  previousId: string | null;
  /** When the processing the notice announces starts (informational; shown to people). */
  effectiveAt: string;
  publishedAt: string;
  /** Who published: `admin`, `cli`, `demo`. */
  publishedBy: string;
  /** The language shown when none of the person's languages is available. */
  defaultLanguage: string;
  /** sha256 over the version's canonical metadata and every language's hash and changes. */
  sha256: string;
  texts: NoticeText[];
}

/** The gate policy a notice version is tied to (its `notice.version` is the version's id). */
export interface TiedPolicy {
  /** How messages name it: the file, or the policy id. */
  name: string;
  policy: Policy;
}

/** What an author hands in: files (notices/<version>/) or the admin API. */
export interface NoticeDraft {
  id: string;
  /** Its promises ({promise: ...} markers) are checked against this policy at publication. */
  policy?: TiedPolicy | undefined;
  /** ISO date or instant; absent means "at publication". */
  effectiveAt?: string | undefined;
  /** Alternative to `effectiveAt`: this many days after publication (a notice period). */
  effectiveAfterDays?: number | undefined;
  texts: { language: string; markdown: string; changes: string }[];
}

/** How a person was shown a notice. */
export type ExposureChannel = 'in-app' | 'web' | 'email' | 'letter' | 'other';
export const EXPOSURE_CHANNELS: readonly ExposureChannel[] = [
  'in-app',
  'web',
  'email',
  'letter',
  'other',
];

/**
 * One showing of one notice version to one person. Identified by (subjectKey, versionId,
 * channel, shownAt): recording the same exposure twice keeps one row (an acknowledgement sent
 * later fills `acknowledgedAt`).
 */
export interface NoticeExposure {
  subjectKey: string;
  versionId: string;
  language: string;
  channel: ExposureChannel;
  shownAt: string;
  acknowledgedAt: string | null;
  /** Who reported it: `client:<api key name>`, `campaign:<id>`. */
  source: string;
  recordedAt: string;
}

export type RecipientState =
  | 'pending'
  | 'sending'
  | 'sent'
  | 'failed'
  | 'uncertain'
  | 'skipped'
  | 'bounced';

/** A notice email campaign: one version sent to the accounts of one list. */
export interface NoticeCampaign {
  /** Derived from the version and the list's content: running the same command again resumes. */
  id: string;
  versionId: string;
  sourceSha256: string;
  createdAt: string;
  finishedAt: string | null;
}

export interface CampaignRecipient {
  campaignId: string;
  accountId: string;
  /** The line of the list it came from (for reports). */
  line: number;
  /** Kept only until the message is handed over; cleared after (minimisation). */
  email: string | null;
  /** Keyed hash of the address (src/domain/subjects.ts `emailHash`), for matching bounces. */
  emailHash: string;
  language: string;
  state: RecipientState;
  attempts: number;
  lastError: string | null;
  updatedAt: string;
  sentAt: string | null;
}

export type CampaignCounts = Record<RecipientState, number>;
