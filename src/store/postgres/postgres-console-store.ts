import { sql } from 'kysely';
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
import type { PostgresRegistryStore } from './postgres-registry-store.ts';

/** An ISO 8601 UTC string with milliseconds, as every other adapter method returns. */
const iso = (column: string) =>
  sql.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/**
 * The console's figures from PostgreSQL. Counts come back as bigint strings from `count(*)`:
 * cast to int (no group here can reach 2^31). `removals` and `recipient_outbox` keep ISO text.
 */
export class PostgresConsoleStore implements ConsoleStore {
  constructor(private readonly registry: PostgresRegistryStore) {}

  private get db() {
    return this.registry.kysely;
  }

  async objectionsPerDay(): Promise<DailyObjections[]> {
    const { rows } = await sql<DailyObjections>`
      SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, channel, language,
             count(*)::int AS count
        FROM objections GROUP BY 1, channel, language
       ORDER BY 1, channel COLLATE "C", language COLLATE "C"`.execute(this.db);
    return rows;
  }

  async removalEffects(): Promise<RemovalEffect[]> {
    const { rows } = await sql<RemovalEffect>`
      SELECT r.id AS "removalId", r.dataset_id AS "datasetId", o.language AS language,
             ${iso('o.received_at')} AS "receivedAt",
             r.recorded_at AS "recordedAt", max(m.delivered_at) AS "lastAcknowledgedAt",
             count(m.id) FILTER (WHERE m.delivered_at IS NULL)::int AS "pendingDeliveries"
        FROM removals r JOIN objections o ON o.id = r.objection_id
        LEFT JOIN recipient_outbox m ON m.removal_id = r.id
       GROUP BY r.id, o.received_at, o.language ORDER BY r.recorded_at COLLATE "C", r.id COLLATE "C"`.execute(
      this.db,
    );
    return rows;
  }

  async noticeExposures(): Promise<NoticeExposureCount[]> {
    const { rows } = await sql<NoticeExposureCount>`
      SELECT version_id AS "versionId", language, count(DISTINCT subject_key)::int AS shown,
             count(DISTINCT subject_key) FILTER (WHERE acknowledged_at IS NOT NULL)::int AS acknowledged
        FROM notice_exposures WHERE voided_at IS NULL
       GROUP BY version_id, language ORDER BY version_id COLLATE "C", language COLLATE "C"`.execute(
      this.db,
    );
    return rows;
  }

  async campaignProgress(): Promise<CampaignStateCount[]> {
    const { rows } = await sql<CampaignStateCount>`
      SELECT c.id AS "campaignId", c.version_id AS "versionId", ${iso('c.created_at')} AS "createdAt",
             CASE WHEN c.finished_at IS NULL THEN NULL ELSE ${iso('c.finished_at')} END AS "finishedAt",
             r.state AS state, count(*)::int AS count
        FROM notice_campaigns c JOIN notice_campaign_recipients r ON r.campaign_id = c.id
       GROUP BY c.id, r.state ORDER BY c.created_at, c.id COLLATE "C", r.state COLLATE "C"`.execute(
      this.db,
    );
    return rows;
  }

  async recipientDeliveries(): Promise<RecipientDelivery[]> {
    const { rows } = await sql<RecipientDelivery>`
      SELECT p.id AS "recipientId", p.name AS recipient, p.dataset_id AS "datasetId",
             count(m.id) FILTER (WHERE m.delivered_at IS NOT NULL)::int AS acknowledged,
             count(m.id) FILTER (WHERE m.delivered_at IS NULL)::int AS pending,
             count(m.id) FILTER (WHERE m.delivered_at IS NULL AND m.last_error IS NOT NULL)::int AS failing,
             max(m.last_error) FILTER (WHERE m.delivered_at IS NULL) AS "lastError"
        FROM recipients p LEFT JOIN recipient_outbox m ON m.recipient_id = p.id
       GROUP BY p.id ORDER BY p.name COLLATE "C", p.id COLLATE "C"`.execute(this.db);
    return rows;
  }

  async monthlyActivity(): Promise<MonthlyActivity[]> {
    const month = (column: string) => sql.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM')`);
    const { rows } = await sql<MonthlyActivity>`
      SELECT month, language, kind, count(*)::int AS count FROM (
        SELECT ${month('min(shown_at)')} AS month, language, 'shown' AS kind
          FROM notice_exposures WHERE voided_at IS NULL
         GROUP BY subject_key, version_id, language
        UNION ALL
        SELECT ${month('received_at')}, language, 'received' FROM objections
        UNION ALL
        SELECT ${month('ended_at')}, language, 'withdrawn' FROM objections
         WHERE status = 'withdrawn' AND ended_at IS NOT NULL) a
      GROUP BY month, language, kind
      ORDER BY month COLLATE "C", language COLLATE "C", kind COLLATE "C"`.execute(this.db);
    return rows;
  }

  async sealedDatasets(): Promise<SealedDatasetRow[]> {
    const { rows } = await sql<SealedDatasetRow>`
      SELECT id, purpose, ${iso('recorded_at')} AS "recordedAt", records::int AS records,
             manifest::text AS manifest FROM datasets
       WHERE sealed_at IS NOT NULL ORDER BY recorded_at, id COLLATE "C"`.execute(this.db);
    return rows;
  }

  async lastVerifications(): Promise<DatasetVerification[]> {
    const { rows } = await sql<{
      dataset_id: string;
      verified_at: string;
      passed: boolean;
      verified_by: string;
      failures: string;
    }>`
      SELECT DISTINCT ON (dataset_id) dataset_id, verified_at, passed, verified_by, failures, id
        FROM dataset_verifications ORDER BY dataset_id, id DESC`.execute(this.db);
    return rows
      .sort((a, b) => b.verified_at.localeCompare(a.verified_at))
      .map((r) => ({
        datasetId: r.dataset_id,
        verifiedAt: r.verified_at,
        passed: r.passed,
        by: r.verified_by === 'gate' ? 'gate' : 'cli',
        failures: JSON.parse(r.failures),
      }));
  }
}
