import type { VrfPrivateKey } from '../transparency/rsa-fdh-vrf.ts';
import type { Verifier } from '../transparency/signed-note.ts';
import type { DecisionIds } from './duplicate-ids.ts';
import type { JudgeConfig } from './judge.ts';
import type { HashedWriter } from './line-files.ts';
import type { DatasetManifest } from './manifest.ts';
import type { LoadedPolicy } from './policy.ts';
import type { ReasonCounts } from './reasons.ts';
import type { FieldMapping } from './record-fields.ts';
import type { GateRegistry } from './registry-port.ts';

/**
 * What a gate build is asked to do (`buildDataset`, build.ts), what its callbacks are shown, and
 * the deployment settings every command that seals a dataset reads into its options.
 */

/** Where the objector set of a run comes from: a snapshot file (exact) or a filter file. */
export type ObjectorSource = { snapshot: string } | { filter: string };

export interface BuildOptions {
  /** Policy file (YAML or JSON), or a policy already loaded with `loadPolicy`. */
  policy: string | LoadedPolicy;
  /** Content exports, judged in this order. `.parquet` files are Parquet, others JSONL. */
  inputs: string[];
  /** Parent folder: the dataset is sealed as `<outDir>/<datasetId>/`. */
  outDir: string;
  objectors: ObjectorSource;
  /**
   * The live registry: re-check before sealing, inclusion index, notice hook. Without it the run
   * fails at setup unless `offline` is set; an offline manifest says the re-check was not done.
   */
  registry?: GateRegistry;
  offline?: boolean;
  /**
   * Worker threads; 0 judges on the main thread. Default: available cores, or 0 for a small
   * build (`SMALL_BUILD_BYTES` in build-plan.ts).
   */
  workers?: number;
  mapping?: FieldMapping;
  /**
   * A names file (JSONL: `account_id`, `handles`, `display_names`): texts naming an account by
   * one of them name it as `mentions` would (docs/gate.md "Named objectors").
   */
  names?: string;
  outputFormat?: 'jsonl' | 'parquet';
  datasetId?: string;
  /**
   * The operator's pseudonym key, for a policy whose redaction mode is `pseudonym` (at least 32
   * characters; the CLI reads VETO_PSEUDONYM_KEY or --pseudonym-key-file). Each dataset gets its
   * own key derived from it, so a person's pseudonym is the same throughout one dataset and
   * differs from one dataset to the next. Never written anywhere.
   */
  pseudonymKey?: string;
  /**
   * The deployment's VRF key: with it the manifest commits to who is in the dataset
   * (`exclusion`, docs/transparency.md), without it the dataset has no such commitment.
   */
  exclusionKey?: VrfPrivateKey;
  /**
   * The transparency log's verifier keys (current and previous), for an offline build: the
   * snapshot or filter file's anchor must be signed by one of them, else the build is refused.
   * Without them the anchor is copied unchecked, and the manifest says so.
   */
  logKeys?: readonly Verifier[];
  /**
   * The deployment's terms key (`termsKey(VETO_SECRET)`): with it and a registry, the manifest
   * commits to which terms objections (people without an account) the redaction step applied
   * (`terms`, docs/transparency.md); without it the dataset has no such commitment.
   */
  termsKey?: Uint8Array;
  /**
   * The shortest notice period a policy may ask for (`notice.minimumDays`): by default
   * {@link DEFAULT_NOTICE_FLOOR_DAYS}; a deployment lowers it only by an explicit setting
   * (`VETO_NOTICE_FLOOR_DAYS`, which the CLI logs), named in the manifest as its source.
   */
  noticeFloor?: NoticeFloor;
  /**
   * Build although no legitimate-interest assessment is recorded for the policy version: the
   * setting that allowed it (`VETO_BUILD_WITHOUT_ASSESSMENT`), named in the manifest. Without it
   * such a build is refused before any record is read.
   */
  withoutAssessment?: string;
  /**
   * Where the build journals its sealing (`<data dir>/builds`, see dataset-recovery.ts): with a
   * registry, a crash at any step leaves an entry that `serve` and `veto dataset recover` finish
   * or undo. Without one (offline, or embedders), nothing is recorded in a registry to repair.
   */
  journalDir?: string;
  /**
   * Seal a dataset even when the export holds no valid record (empty, blank lines only, or
   * nothing but malformed lines). Off by default: such a run fails and seals nothing, since an
   * export that yields nothing is far more often a wrong file than an empty platform.
   */
  allowEmpty?: boolean;
  /** Bytes per batch sent to a worker (default 1 MiB); records are judged alone, so no output depends on it. */
  batchBytes?: number;
  onProgress?: (progress: GateProgress) => void;
  progressIntervalMs?: number;
  now?: () => Date;
  /**
   * Called once every record is judged, before the registry's checks: a caller that accepts
   * only some outcomes (`veto dataset import` accepts a dataset only if the gate keeps every
   * record of it unchanged) throws here, and nothing is sealed.
   */
  afterJudging?: (judged: JudgedRun) => Promise<void>;
  /**
   * Judges the records elsewhere (the JetStream runner, `jetstream-runner.ts`): called instead of
   * the local judging with the judge's configuration and the staged files to fill, in input
   * order and byte for byte what the local judging writes. Everything before (setup, objector
   * set) and after (notice period, late objections, recording, sealing) is `buildDataset`'s.
   */
  judgeElsewhere?: (stage: JudgeStage) => Promise<JudgeStageResult>;
  /**
   * Remove a staging folder left by an earlier build of the same dataset id that died (the
   * JetStream runner's `--resume`); only when no other build of that id is running.
   */
  replaceStaging?: boolean;
  /** Recorded in the manifest: where the records came from, when not from the platform's export. */
  origin?: DatasetManifest['origin'];
}

/** What {@link BuildOptions.judgeElsewhere} is given. */
export interface JudgeStage {
  datasetId: string;
  config: JudgeConfig;
  policy: LoadedPolicy;
  objectors: ObjectorSource;
  /** The dataset's staging folder, gone once the build ends (sealed or not). */
  staging: string;
  /** The parent folder of the dataset: shard outputs go under it. */
  outDir: string;
  /** The staged files, headers written: append each shard's rows in order. */
  writers: {
    data: HashedWriter;
    inclusions: HashedWriter;
    decisions: HashedWriter;
    rejects: HashedWriter;
  };
  /** Adds judged bytes and decisions to the build's progress. */
  progress(bytes: number, counts: readonly number[]): void;
  /**
   * Hands the build's notice-period check whole inclusion rows as they are appended, so that the
   * registry is asked while shards are still judged rather than after (the result's `noticeFed`
   * says every row was handed over; else the build reads the index back).
   */
  inclusionRows(buf: Uint8Array, start: number, end: number): void;
  /**
   * The same check's keys, worked out where the rows were judged: subject keys of kept authors,
   * `\n`-joined ('' for none), as a judged batch's summary gives them (batch-summary.ts).
   */
  keptAuthors(joined: string): void;
}

export interface JudgeStageResult {
  kept: number;
  blankLines: number;
  redacted: number;
  inputs: DatasetManifest['inputs'];
  /** The ids of every decision row appended, if the stage hashed them: else the log is read back. */
  decisionIds?: DecisionIds;
  /** Every inclusion row appended went through `inclusionRows`: else the index is read back. */
  noticeFed?: boolean;
}

/** What {@link BuildOptions.afterJudging} is shown: the staged files and the counts so far. */
export interface JudgedRun {
  /** The input paths in the order of `decisions.tsv`'s `input` column. */
  inputs: string[];
  /** The staged `decisions.tsv`: `input\tline\treason\titem_id`, one row per record. */
  decisions: string;
  counts: ReasonCounts;
  redactedRecords: number;
}

export interface GateProgress {
  phase: 'loading-objectors' | 'judging' | 'rechecking' | 'verifying' | 'recording' | 'sealing';
  bytesDone: number;
  bytesTotal: number;
  records: number;
  counts: ReasonCounts;
  elapsedMs: number;
}

/**
 * Four weeks: the period between a notice and the processing it announces that data-protection
 * authorities reviewed as reasonable for AI training on existing content (the 2024 notice gave
 * about five weeks; docs/policy.md). A policy asking for less is refused unless a deployment
 * lowered the floor explicitly.
 */
export const DEFAULT_NOTICE_FLOOR_DAYS = 28;

export interface NoticeFloor {
  days: number;
  /** `default`, or the setting that lowered or raised it (e.g. `VETO_NOTICE_FLOOR_DAYS`). */
  source: string;
}

/**
 * The floor a deployment set with `VETO_NOTICE_FLOOR_DAYS` (undefined: the default), or why the
 * setting is not a floor. Every command that seals a dataset reads it the same way.
 */
export function noticeFloorSetting(env: Record<string, string | undefined>): {
  floor?: NoticeFloor;
  problem?: string;
} {
  const setting = env.VETO_NOTICE_FLOOR_DAYS;
  if (setting === undefined || setting === '') return {};
  const days = Number(setting);
  if (!/^\d{1,3}$/.test(setting) || days > 365)
    return {
      problem: `VETO_NOTICE_FLOOR_DAYS must be a whole number of days from 0 to 365, not "${setting}"`,
    };
  return { floor: { days, source: 'VETO_NOTICE_FLOOR_DAYS' } };
}

/** The setting that lets a build go on without a recorded legitimate-interest assessment. */
export const WITHOUT_ASSESSMENT_SETTING = 'VETO_BUILD_WITHOUT_ASSESSMENT';

/**
 * Whether the deployment set `VETO_BUILD_WITHOUT_ASSESSMENT=1` (then the setting's name, for the
 * manifest), or why the value is not accepted. Every command that seals a dataset reads it so.
 */
export function withoutAssessmentSetting(env: Record<string, string | undefined>): {
  withoutAssessment?: string;
  problem?: string;
} {
  const setting = env[WITHOUT_ASSESSMENT_SETTING];
  if (setting === undefined || setting === '') return {};
  if (setting !== '1')
    return { problem: `${WITHOUT_ASSESSMENT_SETTING} must be 1 (or unset), not "${setting}"` };
  return { withoutAssessment: WITHOUT_ASSESSMENT_SETTING };
}
