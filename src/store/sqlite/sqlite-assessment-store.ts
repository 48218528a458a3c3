import {
  type AssessmentStore,
  assessmentId,
  type NewAssessment,
  type StoredAssessment,
} from '../assessment-store.ts';
import { appendAuditEvents, prepareAuditAppend } from './sqlite-connection.ts';
import type { SqliteRegistryStore } from './sqlite-registry-store.ts';

interface AssessmentRow {
  id: string;
  seq: number;
  policy_id: string;
  policy_sha256: string;
  purpose: string;
  sha256: string;
  language: string;
  record: string;
  recorded_at: string;
}

const fromRow = (r: AssessmentRow): StoredAssessment => ({
  id: r.id,
  seq: r.seq,
  policyId: r.policy_id,
  policySha256: r.policy_sha256,
  purpose: r.purpose,
  sha256: r.sha256,
  language: r.language,
  recordedAt: r.recorded_at,
  record: JSON.parse(r.record),
});

const LATEST_FOR_POLICY =
  'SELECT * FROM assessments WHERE policy_sha256 = ? ORDER BY seq DESC LIMIT 1';

/**
 * Assessment records in the registry's SQLite file. A record and its audit event are written in
 * one IMMEDIATE transaction through the registry's `write()`, so the chain never holds an event
 * for a record that is not there, nor the reverse.
 */
export class SqliteAssessmentStore implements AssessmentStore {
  constructor(private readonly registry: SqliteRegistryStore) {}

  recordAssessment(
    row: NewAssessment,
    eventOf: Parameters<AssessmentStore['recordAssessment']>[1],
  ): Promise<{ stored: StoredAssessment; created: boolean }> {
    return this.registry.write((db) => {
      const latest = db.prepare(LATEST_FOR_POLICY).get(row.policySha256) as
        | AssessmentRow
        | undefined;
      if (latest && latest.sha256 === row.sha256)
        return { stored: fromRow(latest), created: false };
      const { seq } = db
        .prepare('SELECT coalesce(max(seq), 0) + 1 AS seq FROM assessments')
        .get() as {
        seq: number;
      };
      const stored: StoredAssessment = { ...row, id: assessmentId(seq, row.sha256), seq };
      db.prepare(
        `INSERT INTO assessments (id, seq, policy_id, policy_sha256, purpose, sha256, language, record, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        stored.id,
        seq,
        row.policyId,
        row.policySha256,
        row.purpose,
        row.sha256,
        row.language,
        JSON.stringify(row.record),
        row.recordedAt,
      );
      appendAuditEvents(prepareAuditAppend(db), [eventOf(stored)]);
      return { stored, created: true };
    });
  }

  async getAssessment(id: string): Promise<StoredAssessment | undefined> {
    const r = this.registry.db.prepare('SELECT * FROM assessments WHERE id = ?').get(id) as
      | AssessmentRow
      | undefined;
    return r && fromRow(r);
  }

  async latestForPolicy(policySha256: string): Promise<StoredAssessment | undefined> {
    const r = this.registry.db.prepare(LATEST_FOR_POLICY).get(policySha256) as
      | AssessmentRow
      | undefined;
    return r && fromRow(r);
  }

  async listAssessments(): Promise<StoredAssessment[]> {
    return (
      this.registry.db
        .prepare('SELECT * FROM assessments ORDER BY seq DESC')
        .all() as AssessmentRow[]
    ).map(fromRow);
  }
}
