import { REASONS } from '../../gate/reasons.ts';
import type {
  ConsoleStore,
  DailyObjections,
  NoticeExposureCount,
  RecipientDelivery,
} from '../../store/console-store.ts';

/**
 * The console overview's figures, each a flat table: the chart is drawn from it and the same
 * rows are printed beside the chart and offered as CSV and JSON.
 */
export interface Overview {
  objectionsPerDay: DailyObjections[];
  timeToEffect: TimeToEffectBucket[];
  noticeExposure: NoticeExposureCount[];
  removalsPerRecipient: RecipientDelivery[];
  datasetsOverTime: DatasetReasonCount[];
}

/**
 * Time from receipt of an objection to its effect on datasets already built: the removal is
 * recorded and every recipient of the dataset version acknowledged it. (In the registry an
 * objection is effective the moment it is recorded; this measures the work after the build.)
 */
export const EFFECT_BUCKETS = ['minute', 'hour', 'day', 'week', 'longer', 'pending'] as const;
export type EffectBucket = (typeof EFFECT_BUCKETS)[number];
const BUCKET_LIMITS_MS: [EffectBucket, number][] = [
  ['minute', 60_000],
  ['hour', 3_600_000],
  ['day', 86_400_000],
  ['week', 7 * 86_400_000],
];

export interface TimeToEffectBucket {
  bucket: EffectBucket;
  removals: number;
}

export interface DatasetReasonCount {
  datasetId: string;
  recordedAt: string;
  reason: string;
  records: number;
}

export function effectBucket(ms: number | null): EffectBucket {
  if (ms === null) return 'pending';
  for (const [bucket, limit] of BUCKET_LIMITS_MS) if (ms < limit) return bucket;
  return 'longer';
}

export async function loadOverview(store: ConsoleStore): Promise<Overview> {
  const [objectionsPerDay, effects, noticeExposure, removalsPerRecipient, datasets] =
    await Promise.all([
      store.objectionsPerDay(),
      store.removalEffects(),
      store.noticeExposures(),
      store.recipientDeliveries(),
      store.sealedDatasets(),
    ]);
  const buckets = new Map<EffectBucket, number>(EFFECT_BUCKETS.map((b) => [b, 0]));
  for (const e of effects) {
    const done = e.pendingDeliveries > 0 ? null : (e.lastAcknowledgedAt ?? e.recordedAt);
    const ms = done === null ? null : Date.parse(done) - Date.parse(e.receivedAt);
    const b = effectBucket(ms);
    buckets.set(b, (buckets.get(b) ?? 0) + 1);
  }
  const datasetsOverTime: DatasetReasonCount[] = [];
  for (const d of datasets) {
    const counts = parseCounts(d.manifest);
    for (const reason of REASONS) {
      const n = counts[reason] ?? 0;
      if (n > 0)
        datasetsOverTime.push({ datasetId: d.id, recordedAt: d.recordedAt, reason, records: n });
    }
  }
  return {
    objectionsPerDay,
    timeToEffect: EFFECT_BUCKETS.map((bucket) => ({ bucket, removals: buckets.get(bucket) ?? 0 })),
    noticeExposure,
    removalsPerRecipient,
    datasetsOverTime,
  };
}

function parseCounts(manifest: string): Record<string, number> {
  try {
    const m = JSON.parse(manifest) as { counts?: Record<string, unknown> };
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(m.counts ?? {})) if (typeof v === 'number') out[k] = v;
    return out;
  } catch {
    return {};
  }
}
