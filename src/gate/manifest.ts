import { createHash } from 'node:crypto';
import type { ExclusionCommitment } from '../transparency/dataset-exclusion.ts';
import type { TermsCommitment } from '../transparency/terms-commitment.ts';
import type { ContentLanguages } from './content-languages.ts';
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
  /**
   * The transparency log's checkpoint of the registry state the snapshot was taken from: the
   * log up to and including the snapshot's `snapshot.created` event (so `size` is that event's
   * sequence number), signed by the log key. `veto dataset verify` checks the signature, that
   * the log now is consistent with it, and that replaying those `size` events gives exactly the
   * snapshot's objector set. An offline build copies it from its snapshot or filter file (format
   * v3, `offline` says whether its signature could be checked there); absent when the file
   * carries none (a Parquet snapshot converted back, a build sealed before files carried it).
   */
  anchor?: DatasetAnchor;
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
   * The kept content's languages, estimated from a sample of the data file (`content-languages.ts`).
   * Absent in manifests sealed before it was recorded.
   */
  languages?: ContentLanguages;
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
   * The legitimate-interest assessment that applied (docs/assessment.md): the record kept for
   * this policy version, a build explicitly made without one (`overridden`, with the setting),
   * or `not checked` (an offline build). Absent in manifests sealed before assessments existed.
   */
  assessment?:
    | { status: 'recorded'; id: string; sha256: string; recordedAt: string }
    | { status: 'overridden'; source: string }
    | { status: 'not checked'; note: string };
  /**
   * Every check a policy can require, each `performed` (with its counts), `not required by the
   * policy`, or `deferred` (an offline build: no registry to ask).
   */
  checks: Record<GateCheck, CheckOutcome>;
  /**
   * Who is in the dataset, committed to without naming anyone (docs/transparency.md "Am I in
   * this dataset? A proof"): the Merkle root over the sorted VRF outputs of its subject keys,
   * their count, the VRF key's id, and the file holding those outputs (`count` × 32 octets).
   * Absent when the build had no VRF key (an offline build on a machine without the
   * deployment's key, or a dataset sealed before commitments were made).
   */
  exclusion?: ExclusionCommitment & { file: string; sha256: string };
  /**
   * Which terms objections (people without an account: the names, handles and links they gave)
   * the redaction step applied, committed to without naming them (docs/transparency.md "Terms
   * objections applied"): the Merkle root over the keyed values of their receipt references,
   * their count, and the file holding the values (`count` × 32 octets). Present for a build with
   * the registry (a rebuilt version commits its own); absent offline (no terms were applied).
   */
  terms?: TermsCommitment & { file: string; sha256: string };
  files: { data: string; rejects: string; decisions: string; inclusions: string; policy: string };
  startedAt: string;
  finishedAt: string;
  vetoVersion: string;
  /** Informational: the output does not depend on it. */
  workers: number;
}

/** A checkpoint of the transparency log, as a manifest records it (docs/transparency.md). */
export interface DatasetAnchor {
  /** Tree size: the log's first `size` events; the last of them is the snapshot's event. */
  size: number;
  /** The tree's root hash, base64 (as in the checkpoint). */
  root: string;
  /** The signed note (C2SP tlog-checkpoint), as the registry signed it. */
  checkpoint: string;
  /**
   * An offline build's anchor came from its snapshot or filter file (format v3): whether its
   * signature was checked on the building machine (with the log's key; a bad one refuses the
   * build) or could not be (no key there). `veto dataset register` and `veto dataset verify`
   * against the registry check it fully either way. Absent for a build with the registry.
   */
  offline?:
    | { source: 'snapshot-file' | 'filter-file'; signature: 'checked'; signedBy: string }
    | { source: 'snapshot-file' | 'filter-file'; signature: 'not checked'; note: string };
}

/** The bytes of `manifest.json` as the gate writes it: what the `dataset.sealed` event hashes. */
export function manifestText(manifest: DatasetManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export function manifestSha256(manifest: DatasetManifest): string {
  return createHash('sha256').update(manifestText(manifest)).digest('hex');
}

/** The audit event type of a dataset sealed in the registry (one per dataset, with its row). */
export const DATASET_SEALED_EVENT = 'dataset.sealed';

/**
 * The data of a dataset's `dataset.sealed` audit event: what was sealed (the manifest's own
 * hash, which covers every file's hash), under which policy and from which snapshot and log
 * state, and its exclusion and terms commitments (counts and roots). Both dataset stores write it in the transaction that seals the dataset's row.
 */
export function datasetSealedData(manifest: DatasetManifest): Record<string, unknown> {
  return {
    datasetId: manifest.datasetId,
    purpose: manifest.purpose,
    policySha256: manifest.policy.sha256,
    snapshotId: manifest.snapshot.id,
    snapshotSha256: manifest.snapshot.sha256,
    outputSha256: manifest.output.sha256,
    records: manifest.output.records,
    manifestSha256: manifestSha256(manifest),
    ...(manifest.anchor
      ? { anchor: { size: manifest.anchor.size, root: manifest.anchor.root } }
      : {}),
    // The commitments in their own fields, not only through the manifest's hash: a person's
    // proof is checked against the root the log holds (docs/transparency.md).
    ...(manifest.exclusion
      ? {
          exclusion: {
            keyId: manifest.exclusion.keyId,
            count: manifest.exclusion.count,
            root: manifest.exclusion.root,
          },
        }
      : {}),
    ...(manifest.terms
      ? { terms: { count: manifest.terms.count, root: manifest.terms.root } }
      : {}),
  };
}
