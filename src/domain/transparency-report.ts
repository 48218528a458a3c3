import { REASONS } from '../gate/reasons.ts';
import type { MonthlyActivity, RemovalEffect, SealedDatasetRow } from '../store/console-store.ts';
import type { MemorisationReport } from '../store/removal-store.ts';

/**
 * The public transparency report (`/transparency`, docs/console.md): what the registry did, per
 * UTC month and language, with small counts suppressed so that no one can be singled out.
 *
 * A count from 1 to SUPPRESSION_THRESHOLD - 1 is published as `null` ("fewer than 5"); zero is
 * published (it singles no one out). A median or 99th percentile is published only when it is
 * computed from at least SUPPRESSION_THRESHOLD removals. Dataset rows are per month and reason
 * (not language: a dataset's manifest counts records per reason only), suppressed alike.
 */
export const SUPPRESSION_THRESHOLD = 5;

export interface TransparencyMonth {
  month: string;
  language: string;
  noticesShown: number | null;
  objectionsReceived: number | null;
  objectionsWithdrawn: number | null;
  /** Removals recorded this month for objections in this language. */
  removals: number | null;
  /** Removals whose every recipient acknowledged them this month. */
  recipientsTold: number | null;
  /** Hours from an objection's receipt to its removal acknowledged by every recipient. */
  medianHoursToEffect: number | null;
  p99HoursToEffect: number | null;
  memorisationReports: number | null;
  memorisationMitigated: number | null;
  memorisationNotReproduced: number | null;
  memorisationNoPersonalData: number | null;
}

export interface TransparencyDatasets {
  month: string;
  reason: string;
  datasets: number | null;
  records: number | null;
}

export interface TransparencyReport {
  suppressionThreshold: number;
  months: TransparencyMonth[];
  datasets: TransparencyDatasets[];
}

export const TRANSPARENCY_MONTH_COLUMNS = [
  'month',
  'language',
  'noticesShown',
  'objectionsReceived',
  'objectionsWithdrawn',
  'removals',
  'recipientsTold',
  'medianHoursToEffect',
  'p99HoursToEffect',
  'memorisationReports',
  'memorisationMitigated',
  'memorisationNotReproduced',
  'memorisationNoPersonalData',
] as const;

export function suppress(n: number, threshold = SUPPRESSION_THRESHOLD): number | null {
  return n > 0 && n < threshold ? null : n;
}

/** Median: the middle value, or the mean of the two middle values. */
export function median(sorted: readonly number[]): number {
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile: the smallest value with at least p% of the values at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const hours = (ms: number) => Math.round((ms / 3_600_000) * 100) / 100;

export function computeTransparencyReport(input: {
  activity: readonly MonthlyActivity[];
  effects: readonly RemovalEffect[];
  reports: readonly MemorisationReport[];
  datasets: readonly SealedDatasetRow[];
  threshold?: number;
}): TransparencyReport {
  const k = input.threshold ?? SUPPRESSION_THRESHOLD;
  interface Raw {
    shown: number;
    received: number;
    withdrawn: number;
    removals: number;
    told: number;
    times: number[];
    reports: number;
    mitigated: number;
    notReproduced: number;
    noPersonalData: number;
  }
  const cells = new Map<string, Raw>();
  const cell = (month: string, language: string): Raw => {
    const key = `${month}\u0000${language}`;
    let c = cells.get(key);
    if (!c) {
      c = {
        shown: 0,
        received: 0,
        withdrawn: 0,
        removals: 0,
        told: 0,
        times: [],
        reports: 0,
        mitigated: 0,
        notReproduced: 0,
        noPersonalData: 0,
      };
      cells.set(key, c);
    }
    return c;
  };
  for (const a of input.activity) cell(a.month, a.language)[a.kind] += a.count;
  for (const e of input.effects) {
    cell(e.recordedAt.slice(0, 7), e.language).removals += 1;
    if (e.pendingDeliveries > 0) continue;
    const done = e.lastAcknowledgedAt ?? e.recordedAt;
    const c = cell(done.slice(0, 7), e.language);
    c.told += 1;
    // Time to effect is counted in the month the objection was received.
    cell(e.receivedAt.slice(0, 7), e.language).times.push(
      Date.parse(done) - Date.parse(e.receivedAt),
    );
  }
  for (const r of input.reports) {
    const c = cell(r.receivedAt.slice(0, 7), r.language);
    c.reports += 1;
    if (r.answer?.outcome === 'mitigated') c.mitigated += 1;
    if (r.answer?.outcome === 'not-reproduced') c.notReproduced += 1;
    if (r.answer?.outcome === 'no-personal-data') c.noPersonalData += 1;
  }
  const months: TransparencyMonth[] = [...cells]
    .map(([key, c]) => {
      const [month, language] = key.split('\u0000') as [string, string];
      const times = [...c.times].sort((a, b) => a - b);
      const enough = times.length >= k;
      return {
        month,
        language,
        noticesShown: suppress(c.shown, k),
        objectionsReceived: suppress(c.received, k),
        objectionsWithdrawn: suppress(c.withdrawn, k),
        removals: suppress(c.removals, k),
        recipientsTold: suppress(c.told, k),
        medianHoursToEffect: enough ? hours(median(times)) : null,
        p99HoursToEffect: enough ? hours(percentile(times, 99)) : null,
        memorisationReports: suppress(c.reports, k),
        memorisationMitigated: suppress(c.mitigated, k),
        memorisationNotReproduced: suppress(c.notReproduced, k),
        memorisationNoPersonalData: suppress(c.noPersonalData, k),
      };
    })
    .sort((a, b) => a.month.localeCompare(b.month) || a.language.localeCompare(b.language));

  const perReason = new Map<string, { datasets: number; records: number }>();
  for (const d of input.datasets) {
    const counts = manifestCounts(d.manifest);
    for (const reason of REASONS) {
      const n = counts[reason] ?? 0;
      if (n === 0) continue;
      const key = `${d.recordedAt.slice(0, 7)}\u0000${reason}`;
      const v = perReason.get(key) ?? { datasets: 0, records: 0 };
      v.datasets += 1;
      v.records += n;
      perReason.set(key, v);
    }
  }
  const datasets = [...perReason]
    .map(([key, v]) => {
      const [month, reason] = key.split('\u0000') as [string, string];
      return { month, reason, datasets: v.datasets, records: suppress(v.records, k) };
    })
    .sort((a, b) => a.month.localeCompare(b.month) || a.reason.localeCompare(b.reason));
  return { suppressionThreshold: k, months, datasets };
}

function manifestCounts(manifest: string): Record<string, number> {
  try {
    const m = JSON.parse(manifest) as { counts?: Record<string, unknown> };
    const out: Record<string, number> = {};
    for (const [key, v] of Object.entries(m.counts ?? {})) if (typeof v === 'number') out[key] = v;
    return out;
  } catch {
    return {};
  }
}

/** The report from the registry's current figures. */
export async function loadTransparencyReport(
  store: {
    monthlyActivity(): Promise<MonthlyActivity[]>;
    removalEffects(): Promise<RemovalEffect[]>;
    sealedDatasets(): Promise<SealedDatasetRow[]>;
  },
  reports: () => Promise<MemorisationReport[]>,
): Promise<TransparencyReport> {
  const [activity, effects, datasets, all] = await Promise.all([
    store.monthlyActivity(),
    store.removalEffects(),
    store.sealedDatasets(),
    reports(),
  ]);
  return computeTransparencyReport({ activity, effects, datasets, reports: all });
}
