import type { DatasetManifest } from './manifest.ts';

/**
 * What the gate needs from the live registry. The store adapters implement it
 * (`src/store/sqlite/sqlite-dataset-store.ts`, `src/store/postgres/postgres-dataset-store.ts`);
 * tests use an in-memory one (`test/gate/support/memory-registry.ts`).
 */
export interface GateRegistry {
  /**
   * Subject keys with an objection for `purpose` that is effective now and was received after
   * `asOf` (the snapshot's cut-off). Called just before sealing: their records are removed.
   */
  objectorsAddedSince(purpose: string, asOf: string): Promise<string[]>;

  /**
   * Records a sealed dataset and its inclusion index (which subject's items went into it), so a
   * later objection finds every dataset it affects and a person can be told whether their
   * content is in one. Called before the dataset directory is renamed into place: if it fails,
   * nothing is sealed. The gate passes an `InclusionRows` (see inclusion-file.ts) whose
   * `batches()` yields arrays of rows: bulk writers should use it (`inclusionBatches()`).
   */
  recordDataset(
    manifest: DatasetManifest,
    inclusions: Iterable<InclusionRow> | AsyncIterable<InclusionRow>,
  ): Promise<void>;

  /**
   * Notice-period hook (issue 5; the CLI wires it to the notice records). Given at most 10,000
   * subject keys, returns those that were **not** shown notice `noticeVersion` at or before
   * `shownBy` (cut-off minus the policy's minimum days); their records are removed with reason
   * `notice-period`. When absent, the manifest says the check was not performed.
   */
  subjectsWithoutNotice?(query: NoticeQuery): Promise<string[]>;

  /**
   * Names, handles and profile URLs given by people who objected as third parties (non-users),
   * for objections effective at `asOf`: redacted exactly wherever they appear (issue 4).
   */
  objectorTerms?(purpose: string, asOf: string): Promise<string[]>;
}

export interface NoticeQuery {
  purpose: string;
  noticeVersion: string;
  /** ISO instant: the notice must have been shown at or before it. */
  shownBy: string;
  subjectKeys: string[];
}

/** One row of the inclusion index: a subject's item in a dataset. */
export interface InclusionRow {
  datasetId: string;
  subjectKey: string;
  itemId: string;
  /** `author` of the item, or a person `mention`ed or shown in it. */
  role: 'author' | 'mention';
}
