import { EFFECT_BUCKETS, type Overview } from '../../../domain/console/overview.ts';
import { href, translate } from '../../portal/context.ts';
import { html, type SafeHtml } from '../../portal/html.ts';
import { type BarChart, renderBarChart } from '../charts.ts';
import type { ConsoleContext } from '../context.ts';
import type { ConsolePage } from '../layout.ts';
import { type Column, dataTable, downloads } from './tables.ts';

/** The overview's figures by name: the same names serve their CSV and JSON downloads. */
export const OVERVIEW_TABLES = [
  'objections-per-day',
  'time-to-effect',
  'notice-exposure',
  'removals-per-recipient',
  'datasets-over-time',
] as const;
export type OverviewTable = (typeof OVERVIEW_TABLES)[number];

export interface OverviewTableData {
  columns: Column[];
  rows: Record<string, string | number | null>[];
}

/** Rows and translated column headings of one overview figure. */
export function overviewTable(
  ctx: ConsoleContext,
  overview: Overview,
  name: OverviewTable,
): OverviewTableData {
  const t = (key: string) => translate(ctx, key);
  switch (name) {
    case 'objections-per-day':
      return {
        columns: [
          { key: 'day', label: t('console.col.day') },
          { key: 'channel', label: t('console.col.channel') },
          { key: 'language', label: t('console.col.language') },
          { key: 'count', label: t('console.col.objections'), numeric: true },
        ],
        rows: overview.objectionsPerDay.map((r) => ({ ...r })),
      };
    case 'time-to-effect':
      return {
        columns: [
          { key: 'label', label: t('console.col.time-to-effect') },
          { key: 'removals', label: t('console.col.removals'), numeric: true },
        ],
        rows: overview.timeToEffect.map((r) => ({
          bucket: r.bucket,
          label: t(`console.effect.${r.bucket}`),
          removals: r.removals,
        })),
      };
    case 'notice-exposure':
      return {
        columns: [
          { key: 'versionId', label: t('console.col.notice-version') },
          { key: 'language', label: t('console.col.language') },
          { key: 'shown', label: t('console.col.shown'), numeric: true },
          { key: 'acknowledged', label: t('console.col.acknowledged'), numeric: true },
        ],
        rows: overview.noticeExposure.map((r) => ({ ...r })),
      };
    case 'removals-per-recipient':
      return {
        columns: [
          { key: 'recipient', label: t('console.col.recipient') },
          { key: 'datasetId', label: t('console.col.dataset') },
          { key: 'acknowledged', label: t('console.col.acknowledged'), numeric: true },
          { key: 'pending', label: t('console.col.pending'), numeric: true },
          { key: 'failing', label: t('console.col.failing'), numeric: true },
        ],
        rows: overview.removalsPerRecipient.map((r) => ({
          recipient: r.recipient,
          datasetId: r.datasetId,
          acknowledged: r.acknowledged,
          pending: r.pending,
          failing: r.failing,
        })),
      };
    case 'datasets-over-time':
      return {
        columns: [
          { key: 'recordedAt', label: t('console.col.recorded') },
          { key: 'datasetId', label: t('console.col.dataset') },
          { key: 'reason', label: t('console.col.reason') },
          { key: 'records', label: t('console.col.records'), numeric: true },
        ],
        rows: overview.datasetsOverTime.map((r) => ({ ...r })),
      };
  }
}

function chartOf(ctx: ConsoleContext, name: OverviewTable, data: OverviewTableData): BarChart {
  const label = (key: string) => data.columns.find((c) => c.key === key)?.label ?? key;
  const rows = data.rows as Record<string, string | number>[];
  switch (name) {
    case 'objections-per-day':
      return {
        rows,
        x: { field: 'day', title: label('day') },
        y: { field: 'count', title: label('count') },
        color: { field: 'channel', title: label('channel') },
      };
    case 'time-to-effect':
      return {
        rows,
        x: {
          field: 'label',
          title: label('label'),
          sort: EFFECT_BUCKETS.map((b) => translate(ctx, `console.effect.${b}`)),
        },
        y: { field: 'removals', title: label('removals') },
      };
    case 'notice-exposure':
      return {
        rows,
        x: { field: 'versionId', title: label('versionId') },
        y: { field: 'shown', title: label('shown') },
        color: { field: 'language', title: label('language') },
      };
    case 'removals-per-recipient': {
      const state = translate(ctx, 'console.col.state');
      const ack = label('acknowledged');
      const pending = label('pending');
      return {
        rows: rows.flatMap((r) => [
          { recipient: r.recipient!, [state]: ack, n: r.acknowledged! },
          { recipient: r.recipient!, [state]: pending, n: r.pending! },
        ]),
        x: { field: 'recipient', title: label('recipient') },
        y: { field: 'n', title: translate(ctx, 'console.col.removals') },
        color: { field: state, title: state, sort: [ack, pending] },
      };
    }
    case 'datasets-over-time':
      return {
        rows,
        x: { field: 'datasetId', title: label('datasetId') },
        y: { field: 'records', title: label('records') },
        color: { field: 'reason', title: label('reason') },
      };
  }
}

export async function overviewPage(ctx: ConsoleContext, overview: Overview): Promise<ConsolePage> {
  const t = (key: string) => translate(ctx, key);
  const figures: SafeHtml[] = [];
  for (const name of OVERVIEW_TABLES) {
    const data = overviewTable(ctx, overview, name);
    const captionId = `chart-${name}`;
    const title = t(`console.chart.${name}`);
    const empty = data.rows.every((r) =>
      data.columns.every((c) => !c.numeric || !Number(r[c.key])),
    );
    figures.push(html`<figure class="chart" aria-labelledby="${captionId}">
      <figcaption id="${captionId}">${title}</figcaption>
      ${empty ? html`<p>${t('console.chart.empty')}</p>` : await renderBarChart(chartOf(ctx, name, data), captionId)}
      ${empty ? '' : dataTable(ctx, { caption: t('console.chart.table'), columns: data.columns, rows: data.rows })}
      ${downloads(ctx, title, href(ctx, `/console/figures/${name}`))}
    </figure>`);
  }
  return {
    title: t('console.nav.overview'),
    nav: 'overview',
    body: html`<h1>${t('console.nav.overview')}</h1>${figures}`,
  };
}
