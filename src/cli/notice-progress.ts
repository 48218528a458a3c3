import type { CampaignProgress } from '../domain/notices/notice-campaign.ts';
import { fitToTerminal, progressBar } from '../lib/progress-bar.ts';

/**
 * Campaign progress on the terminal: a live bar redrawn in place on a TTY (at most 10 times a
 * second), plain lines every `intervalMs` otherwise (logs, CI), so a pipe never fills with
 * carriage returns.
 */
export function progressReporter(
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  options: { intervalMs?: number } = {},
): { update(p: CampaignProgress): void; done(): void } {
  const tty = Boolean(out.isTTY);
  const interval = tty ? 100 : (options.intervalMs ?? 5000);
  let last = 0;
  let latest: CampaignProgress | undefined;
  let drawn = false;
  const line = (p: CampaignProgress) => {
    const pct = p.total === 0 ? 100 : Math.floor((p.done / p.total) * 100);
    const rate = p.elapsedMs > 0 ? (p.counts.sent / p.elapsedMs) * 1000 : 0;
    const left = p.total - p.done;
    const eta = rate > 0 ? `${Math.ceil(left / rate)}s` : '?';
    const c = p.counts;
    return `${p.done}/${p.total} (${pct}%) sent ${c.sent} skipped ${c.skipped} failed ${c.failed} uncertain ${c.uncertain} bounced ${c.bounced} · ${rate.toFixed(1)}/s · ETA ${eta}`;
  };
  const draw = (p: CampaignProgress) => {
    if (tty) {
      const bar = progressBar(p.total === 0 ? 1 : p.done / p.total, 24);
      const text = fitToTerminal(`${bar} ${line(p)}`, Math.max(21, out.columns ?? 120));
      out.write(`\r\x1b[2K${text}`);
      drawn = true;
    } else {
      out.write(`campaign ${p.campaignId}: ${line(p)}\n`);
    }
  };
  return {
    update(p) {
      latest = p;
      const now = Date.now();
      if (now - last >= interval) {
        last = now;
        draw(p);
      }
    },
    done() {
      if (latest) draw(latest);
      if (tty && drawn) out.write('\n');
    },
  };
}
