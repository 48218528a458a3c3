import type { CheckOutcome } from '../../../gate/manifest.ts';
import { REASONS } from '../../../gate/reasons.ts';
import type { DatasetVerification } from '../../../gate/verification-outcome.ts';
import type {
  CampaignStateCount,
  NoticeExposureCount,
  RecipientDelivery,
  RemovalEffect,
  SealedDatasetRow,
} from '../../../store/console-store.ts';
import { translate } from '../../portal/context.ts';
import { html } from '../../portal/html.ts';
import type { ConsoleContext } from '../context.ts';
import type { ConsolePage } from '../layout.ts';
import { dataTable } from './tables.ts';

interface ManifestView {
  policy?: { id?: string };
  snapshot?: { id?: string; asOf?: string };
  counts?: Record<string, number>;
  checks?: Record<string, CheckOutcome>;
}

function readManifest(text: string): ManifestView {
  try {
    return JSON.parse(text) as ManifestView;
  } catch {
    return {};
  }
}

/**
 * Sealed datasets: their manifest (policy, objector snapshot, records kept and left out per
 * reason), the checks each build performed, the removals recorded against it, waiting for a
 * recipient or done, and each dataset's last verification (also of a dataset the gate refused to
 * seal, or one verified but never recorded).
 */
export function datasetsPage(
  ctx: ConsoleContext,
  data: {
    datasets: SealedDatasetRow[];
    effects: RemovalEffect[];
    verifications: DatasetVerification[];
  },
): ConsolePage {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const title = t('console.nav.datasets');
  const rows = data.datasets.map((d) => {
    const m = readManifest(d.manifest);
    const counts = m.counts ?? {};
    const removals = data.effects.filter((e) => e.datasetId === d.id);
    const due = removals.filter((e) => e.pendingDeliveries > 0).length;
    return {
      id: d.id,
      purpose: d.purpose,
      recordedAt: d.recordedAt,
      policy: m.policy?.id ?? '',
      snapshot: m.snapshot ? `${m.snapshot.id ?? ''} (${m.snapshot.asOf ?? ''})` : '',
      records: d.records,
      rejects: REASONS.filter((r) => r !== 'kept')
        .filter((r) => (counts[r] ?? 0) > 0)
        .map((r) => `${r}: ${counts[r]}`)
        .join(', '),
      due,
      done: removals.length - due,
      checks: m.checks ?? {},
    };
  });
  const list =
    rows.length === 0
      ? html`<p>${t('console.chart.empty')}</p>`
      : dataTable(ctx, {
          caption: t('console.datasets.list'),
          columns: [
            { key: 'id', label: t('console.col.dataset') },
            { key: 'purpose', label: t('console.col.purpose') },
            { key: 'recordedAt', label: t('console.col.recorded') },
            { key: 'policy', label: t('console.col.policy') },
            { key: 'snapshot', label: t('console.col.snapshot') },
            { key: 'records', label: t('console.col.records'), numeric: true },
            { key: 'rejects', label: t('console.col.rejects') },
            { key: 'due', label: t('console.col.removals-due'), numeric: true },
            { key: 'done', label: t('console.col.removals-done'), numeric: true },
          ],
          rows,
        });
  const checks = rows.map((r) =>
    dataTable(ctx, {
      caption: t('console.datasets.checks', { dataset: r.id }),
      columns: [
        { key: 'check', label: t('console.col.check') },
        { key: 'status', label: t('console.col.state') },
        { key: 'counts', label: t('console.col.records') },
      ],
      rows: Object.entries(r.checks).map(([check, o]) => ({
        check,
        status: t(
          o.status === 'performed'
            ? 'console.check.performed'
            : o.status === 'deferred'
              ? 'console.check.deferred'
              : 'console.check.not-required',
        ),
        counts:
          o.status === 'performed'
            ? Object.entries(o.counts)
                .map(([k, v]) => `${k}: ${v}`)
                .join(', ')
            : '',
      })),
    }),
  );
  return {
    title,
    nav: 'datasets',
    body: html`<h1>${title}</h1>${list}${verificationTable(ctx, data)}${checks}`,
  };
}

/** Each dataset's last verification: sealed ones first (in their order), then any other. */
function verificationTable(
  ctx: ConsoleContext,
  data: { datasets: SealedDatasetRow[]; verifications: DatasetVerification[] },
) {
  const t = (key: string) => translate(ctx, key);
  const last = new Map(data.verifications.map((v) => [v.datasetId, v]));
  const ids = [
    ...data.datasets.map((d) => d.id),
    ...data.verifications
      .map((v) => v.datasetId)
      .filter((id) => !data.datasets.some((d) => d.id === id)),
  ];
  const rows = ids.map((id) => {
    const v = last.get(id);
    return {
      id,
      verifiedAt: v?.verifiedAt ?? '',
      result: v
        ? t(v.passed ? 'console.verification.passed' : 'console.verification.failed')
        : t('console.verification.none'),
      by: v
        ? t(v.by === 'gate' ? 'console.verification.by-gate' : 'console.verification.by-cli')
        : '',
      failures: v?.failures ?? [],
    };
  });
  return html`<h2>${t('console.datasets.verifications')}</h2>
    <p>${t('console.datasets.verify-how')}</p>
    ${
      rows.length === 0
        ? ''
        : dataTable(ctx, {
            caption: t('console.datasets.verifications'),
            columns: [
              { key: 'id', label: t('console.col.dataset') },
              { key: 'verifiedAt', label: t('console.col.verified') },
              { key: 'result', label: t('console.col.result') },
              { key: 'by', label: t('console.col.verified-by') },
              { key: 'failures', label: t('console.col.failed-checks') },
            ],
            rows,
            cell: (r, c) =>
              c.key === 'failures'
                ? html`${(r.failures as DatasetVerification['failures']).map(
                    (f) =>
                      html`<p><strong>${f.check}</strong> (${f.problems}): ${f.messages.join('; ')}</p>`,
                  )}`
                : undefined,
          })
    }`;
}

/** Recipients of each dataset version: removal messages acknowledged, waiting, failing. */
export function recipientsPage(ctx: ConsoleContext, rows: RecipientDelivery[]): ConsolePage {
  const t = (key: string) => translate(ctx, key);
  const title = t('console.nav.recipients');
  return {
    title,
    nav: 'recipients',
    body: html`<h1>${title}</h1>${
      rows.length === 0
        ? html`<p>${t('console.chart.empty')}</p>`
        : dataTable(ctx, {
            caption: t('console.recipients.list'),
            columns: [
              { key: 'recipient', label: t('console.col.recipient') },
              { key: 'datasetId', label: t('console.col.dataset') },
              { key: 'acknowledged', label: t('console.col.acknowledged'), numeric: true },
              { key: 'pending', label: t('console.col.pending'), numeric: true },
              { key: 'failing', label: t('console.col.failing'), numeric: true },
              { key: 'lastError', label: t('console.col.last-error') },
            ],
            rows: rows as unknown as Record<string, unknown>[],
          })
    }`,
  };
}

/** Notice versions shown per language, and each campaign's progress (people per state). */
export function noticesPage(
  ctx: ConsoleContext,
  data: { exposures: NoticeExposureCount[]; campaigns: CampaignStateCount[] },
): ConsolePage {
  const t = (key: string) => translate(ctx, key);
  const title = t('console.nav.notices');
  const exposures =
    data.exposures.length === 0
      ? html`<p>${t('console.chart.empty')}</p>`
      : dataTable(ctx, {
          caption: t('console.chart.notice-exposure'),
          columns: [
            { key: 'versionId', label: t('console.col.notice-version') },
            { key: 'language', label: t('console.col.language') },
            { key: 'shown', label: t('console.col.shown'), numeric: true },
            { key: 'acknowledged', label: t('console.col.acknowledged'), numeric: true },
          ],
          rows: data.exposures as unknown as Record<string, unknown>[],
        });
  const campaigns =
    data.campaigns.length === 0
      ? ''
      : dataTable(ctx, {
          caption: t('console.notices.campaigns'),
          columns: [
            { key: 'campaignId', label: t('console.col.campaign') },
            { key: 'versionId', label: t('console.col.notice-version') },
            { key: 'createdAt', label: t('console.col.recorded') },
            { key: 'state', label: t('console.col.state') },
            { key: 'count', label: t('console.col.count'), numeric: true },
          ],
          rows: data.campaigns as unknown as Record<string, unknown>[],
        });
  return { title, nav: 'notices', body: html`<h1>${title}</h1>${exposures}${campaigns}` };
}
