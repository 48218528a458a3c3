import { VERIFY_CHECKS, type VerifyReport } from './dataset-verify.ts';

/**
 * The outcome of one run of `veto dataset verify` (or of the verification `gate build` runs
 * before sealing), as the registry keeps it (table `dataset_verifications`, migration
 * `016-dataset-verifications`): the console's datasets page shows each dataset's last one. Only a
 * summary: the failed checks with their first messages; the full report stays with whoever ran
 * it (`--json`, or the build's `verify.json`).
 */
export interface DatasetVerification {
  datasetId: string;
  /** ISO 8601 instant the verification finished. */
  verifiedAt: string;
  passed: boolean;
  /** Who ran it: `veto dataset verify` (or `register`) on the command line, or `gate build`. */
  by: VerifiedBy;
  failures: VerificationFailure[];
}

export type VerifiedBy = 'cli' | 'gate';

export interface VerificationFailure {
  check: string;
  /** Problems the check found (all counted). */
  problems: number;
  /** The first few, shortened: enough to say what went wrong. */
  messages: string[];
}

const MESSAGES_PER_CHECK = 3;
const MESSAGE_LENGTH = 300;

/** The summary the registry keeps of `report`. */
export function verificationOf(
  report: VerifyReport,
  by: VerifiedBy,
  verifiedAt: string,
  /** Used when the report names no dataset (its manifest could not be read). */
  fallbackId = '',
): DatasetVerification {
  const failures = VERIFY_CHECKS.filter((c) => report.checks[c].status === 'fail').map((c) => ({
    check: c,
    problems: report.checks[c].problems,
    messages: report.problems
      .filter((p) => p.check === c)
      .slice(0, MESSAGES_PER_CHECK)
      .map((p) =>
        p.message.length > MESSAGE_LENGTH
          ? `${p.message.slice(0, MESSAGE_LENGTH - 1)}…`
          : p.message,
      ),
  }));
  return {
    datasetId: report.datasetId || fallbackId,
    verifiedAt,
    passed: report.ok,
    by,
    failures,
  };
}
