import type { AssessmentRecord } from '../domain/assessment/assessment-record.ts';
import type { NewEvent } from '../domain/types.ts';

/** A kept legitimate-interest assessment record (migration `013-assessments`). */
export interface StoredAssessment {
  /** `lia-NNNN-<sha256 prefix>`: numbered in the order kept. */
  id: string;
  seq: number;
  policyId: string;
  /** The policy version it assesses: the sha256 of the policy file, as in every manifest. */
  policySha256: string;
  purpose: string;
  /** sha256 of the record's canonical JSON. */
  sha256: string;
  language: string;
  recordedAt: string;
  record: AssessmentRecord;
}

export type NewAssessment = Omit<StoredAssessment, 'id' | 'seq'>;

/**
 * Storage of assessment records, in the registry's database (src/store/sqlite/
 * sqlite-assessment-store.ts, src/store/postgres/postgres-assessment-store.ts; both tested through
 * the CLI and HTTP in test/cli/assessment.test.ts and test/http/assessment-summary.test.ts).
 * Records are immutable at the database level (triggers refuse UPDATE and DELETE): an earlier
 * version is never modified.
 */
export interface AssessmentStore {
  /**
   * Keeps `row` as the next version, with the audit event `eventOf` makes of it, in one
   * transaction, unless the latest record of the same policy version has the same sha256: then
   * nothing is written and that record is returned with `created: false`.
   */
  recordAssessment(
    row: NewAssessment,
    eventOf: (stored: StoredAssessment) => NewEvent,
  ): Promise<{ stored: StoredAssessment; created: boolean }>;
  getAssessment(id: string): Promise<StoredAssessment | undefined>;
  /** The latest record of a policy version (its sha256), if any. */
  latestForPolicy(policySha256: string): Promise<StoredAssessment | undefined>;
  /** Every record, newest first. */
  listAssessments(): Promise<StoredAssessment[]>;
}

/** `lia-0007-<12 hex>`: the order kept and the content, readable in a manifest. */
export function assessmentId(seq: number, sha256: string): string {
  return `lia-${String(seq).padStart(4, '0')}-${sha256.slice(0, 12)}`;
}
