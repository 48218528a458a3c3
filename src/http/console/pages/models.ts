import type { UpdateSchedule } from '../../../domain/model-summary.ts';
import type { ModelRecord } from '../../../store/removal-store.ts';
import { href, translate } from '../../portal/context.ts';
import { html } from '../../portal/html.ts';
import type { ConsoleContext } from '../context.ts';
import type { ConsolePage } from '../layout.ts';
import { dataTable } from './tables.ts';

const reminder = (ctx: ConsoleContext, s: UpdateSchedule) =>
  s.remind
    ? html`<div class="panel panel-signal" role="status"><p>${translate(ctx, 'console.models.reminder', { date: new Date(s.dueBy) })}</p></div>`
    : '';

/** Models recorded against the datasets, each with its summary and the six-monthly update date. */
export function modelsPage(
  ctx: ConsoleContext,
  models: { model: ModelRecord; schedule: UpdateSchedule }[],
): ConsolePage {
  const t = (key: string) => translate(ctx, key);
  const title = t('console.nav.models');
  return {
    title,
    nav: 'models',
    body: html`<h1>${title}</h1>
      ${models.filter((m) => m.schedule.remind).map((m) => html`<p><strong>${m.model.name}</strong></p>${reminder(ctx, m.schedule)}`)}
      ${
        models.length === 0
          ? html`<p>${t('console.chart.empty')}</p>`
          : dataTable(ctx, {
              caption: t('console.models.list'),
              columns: [
                { key: 'name', label: t('console.col.model') },
                { key: 'datasetId', label: t('console.col.dataset') },
                { key: 'recordedAt', label: t('console.col.recorded') },
                { key: 'dueBy', label: t('console.col.update-due') },
              ],
              rows: models.map((m) => ({ ...m.model, dueBy: m.schedule.dueBy.slice(0, 10) })),
              cell: (r, c) =>
                c.key === 'name'
                  ? html`<a href="${href(ctx, `/console/models/${String(r.id)}/summary`)}">${String(r.name)}</a>`
                  : undefined,
            })
      }`,
  };
}

/**
 * The summary itself, in English as the Commission's template is (marked lang="en"), with the
 * reminder when the update is near.
 */
export function modelSummaryPage(
  ctx: ConsoleContext,
  model: ModelRecord,
  summary: { markdown: string; schedule: UpdateSchedule },
): ConsolePage {
  const t = (key: string) => translate(ctx, key);
  return {
    title: `${t('console.models.summary')}: ${model.name}`,
    nav: 'models',
    body: html`<h1>${t('console.models.summary')}: ${model.name}</h1>
      ${reminder(ctx, summary.schedule)}
      <p>${t('console.models.intro')}</p>
      <p>${t('console.col.update-due')}: ${summary.schedule.dueBy.slice(0, 10)}</p>
      <pre lang="en" class="summary" tabindex="0">${summary.markdown}</pre>`,
  };
}

/** The reminders shown on the overview: each model whose summary update is near, linked. */
export function summaryReminders(
  ctx: ConsoleContext,
  due: { model: ModelRecord; schedule: UpdateSchedule }[],
) {
  return due.map(
    (m) =>
      html`<div class="panel panel-signal" role="status"><p><a href="${href(ctx, `/console/models/${m.model.id}/summary`)}">${m.model.name}</a>: ${translate(ctx, 'console.models.reminder', { date: new Date(m.schedule.dueBy) })}</p></div>`,
  );
}
