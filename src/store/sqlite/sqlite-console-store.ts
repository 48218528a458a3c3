import type Database from 'better-sqlite3';
import type { DatasetVerification } from '../../gate/verification-outcome.ts';
import type {
  CampaignStateCount,
  ConsoleStore,
  DailyObjections,
  MonthlyActivity,
  NoticeExposureCount,
  RecipientDelivery,
  RemovalEffect,
  SealedDatasetRow,
} from '../console-store.ts';
import type { SqliteRegistryStore } from './sqlite-registry-store.ts';

/** The console's figures from the registry's SQLite file (times are ISO text: a day is its prefix). */
export class SqliteConsoleStore implements ConsoleStore {
  private readonly db: Database.Database;

  constructor(registry: SqliteRegistryStore) {
    this.db = registry.db;
  }

  async objectionsPerDay(): Promise<DailyObjections[]> {
    return this.db
      .prepare(
        `SELECT substr(received_at, 1, 10) AS day, channel, language, count(*) AS count
           FROM objections GROUP BY day, channel, language ORDER BY day, channel, language`,
      )
      .all() as DailyObjections[];
  }

  async removalEffects(): Promise<RemovalEffect[]> {
    return this.db
      .prepare(
        `SELECT r.id AS removalId, r.dataset_id AS datasetId, o.language AS language,
                o.received_at AS receivedAt,
                r.recorded_at AS recordedAt, max(m.delivered_at) AS lastAcknowledgedAt,
                sum(CASE WHEN m.id IS NOT NULL AND m.delivered_at IS NULL THEN 1 ELSE 0 END) AS pendingDeliveries
           FROM removals r JOIN objections o ON o.id = r.objection_id
           LEFT JOIN recipient_outbox m ON m.removal_id = r.id
          GROUP BY r.id ORDER BY r.recorded_at, r.id`,
      )
      .all() as RemovalEffect[];
  }

  async noticeExposures(): Promise<NoticeExposureCount[]> {
    return this.db
      .prepare(
        `SELECT version_id AS versionId, language, count(DISTINCT subject_key) AS shown,
                count(DISTINCT CASE WHEN acknowledged_at IS NOT NULL THEN subject_key END) AS acknowledged
           FROM notice_exposures WHERE voided_at IS NULL
          GROUP BY version_id, language ORDER BY version_id, language`,
      )
      .all() as NoticeExposureCount[];
  }

  async campaignProgress(): Promise<CampaignStateCount[]> {
    return this.db
      .prepare(
        `SELECT c.id AS campaignId, c.version_id AS versionId, c.created_at AS createdAt,
                c.finished_at AS finishedAt, r.state AS state, count(*) AS count
           FROM notice_campaigns c JOIN notice_campaign_recipients r ON r.campaign_id = c.id
          GROUP BY c.id, r.state ORDER BY c.created_at, c.id, r.state`,
      )
      .all() as CampaignStateCount[];
  }

  async recipientDeliveries(): Promise<RecipientDelivery[]> {
    return this.db
      .prepare(
        `SELECT p.id AS recipientId, p.name AS recipient, p.dataset_id AS datasetId,
                sum(CASE WHEN m.delivered_at IS NOT NULL THEN 1 ELSE 0 END) AS acknowledged,
                sum(CASE WHEN m.id IS NOT NULL AND m.delivered_at IS NULL THEN 1 ELSE 0 END) AS pending,
                sum(CASE WHEN m.delivered_at IS NULL AND m.last_error IS NOT NULL THEN 1 ELSE 0 END) AS failing,
                max(CASE WHEN m.delivered_at IS NULL THEN m.last_error END) AS lastError
           FROM recipients p LEFT JOIN recipient_outbox m ON m.recipient_id = p.id
          GROUP BY p.id ORDER BY p.name, p.id`,
      )
      .all() as RecipientDelivery[];
  }

  async monthlyActivity(): Promise<MonthlyActivity[]> {
    return this.db
      .prepare(
        `SELECT month, language, kind, count(*) AS count FROM (
           SELECT substr(min(shown_at), 1, 7) AS month, language, 'shown' AS kind
             FROM notice_exposures WHERE voided_at IS NULL
            GROUP BY subject_key, version_id, language
           UNION ALL
           SELECT substr(received_at, 1, 7), language, 'received' FROM objections
           UNION ALL
           SELECT substr(ended_at, 1, 7), language, 'withdrawn' FROM objections
            WHERE status = 'withdrawn' AND ended_at IS NOT NULL)
         GROUP BY month, language, kind ORDER BY month, language, kind`,
      )
      .all() as MonthlyActivity[];
  }

  async sealedDatasets(): Promise<SealedDatasetRow[]> {
    return this.db
      .prepare(
        `SELECT id, purpose, recorded_at AS recordedAt, records, manifest FROM datasets
          WHERE sealed_at IS NOT NULL ORDER BY recorded_at, id`,
      )
      .all() as SealedDatasetRow[];
  }

  async lastVerifications(): Promise<DatasetVerification[]> {
    const rows = this.db
      .prepare(
        `SELECT dataset_id, verified_at, passed, verified_by, failures FROM dataset_verifications v
          WHERE id = (SELECT max(id) FROM dataset_verifications w WHERE w.dataset_id = v.dataset_id)
          ORDER BY verified_at DESC, id DESC`,
      )
      .all() as VerificationRow[];
    return rows.map(verificationFromRow);
  }
}

interface VerificationRow {
  dataset_id: string;
  verified_at: string;
  passed: number;
  verified_by: string;
  failures: string;
}

function verificationFromRow(r: VerificationRow): DatasetVerification {
  return {
    datasetId: r.dataset_id,
    verifiedAt: r.verified_at,
    passed: r.passed === 1,
    by: r.verified_by === 'gate' ? 'gate' : 'cli',
    failures: JSON.parse(r.failures),
  };
}
