import type { LoadedPolicy } from '../../gate/policy.ts';
import type { Clock } from '../../lib/clock.ts';
import type { AssessmentStore, StoredAssessment } from '../../store/assessment-store.ts';
import {
  type AssessmentConfig,
  assessmentMarkdown,
  assessmentRecord,
  assessmentSha256,
} from './assessment-record.ts';
import type { AssessmentSummary, AssessmentText } from './assessment-text.ts';

/** The audit event of a record kept. */
export const ASSESSMENT_RECORDED_EVENT = 'assessment.recorded';

/** What the public summary page shows of one record, in one language. */
export interface PublicAssessment {
  stored: StoredAssessment;
  /** The summary in the language asked for when translated, else in the operator's language. */
  summary: AssessmentSummary;
  summaryLanguage: string;
}

/**
 * Legitimate-interest assessments: kept per policy version, each change a new version, the fact
 * in the audit log (`assessment.recorded`), the public summary published beside the notice.
 */
export class Assessments {
  constructor(
    private readonly deps: { store: AssessmentStore; clock: Clock; config: AssessmentConfig },
  ) {}

  /** Keeps the record of `policy` with the operator's `text` (a new version only if it changed). */
  async record(
    policy: LoadedPolicy,
    text: AssessmentText,
  ): Promise<{ stored: StoredAssessment; created: boolean }> {
    const record = assessmentRecord(policy, text, this.deps.config);
    const sha256 = assessmentSha256(record);
    return this.deps.store.recordAssessment(
      {
        policyId: policy.policy.id,
        policySha256: policy.sha256,
        purpose: policy.policy.purpose,
        sha256,
        language: text.language,
        recordedAt: this.deps.clock(),
        record,
      },
      (stored) => ({
        at: stored.recordedAt,
        type: ASSESSMENT_RECORDED_EVENT,
        objectionId: null,
        subjectKey: null,
        data: {
          id: stored.id,
          policyId: stored.policyId,
          policySha256: stored.policySha256,
          purpose: stored.purpose,
          sha256: stored.sha256,
        },
      }),
    );
  }

  get(id: string): Promise<StoredAssessment | undefined> {
    return this.deps.store.getAssessment(id);
  }

  /** The record that applies to a policy version: the latest kept for its sha256. */
  forPolicy(policySha256: string): Promise<StoredAssessment | undefined> {
    return this.deps.store.latestForPolicy(policySha256);
  }

  /** Every record, newest first. */
  list(): Promise<StoredAssessment[]> {
    return this.deps.store.listAssessments();
  }

  /** The latest record of each policy (by id), newest first: what the public page shows. */
  async current(): Promise<StoredAssessment[]> {
    const seen = new Set<string>();
    return (await this.list()).filter((a) => !seen.has(a.policyId) && seen.add(a.policyId));
  }

  markdown(stored: StoredAssessment): string {
    return assessmentMarkdown(stored.record, { id: stored.id, recordedAt: stored.recordedAt });
  }

  /** The summary for a reader of `language`: its translation, or the operator's own text. */
  static summaryFor(stored: StoredAssessment, language: string): PublicAssessment {
    const text = stored.record.text;
    const translated = text.translations[language];
    if (translated) return { stored, summary: translated, summaryLanguage: language };
    return { stored, summary: text.summary, summaryLanguage: text.language };
  }
}
