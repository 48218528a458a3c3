import type { DatasetAnchor, DatasetManifest } from './manifest.ts';
import type { DatasetVerification } from './verification-outcome.ts';

/**
 * What the gate needs from the live registry. Every check a policy can require is a required
 * method here, never an optional one: a registry that cannot answer one does not type-check, and
 * no wrapper can drop a check by forgetting to forward it. `src/app/wire.ts` composes it from the
 * dataset store of the registry's dialect (`src/store/sqlite/sqlite-dataset-store.ts`,
 * `src/store/postgres/postgres-dataset-store.ts`) and the notice records; tests use an in-memory
 * one (`test/gate/support/memory-registry.ts`).
 */
export interface GateRegistry {
  /**
   * Subject keys with an objection for `purpose` that is effective now and was received after
   * `asOf` (the snapshot's cut-off). Called just before sealing: their records are removed.
   */
  objectorsAddedSince(purpose: string, asOf: string): Promise<string[]>;

  /**
   * The notice-period check: given at most 10,000 subject keys, returns those that were **not**
   * shown notice `noticeVersion` at or before `shownBy` (cut-off minus the policy's minimum
   * days); their records are removed with reason `notice-period`.
   */
  subjectsWithoutNotice(query: NoticeQuery): Promise<string[]>;

  /**
   * Why the notice-period check cannot be performed for `noticeVersion` (a version this registry
   * never published), or undefined when it can. Asked before any record is read: a build whose
   * policy names a notice nobody was shown refuses to start instead of excluding everyone.
   */
  noticeCheckProblem(noticeVersion: string): Promise<string | undefined>;

  /**
   * The instant notice version `noticeVersion` announces the processing starts (its
   * `effectiveAt`), or undefined for a version this registry never published. The gate refuses
   * to build before it.
   */
  noticeAnnouncedAt(noticeVersion: string): Promise<string | undefined>;

  /**
   * The legitimate-interest assessment recorded for a policy version (the sha256 of its file),
   * or undefined when none was: the gate refuses to build without one unless the operator
   * explicitly overrides it (docs/assessment.md).
   */
  assessmentFor(policySha256: string): Promise<RecordedAssessment | undefined>;

  /**
   * Names, handles and profile URLs given by people who objected as third parties (non-users),
   * for objections effective at `asOf`: redacted exactly wherever they appear.
   */
  objectorTerms(purpose: string, asOf: string): Promise<string[]>;

  /**
   * The receipt references of the objections whose terms {@link objectorTerms} returns for the
   * same purpose and instant (non-users, effective at `asOf`, at least one term), sorted: the
   * terms objections a build applies, which its terms commitment names (docs/transparency.md).
   */
  objectorTermReferences(purpose: string, asOf: string): Promise<string[]>;

  /**
   * The registry's own record of snapshot `id` (purpose, cut-off, count, hash), or undefined when
   * it never took that snapshot. A build reads its objector set from a file; before it asks any
   * question about the cut-off it checks the file against this record, so a file that tells
   * another cut-off or purpose than the registry froze cannot steer the late-objection re-check.
   */
  snapshotRecord(id: string): Promise<RecordedSnapshot | undefined>;

  /**
   * The signed checkpoint of the transparency log up to and including snapshot `id`'s
   * `snapshot.created` event: the registry state the snapshot froze, which the manifest records
   * as its anchor. Undefined when the log holds no event for that snapshot.
   */
  snapshotAnchor(id: string): Promise<DatasetAnchor | undefined>;

  /**
   * Records a sealed dataset and its inclusion index (which subject's items went into it), so a
   * later objection finds every dataset it affects and a person can be told whether their
   * content is in one. Called before the dataset directory is renamed into place: if it fails,
   * nothing is sealed. The gate passes an `InclusionRows` (see inclusion-file.ts) whose
   * `batches()` yields arrays of rows: bulk writers should use it (`inclusionBatches()`).
   * `exclusionLeaves` (the sorted VRF outputs) is required when the manifest has an
   * `exclusion` commitment, and recorded with the dataset row. `location`, the absolute
   * directory the dataset is sealed into, is recorded with the row too: `serve`'s erasure job
   * finds the version there even outside `VETO_DATASET_DIRS`. Every sealing path passes it.
   * `termsLeaves` (the sorted keyed values of the applied terms objections' references) is
   * required when the manifest has a `terms` commitment, and recorded with the row.
   */
  recordDataset(
    manifest: DatasetManifest,
    inclusions: Iterable<InclusionRow> | AsyncIterable<InclusionRow>,
    exclusionLeaves?: Uint8Array,
    location?: string,
    termsLeaves?: Uint8Array,
  ): Promise<void>;

  /**
   * Keeps the outcome of a verification (the build's before sealing, passed or not), so the
   * console can show each dataset's last one. A dataset that failed is never sealed: the row
   * names its id all the same.
   */
  recordVerification(verification: DatasetVerification): Promise<void>;
}

/** The assessment record that applies to a build, as its manifest names it. */
export interface RecordedAssessment {
  id: string;
  /** sha256 of the record (its canonical JSON). */
  sha256: string;
  recordedAt: string;
}

/** Where the assessment records are read (`veto.assessments`). */
export interface GateAssessmentRecords {
  forPolicy(
    policySha256: string,
  ): Promise<{ id: string; sha256: string; recordedAt: string } | undefined>;
}

/** What the registry recorded when it took a snapshot (`snapshots` table). */
export interface RecordedSnapshot {
  id: string;
  purpose: string;
  /** ISO 8601 instant: the cut-off. */
  asOf: string;
  count: number;
  sha256: string;
}

/** Where the registry's snapshot records are read (the registry store's `getSnapshot`). */
export interface GateSnapshotRecords {
  getSnapshot(id: string): Promise<RecordedSnapshot | undefined>;
}

/** The transparency log's checkpoints at snapshots (`src/app/wire.ts`: the store and the log). */
export type GateLogAnchors = Pick<GateRegistry, 'snapshotAnchor'>;

/**
 * The anchor of a snapshot from where its `snapshot.created` event sits in the log and the log's
 * signed checkpoint of that size.
 */
export function logAnchors(log: {
  snapshotEventSeq(id: string): Promise<number | undefined>;
  checkpointAt(size: number): Promise<{ size: number; root: Uint8Array; note: string }>;
}): GateLogAnchors {
  return {
    snapshotAnchor: async (id) => {
      const seq = await log.snapshotEventSeq(id);
      if (seq === undefined) return undefined;
      const cp = await log.checkpointAt(seq);
      return { size: cp.size, root: Buffer.from(cp.root).toString('base64'), checkpoint: cp.note };
    },
  };
}

/** The part of the port the dataset store of each dialect implements (the rest is notices). */
export type GateDatasetStore = Pick<
  GateRegistry,
  | 'objectorsAddedSince'
  | 'objectorTerms'
  | 'objectorTermReferences'
  | 'recordDataset'
  | 'recordVerification'
>;

/** What the notice records answer for the gate (`veto.notices.exposures` and `getVersion`). */
export interface GateNoticeRecords {
  exposures: {
    subjectsNotShown(
      versionId: string,
      shownBy: string,
      subjectKeys: readonly string[],
    ): Promise<string[]>;
  };
  getVersion(id: string): Promise<{ effectiveAt: string } | undefined>;
}

/**
 * The whole port from its two halves. An object literal naming every method: leaving one out is
 * a type error, so the notice check and the third-party terms always travel together.
 */
export function composeGateRegistry(
  datasets: GateDatasetStore,
  notices: GateNoticeRecords,
  snapshots: GateSnapshotRecords,
  assessments: GateAssessmentRecords,
  anchors: GateLogAnchors,
): GateRegistry {
  return {
    assessmentFor: async (policySha256) => {
      const a = await assessments.forPolicy(policySha256);
      return a && { id: a.id, sha256: a.sha256, recordedAt: a.recordedAt };
    },
    snapshotAnchor: (id) => anchors.snapshotAnchor(id),
    snapshotRecord: async (id) => {
      const r = await snapshots.getSnapshot(id);
      return r && { id: r.id, purpose: r.purpose, asOf: r.asOf, count: r.count, sha256: r.sha256 };
    },
    objectorsAddedSince: (purpose, asOf) => datasets.objectorsAddedSince(purpose, asOf),
    objectorTerms: (purpose, asOf) => datasets.objectorTerms(purpose, asOf),
    objectorTermReferences: (purpose, asOf) => datasets.objectorTermReferences(purpose, asOf),
    recordDataset: (manifest, rows, leaves, location, termsLeaves) =>
      datasets.recordDataset(manifest, rows, leaves, location, termsLeaves),
    recordVerification: (v) => datasets.recordVerification(v),
    subjectsWithoutNotice: (q) =>
      notices.exposures.subjectsNotShown(q.noticeVersion, q.shownBy, q.subjectKeys),
    noticeCheckProblem: async (version) =>
      (await notices.getVersion(version))
        ? undefined
        : `notice version "${version}" was never published in this registry (veto notices publish)`,
    noticeAnnouncedAt: async (version) => (await notices.getVersion(version))?.effectiveAt,
  };
}

export interface NoticeQuery {
  purpose: string;
  noticeVersion: string;
  /** ISO instant: the notice must have been shown at or before it. */
  shownBy: string;
  subjectKeys: string[];
}

/**
 * The exclusion row to record with a dataset, checked against its manifest: a commitment
 * without its leaves, or leaves that are not `count` × 32 octets, is refused (fail closed).
 */
export function exclusionRow(
  manifest: DatasetManifest,
  leaves: Uint8Array | undefined,
):
  | { dataset_id: string; key_id: string; root: string; subjects: number; leaves: Buffer }
  | undefined {
  const e = manifest.exclusion;
  if (!e) {
    if (leaves)
      throw new Error(`dataset ${manifest.datasetId}: exclusion leaves without a commitment`);
    return undefined;
  }
  if (!leaves || leaves.length !== e.count * 32) {
    throw new Error(
      `dataset ${manifest.datasetId}: the exclusion commitment counts ${e.count} subjects, but ${leaves ? leaves.length / 32 : 'no'} leaves were given`,
    );
  }
  return {
    dataset_id: manifest.datasetId,
    key_id: e.keyId,
    root: e.root,
    subjects: e.count,
    leaves: Buffer.from(leaves),
  };
}

/**
 * The terms row to record with a dataset, checked against its manifest: a commitment without
 * its leaves, or leaves that are not `count` × 32 octets, is refused (fail closed).
 */
export function termsRow(
  manifest: DatasetManifest,
  leaves: Uint8Array | undefined,
): { dataset_id: string; root: string; objections: number; leaves: Buffer } | undefined {
  const t = manifest.terms;
  if (!t) {
    if (leaves) throw new Error(`dataset ${manifest.datasetId}: terms leaves without a commitment`);
    return undefined;
  }
  if (!leaves || leaves.length !== t.count * 32) {
    throw new Error(
      `dataset ${manifest.datasetId}: the terms commitment counts ${t.count} objections, but ${leaves ? leaves.length / 32 : 'no'} leaves were given`,
    );
  }
  return {
    dataset_id: manifest.datasetId,
    root: t.root,
    objections: t.count,
    leaves: Buffer.from(leaves),
  };
}

/** One row of the inclusion index: a subject's item in a dataset. */
export interface InclusionRow {
  datasetId: string;
  subjectKey: string;
  itemId: string;
  /** `author` of the item, or a person `mention`ed or shown in it. */
  role: 'author' | 'mention';
}
