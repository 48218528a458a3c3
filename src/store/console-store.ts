import type { DatasetVerification } from '../gate/verification-outcome.ts';

/**
 * What the staff console reads: figures grouped in the database (one row per day, channel and
 * language, not one per objection), so the overview stays cheap on a large registry. Twin
 * adapters: src/store/sqlite/sqlite-console-store.ts and src/store/postgres/postgres-console-store.ts;
 * contract suite test/store/console-store.suite.ts. Read-only: the console's changes go through
 * the registry's use cases.
 */
export interface ConsoleStore {
  /** Objections received per UTC day, channel and language. */
  objectionsPerDay(): Promise<DailyObjections[]>;
  /**
   * One row per removal: when its objection was received, when the removal was recorded, when
   * its last recipient acknowledged it and how many deliveries are still outstanding.
   */
  removalEffects(): Promise<RemovalEffect[]>;
  /** People shown and people who acknowledged each notice version, per language (each once). */
  noticeExposures(): Promise<NoticeExposureCount[]>;
  /** Recipients in each state, per notice campaign. */
  campaignProgress(): Promise<CampaignStateCount[]>;
  /** Per recipient (and dataset version): removal messages acknowledged, pending, failing. */
  recipientDeliveries(): Promise<RecipientDelivery[]>;
  /** Sealed datasets, oldest first, with their manifests (JSON text). */
  sealedDatasets(): Promise<SealedDatasetRow[]>;
  /** Each dataset's last recorded verification (migration 016), most recent first. */
  lastVerifications(): Promise<DatasetVerification[]>;
  /**
   * Per UTC month (YYYY-MM) and language: people shown a notice version (counted once, in the
   * month first shown), objections received, objections withdrawn (month of withdrawal).
   */
  monthlyActivity(): Promise<MonthlyActivity[]>;
}

export interface MonthlyActivity {
  month: string;
  language: string;
  kind: 'shown' | 'received' | 'withdrawn';
  count: number;
}

export interface DailyObjections {
  day: string;
  channel: string;
  language: string;
  count: number;
}

export interface RemovalEffect {
  removalId: string;
  datasetId: string;
  /** The objection's language. */
  language: string;
  receivedAt: string;
  recordedAt: string;
  lastAcknowledgedAt: string | null;
  pendingDeliveries: number;
}

export interface NoticeExposureCount {
  versionId: string;
  language: string;
  shown: number;
  acknowledged: number;
}

export interface CampaignStateCount {
  campaignId: string;
  versionId: string;
  createdAt: string;
  finishedAt: string | null;
  state: string;
  count: number;
}

export interface RecipientDelivery {
  recipientId: string;
  recipient: string;
  datasetId: string;
  acknowledged: number;
  pending: number;
  /** Pending messages whose last attempt failed. */
  failing: number;
  lastError: string | null;
}

export interface SealedDatasetRow {
  id: string;
  purpose: string;
  recordedAt: string;
  records: number;
  manifest: string;
}
