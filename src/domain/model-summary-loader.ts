import type { DatasetManifest } from '../gate/manifest.ts';
import type { Clock } from '../lib/clock.ts';
import type { ConsoleStore } from '../store/console-store.ts';
import type { ModelRecord } from '../store/removal-store.ts';
import { modelSummaryMarkdown, type UpdateSchedule, updateSchedule } from './model-summary.ts';
import type { Afterwards } from './removals/afterwards.ts';

/** The summary of one model from the registry: its dataset's manifest and removal history. */
export async function modelSummary(
  veto: {
    consoleStore: ConsoleStore;
    config: { platformName: string; controllerName?: string | undefined };
    clock: Clock;
  },
  afterwards: Afterwards,
  model: ModelRecord,
): Promise<{ markdown: string; schedule: UpdateSchedule }> {
  const sealed = (await veto.consoleStore.sealedDatasets()).filter((d) => d.id === model.datasetId);
  const datasets = await Promise.all(
    sealed.map(async (d) => ({
      manifest: JSON.parse(d.manifest) as DatasetManifest,
      recordedAt: d.recordedAt,
      removals: await afterwards.removalsOf(d.id),
    })),
  );
  const now = veto.clock();
  return {
    markdown: modelSummaryMarkdown({
      model,
      datasets,
      platformName: veto.config.platformName,
      controllerName: veto.config.controllerName,
      now,
    }),
    schedule: updateSchedule(model, now),
  };
}
