import type { ReasonCounts } from './reasons.ts';
import type { FieldMapping } from './record-fields.ts';

/**
 * `manifest.json` of a dataset directory: everything needed to explain and verify a build.
 * Hashes are hex sha256 of file bytes.
 */
export const MANIFEST_FORMAT = 'veto-dataset-manifest/v1';

/** The checks a build performs for the policy (docs/gate.md "Checks"). */
export const GATE_CHECKS = [
  'objectors',
  'late-objections',
  'notice-period',
  'third-party-terms',
] as const;
export type GateCheck = (typeof GATE_CHECKS)[number];

export type CheckOutcome =
  | { status: 'performed'; counts: Record<string, number> }
  | { status: 'not required by the policy' }
  | { status: 'deferred'; note: string };

export interface DatasetManifest {
  format: typeof MANIFEST_FORMAT;
  datasetId: string;
  purpose: string;
  /**
   * Set for a dataset built by another engine and taken in by `veto dataset import`: the folder
   * it came from and the sha256 of its `SHA256SUMS` (which names every file's hash).
   */
  origin?: { kind: 'import'; dir: string; sha256sums: string };
  policy: { id: string; title: string; sha256: string; path: string; file: string };
  snapshot: {
    id: string;
    purpose: string;
    asOf: string;
    count: number;
    sha256: string;
    /** `snapshot-file` (exact set) or `filter-file` (binary fuse filter: ~0.4 % extra drops). */
    source: 'snapshot-file' | 'filter-file';
    path: string;
    falsePositiveRate?: number;
    filterSha256?: string;
  };
  inputs: {
    path: string;
    format: 'jsonl' | 'parquet';
    bytes: number;
    sha256: string;
    lines: number;
  }[];
  output: {
    file: string;
    format: 'jsonl' | 'parquet';
    bytes: number;
    sha256: string;
    records: number;
  };
  /**
   * The field mapping the records were read with (absent: none), so that `veto dataset verify`
   * reads the data's ids, authors, mentions and texts where the build did.
   */
  mapping?: FieldMapping;
  /**
   * The names file the build found named accounts with (handles, display names), copied into
   * the dataset as `file`: `veto dataset verify` finds them again from it.
   */
  names?: {
    file: string;
    sha256: string;
    accounts: number;
    displayNamesSkipped: number;
    /** Terms naming objectors, redacted because the policy does not cover mentions. */
    redactedTerms: number;
  };
  /** Records per decision; they sum to `records`. */
  counts: ReasonCounts;
  records: number;
  /** Empty lines in the input: not records, so not in `counts`. */
  blankLines: number;
  /**
   * Ids carried by more than one record, of them those whose copies name different authors, and
   * the copies excluded for it (`counts['duplicate-id']`).
   */
  duplicateIds?: { ids: number; authorsDiffer: number; copiesExcluded: number };
  redactedRecords: number;
  /**
   * How identifiers were replaced. `pseudonymKeyId` names the dataset's pseudonym key (an HMAC of
   * it, not the key): whoever holds the key can check it is the one used.
   */
  redaction: { mode: 'placeholder' | 'pseudonym'; categories: string[]; pseudonymKeyId?: string };
  /** Names/handles of third-party objectors redacted wherever they appear. */
  thirdPartyTerms: { count: number; asOf?: string; note?: string };
  recheck: {
    performed: boolean;
    at?: string;
    /** Subjects whose objection arrived after the snapshot's cut-off. */
    lateObjectors: number;
    removedRecords: number;
    note?: string;
  };
  noticePeriod: {
    checked: boolean;
    noticeVersion: string;
    minimumDays: number;
    /** The shortest period the deployment accepts, and where it comes from (`default` or a setting). */
    floorDays: number;
    floorSource: string;
    /** When the notice version announced the processing would start (the build was not before). */
    announcedAt?: string;
    shownBy?: string;
    removedRecords: number;
    note?: string;
  };
  /**
   * Every check a policy can require, each `performed` (with its counts), `not required by the
   * policy`, or `deferred` (an offline build: no registry to ask).
   */
  checks: Record<GateCheck, CheckOutcome>;
  files: { data: string; rejects: string; decisions: string; inclusions: string; policy: string };
  startedAt: string;
  finishedAt: string;
  vetoVersion: string;
  /** Informational: the output does not depend on it. */
  workers: number;
}
