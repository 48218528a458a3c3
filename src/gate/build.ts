import { rm } from 'node:fs/promises';
import { judgeInputs } from './build-judging.ts';
import type { BuildOptions } from './build-options.ts';
import { planBuild } from './build-plan.ts';
import { BuildRun } from './build-run.ts';
import { sealDataset } from './build-sealing.ts';
import { closeBuildJournal } from './dataset-recovery.ts';
import type { VerifyReport } from './dataset-verify.ts';
import type { DatasetManifest } from './manifest.ts';
import type { ReasonCounts } from './reasons.ts';

export {
  type BuildOptions,
  DEFAULT_NOTICE_FLOOR_DAYS,
  type GateProgress,
  type JudgedRun,
  type JudgeStage,
  type JudgeStageResult,
  type NoticeFloor,
  noticeFloorSetting,
  type ObjectorSource,
  WITHOUT_ASSESSMENT_SETTING,
  withoutAssessmentSetting,
} from './build-options.ts';
export { datasetPseudonymKey, GateSetupError } from './build-plan.ts';
export { DatasetVerifyFailed } from './build-sealing.ts';

export type GateRunResult =
  | {
      status: 'sealed';
      datasetId: string;
      dir: string;
      manifest: DatasetManifest;
      /** `veto dataset verify` of the staged dataset, which it passed before it was sealed. */
      verification: VerifyReport;
    }
  | {
      status: 'failed';
      datasetId: string;
      error: Error;
      /** Counts reached before the failure, for the report. */
      counts: ReasonCounts;
    };

/**
 * Builds a training dataset: judges every record of `inputs` under the policy, writes the kept
 * ones (redacted), re-checks the live registry, records the inclusion index and seals the
 * dataset directory by renaming it into place. Three steps: the plan (build-plan.ts, everything
 * settled before any record is read), the judging (build-judging.ts) and the sealing
 * (build-sealing.ts); a failure after the plan goes through the one failure path below.
 *
 * Throws only for setup errors ({@link GateSetupError}, `PolicyError`, `RegistryFileError`).
 * Bad records never throw: they are counted and listed in `rejects.jsonl`. A failure during the
 * run returns `{ status: 'failed' }` and leaves no dataset directory behind.
 */
export async function buildDataset(options: BuildOptions): Promise<GateRunResult> {
  const run = new BuildRun(options.onProgress);
  const plan = await planBuild(options, run);
  const { datasetId } = plan;
  try {
    const timer = setInterval(() => run.report(), options.progressIntervalMs ?? 500);
    try {
      const judged = await judgeInputs(plan, run);
      const sealed = await sealDataset(plan, run, judged);
      return { status: 'sealed', datasetId, ...sealed };
    } catch (err) {
      for (const w of run.writers) await w.abort();
      await (run.pool ?? (await plan.booting?.catch(() => undefined)))?.close();
      await rm(plan.staging, { recursive: true, force: true });
      // Renamed but not recorded (the registry refused or failed): a directory the registry does
      // not know would be a dataset no removal reaches, so it goes too.
      if (run.renamed) await rm(plan.finalDir, { recursive: true, force: true });
      await closeBuildJournal(plan.journal);
      return { status: 'failed', datasetId, error: err as Error, counts: run.counts };
    } finally {
      clearInterval(timer);
    }
  } catch (err) {
    // Releasing a failed run failed: the pool (if it started) must not outlive the call.
    await plan.booting?.then(
      (p) => p.close(),
      () => {},
    );
    throw err;
  }
}
