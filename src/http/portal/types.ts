import type { StorageHealth } from '../../app/storage-health.ts';
import type { NoticeVersion } from '../../domain/notices/notice-types.ts';
import type { ExposureInput, NoticeView } from '../../domain/notices/notices.ts';
import type { ObjectCommand } from '../../domain/registry.ts';
import type { Afterwards } from '../../domain/removals/afterwards.ts';
import type { TransparencyReport } from '../../domain/transparency-report.ts';
import type { Objection, SubjectRef } from '../../domain/types.ts';
import type { StoredAssessment } from '../../store/assessment-store.ts';
import type { ReceiptProof } from '../../transparency/receipt-proof.ts';
import type { OpenApiDocument } from './pages/api-reference.ts';

/**
 * What the portal needs from the domain: the subset of `Registry` (src/domain/registry.ts) it
 * calls, written structurally so the portal depends on behaviour, not on a class.
 */
export interface PortalRegistry {
  readonly settings: { purposes: string[]; defaultPurpose: string; reviewMode: boolean };
  object(cmd: ObjectCommand): Promise<{ objection: Objection; created: boolean }>;
  withdraw(
    objectionId: string,
    by: { subjectKey: string } | { admin: string },
    options?: { timeZone?: string | undefined },
  ): Promise<Objection>;
  getObjection(id: string): Promise<Objection | undefined>;
  getByReference(reference: string): Promise<Objection | undefined>;
  objectionsOf(subject: SubjectRef): Promise<Objection[]>;
  subjectKey(subject: SubjectRef): string;
  statusToken(objection: Objection): string;
  checkStatusToken(objection: Objection, token: string): boolean;
  requestEmailCode(email: string, language: string): Promise<void>;
  verifyEmailCode(email: string, code: string): Promise<void>;
}

/** Who the platform says is signed in (src/http/auth/platform-token.ts). */
export interface PlatformClaims {
  accountId: string;
  language?: string;
  email?: string;
  name?: string;
  /** The person's IANA time zone, when the platform says it (`zoneinfo` claim). */
  timeZone?: string;
}

export interface PlatformTokens {
  verify(token: string): Promise<PlatformClaims>;
}

/** The configuration keys the portal reads (a subset of src/config.ts). */
export interface PortalConfig {
  languages: string[];
  defaultLanguage: string;
  publicUrl: string;
  secret: string;
  demo: boolean;
  platformName: string;
  /** What a `Sec-GPC: 1` request does (src/signals/gpc.ts); absent means `off`. */
  gpc?: 'off' | 'no-sharing' | 'object';
  gpcPurpose?: string;
  /** Key of the notice emails' one-click objection links (default: `secret`). */
  objectLinkSecret?: string | undefined;
}

/** What the portal needs from the notices (src/domain/notices/notices.ts), structurally. */
export interface PortalNotices {
  latest(): Promise<NoticeVersion | undefined>;
  getVersion(id: string): Promise<NoticeVersion | undefined>;
  list(): Promise<NoticeVersion[]>;
  view(
    version: NoticeVersion,
    signals: { chosen?: string | undefined },
    /** Where the notice's own links lead on this page (the portal's anchor to its button). */
    overrides?: { objectUrl?: string },
  ): NoticeView;
  recordExposures(items: readonly ExposureInput[], source: string): Promise<unknown>;
  readonly exposures: {
    shownAt(subjectKey: string, noticeVersion: string): Promise<string | null>;
  };
}

/** What the portal reads of the assessments (src/domain/assessment/assessments.ts). */
export interface PortalAssessments {
  current(): Promise<StoredAssessment[]>;
  list(): Promise<StoredAssessment[]>;
  get(id: string): Promise<StoredAssessment | undefined>;
}

export interface PortalOptions {
  registry: PortalRegistry;
  tokens: PlatformTokens;
  config: PortalConfig;
  /** The API's OpenAPI document, for the reference page at /docs/api. */
  openapi?: () => OpenApiDocument;
  /** Published notices; without them `/` shows the built-in notice from the catalogue. */
  notices?: PortalNotices;
  /** After the build: "Am I in the dataset?" and memorisation reports at /datasets. */
  afterwards?: Afterwards;
  /** The legitimate-interest assessments' public summary at /assessment. */
  assessments?: PortalAssessments;
  /** The public transparency report at /transparency (figures only, small counts suppressed). */
  transparencyReport?: () => Promise<TransparencyReport>;
  /** Receipts' proofs from the transparency log ("check my receipt"), and the keys to check them. */
  receiptProofs?: {
    of(objectionId: string): Promise<ReceiptProof>;
    logKeys(): string[];
  };
  /** Storage faults are logged once per outage there, and pages answer 503 meanwhile. */
  storageHealth?: StorageHealth;
}
