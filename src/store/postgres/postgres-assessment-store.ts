import { sql } from 'kysely';
import {
  type AssessmentStore,
  assessmentId,
  type NewAssessment,
  type StoredAssessment,
} from '../assessment-store.ts';
import { appendChainedEvents, type PostgresRegistryStore } from './postgres-registry-store.ts';

interface AssessmentRow {
  id: string;
  seq: number;
  policy_id: string;
  policy_sha256: string;
  purpose: string;
  sha256: string;
  language: string;
  record: StoredAssessment['record'];
  recorded_at: string;
}

const fromRow = (r: AssessmentRow): StoredAssessment => ({
  id: r.id,
  seq: Number(r.seq),
  policyId: r.policy_id,
  policySha256: r.policy_sha256,
  purpose: r.purpose,
  sha256: r.sha256,
  language: r.language,
  recordedAt: r.recorded_at,
  record: r.record,
});

/**
 * Assessment records in the registry's PostgreSQL database (twin of sqlite-assessment-store.ts).
 * The write locks the chain head first, like every registry write: the record's number, the
 * record and its audit event are one transaction, and two operators recording at once are
 * serialised.
 */
export class PostgresAssessmentStore implements AssessmentStore {
  constructor(private readonly registry: PostgresRegistryStore) {}

  private get db() {
    return this.registry.kysely;
  }

  recordAssessment(
    row: NewAssessment,
    eventOf: Parameters<AssessmentStore['recordAssessment']>[1],
  ): Promise<{ stored: StoredAssessment; created: boolean }> {
    return this.db.transaction().execute(async (trx) => {
      const head = (
        await sql<{ seq: string; hash: string }>`
          SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE`.execute(trx)
      ).rows[0];
      if (!head) throw new Error('chain_head row is missing: the registry schema is damaged');
      const latest = (
        await sql<AssessmentRow>`SELECT * FROM assessments WHERE policy_sha256 = ${row.policySha256}
          ORDER BY seq DESC LIMIT 1`.execute(trx)
      ).rows[0];
      if (latest && latest.sha256 === row.sha256)
        return { stored: fromRow(latest), created: false };
      const seq = Number(
        (
          await sql<{
            seq: string;
          }>`SELECT coalesce(max(seq), 0) + 1 AS seq FROM assessments`.execute(trx)
        ).rows[0]!.seq,
      );
      const stored: StoredAssessment = { ...row, id: assessmentId(seq, row.sha256), seq };
      await sql`INSERT INTO assessments (id, seq, policy_id, policy_sha256, purpose, sha256, language, record, recorded_at)
        VALUES (${stored.id}, ${seq}, ${row.policyId}, ${row.policySha256}, ${row.purpose}, ${row.sha256},
          ${row.language}, ${JSON.stringify(row.record)}::jsonb, ${row.recordedAt})`.execute(trx);
      await appendChainedEvents(trx, { seq: Number(head.seq), hash: head.hash }, [eventOf(stored)]);
      return { stored, created: true };
    });
  }

  async getAssessment(id: string): Promise<StoredAssessment | undefined> {
    const r = (
      await sql<AssessmentRow>`SELECT * FROM assessments WHERE id = ${id}`.execute(this.db)
    ).rows[0];
    return r && fromRow(r);
  }

  async latestForPolicy(policySha256: string): Promise<StoredAssessment | undefined> {
    const r = (
      await sql<AssessmentRow>`SELECT * FROM assessments WHERE policy_sha256 = ${policySha256}
        ORDER BY seq DESC LIMIT 1`.execute(this.db)
    ).rows[0];
    return r && fromRow(r);
  }

  async listAssessments(): Promise<StoredAssessment[]> {
    return (
      await sql<AssessmentRow>`SELECT * FROM assessments ORDER BY seq DESC`.execute(this.db)
    ).rows.map(fromRow);
  }
}
