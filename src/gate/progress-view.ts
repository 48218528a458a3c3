import { fitToTerminal, progressBar } from '../lib/progress-bar.ts';
import type { GateProgress } from './build.ts';
import { REASONS, type ReasonCounts } from './reasons.ts';

/**
 * How `veto gate build` shows a run: a live one-line bar on a terminal, a plain line now and then
 * otherwise (logs, CI), and a summary table at the end.
 */
const compact = (n: number): string =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(2)}G`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(2)}M`
      : n >= 1e4
        ? `${(n / 1e3).toFixed(1)}k`
        : String(n);

function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
}

/** The dropped reasons with a count, largest first: `objected 1.2M, private-message 350k`. */
function drops(counts: ReasonCounts, limit = 4): string {
  return REASONS.filter((r) => r !== 'kept' && counts[r] > 0)
    .sort((a, b) => counts[b] - counts[a])
    .slice(0, limit)
    .map((r) => `${r} ${compact(counts[r])}`)
    .join(', ');
}

export function progressLine(p: GateProgress, width?: number): string {
  const seconds = Math.max(p.elapsedMs, 1) / 1000;
  const fraction = p.bytesTotal > 0 ? Math.min(1, p.bytesDone / p.bytesTotal) : 0;
  const rate = p.records / seconds;
  const eta = fraction > 0 ? (p.elapsedMs * (1 - fraction)) / fraction : Number.NaN;
  const head =
    p.phase === 'judging'
      ? `${(fraction * 100).toFixed(0).padStart(3)}% ${compact(Math.round(rate))} rec/s ${(p.bytesDone / 1e6 / seconds).toFixed(0)} MB/s ETA ${duration(eta)}`
      : p.phase;
  const tail = `kept ${compact(p.counts.kept)}${drops(p.counts) ? `, dropped: ${drops(p.counts)}` : ''}`;
  if (width === undefined) return `gate: ${head} | ${compact(p.records)} records | ${tail}`;
  return fitToTerminal(`${progressBar(fraction)} ${head} | ${tail}`, width);
}

export function summaryTable(counts: ReasonCounts, blankLines: number): string {
  const total = REASONS.reduce((n, r) => n + counts[r], 0);
  const rows = REASONS.filter((r) => counts[r] > 0 || r === 'kept').map((r) => [
    r,
    counts[r].toLocaleString('en'),
    total > 0 ? `${((counts[r] / total) * 100).toFixed(2)} %` : '-',
  ]);
  rows.push(['total', total.toLocaleString('en'), total > 0 ? '100.00 %' : '-']);
  const w0 = Math.max(...rows.map((r) => r[0]!.length), 'decision'.length);
  const w1 = Math.max(...rows.map((r) => r[1]!.length), 'records'.length);
  const w2 = Math.max(...rows.map((r) => r[2]!.length), 'share'.length);
  const line = (a: string, b: string, c: string) =>
    `  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c.padStart(w2)}`;
  const out = [
    line('decision', 'records', 'share'),
    line('-'.repeat(w0), '-'.repeat(w1), '-'.repeat(w2)),
  ];
  for (const [i, r] of rows.entries()) {
    if (i === rows.length - 1) out.push(line('-'.repeat(w0), '-'.repeat(w1), '-'.repeat(w2)));
    out.push(line(r[0]!, r[1]!, r[2]!));
  }
  if (blankLines > 0)
    out.push(`  (${blankLines.toLocaleString('en')} blank lines skipped: not records)`);
  return out.join('\n');
}
