import { MEMORISATION_OUTCOMES, type MemorisationReport } from '../../../store/removal-store.ts';
import { href, translate } from '../../portal/context.ts';
import { html } from '../../portal/html.ts';
import { type ConsoleContext, may } from '../context.ts';
import type { ConsolePage } from '../layout.ts';
import { dataTable, downloads } from './tables.ts';

/**
 * The columns the console exports of memorisation reports: never the person's description
 * (free text may hold anything) nor the address they gave.
 */
export const MEMORISATION_EXPORT_COLUMNS = [
  'reference',
  'modelId',
  'language',
  'receivedAt',
  'dueAt',
  'answeredAt',
  'answeredBy',
  'outcome',
] as const;

export function memorisationExportRow(r: MemorisationReport): Record<string, string | null> {
  return {
    reference: r.reference,
    modelId: r.modelId,
    language: r.language,
    receivedAt: r.receivedAt,
    dueAt: r.dueAt,
    answeredAt: r.answer?.answeredAt ?? null,
    answeredBy: r.answer?.answeredBy ?? null,
    outcome: r.answer?.outcome ?? null,
  };
}

const link = (ctx: ConsoleContext, r: MemorisationReport) =>
  html`<a href="${href(ctx, `/console/memorisation/${r.reference}`)}">${r.reference}</a>`;

/**
 * Memorisation reports people filed: those still to answer first, the earliest due on top
 * (one calendar month from receipt, Art. 12(3)), overdue ones marked; then those answered.
 */
export function reportsPage(
  ctx: ConsoleContext,
  list: { reports: MemorisationReport[]; models: Map<string, string>; now: string },
): ConsolePage {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const title = t('console.nav.reports');
  const open = list.reports.filter((r) => !r.answer);
  const answered = list.reports
    .filter((r) => r.answer)
    .sort((a, b) => (b.answer?.answeredAt ?? '').localeCompare(a.answer?.answeredAt ?? ''));
  const model = (r: MemorisationReport) => list.models.get(r.modelId) ?? r.modelId;
  const openTable =
    open.length === 0
      ? html`<p>${t('console.reports.empty')}</p>`
      : dataTable(ctx, {
          caption: t('console.reports.open', { count: open.length }),
          columns: [
            { key: 'reference', label: t('console.col.reference') },
            { key: 'model', label: t('console.col.model') },
            { key: 'language', label: t('console.col.language') },
            { key: 'receivedAt', label: t('console.col.received') },
            { key: 'dueAt', label: t('console.col.due') },
            { key: 'state', label: t('console.col.state') },
          ],
          rows: open.map((r) => ({ ...r, model: model(r), state: r.dueAt < list.now })),
          cell: (r, c) => {
            if (c.key === 'reference') return link(ctx, r as unknown as MemorisationReport);
            if (c.key === 'state')
              return r.state
                ? html`<span class="overdue">${t('console.reviews.overdue')}</span>`
                : t('console.reviews.due');
            return undefined;
          },
        });
  const answeredTable =
    answered.length === 0
      ? ''
      : dataTable(ctx, {
          caption: t('console.reports.answered'),
          columns: [
            { key: 'reference', label: t('console.col.reference') },
            { key: 'model', label: t('console.col.model') },
            { key: 'outcome', label: t('console.col.decision') },
            { key: 'answeredAt', label: t('console.col.answered') },
            { key: 'answeredBy', label: t('console.col.decided-by') },
          ],
          rows: answered.map((r) => ({
            ...r,
            model: model(r),
            outcome: t(`console.report.outcome.${r.answer?.outcome}`),
            answeredAt: r.answer?.answeredAt,
            answeredBy: r.answer?.answeredBy,
          })),
          cell: (r, c) =>
            c.key === 'reference' ? link(ctx, r as unknown as MemorisationReport) : undefined,
        });
  return {
    title,
    nav: 'reports',
    body: html`<h1>${title}</h1>
      ${openTable}
      ${may(ctx, 'export-personal') ? downloads(ctx, title, href(ctx, '/console/exports/memorisation-reports')) : ''}
      ${answeredTable}`,
  };
}

/** One report as staff read it (each read audited), with the answer form while unanswered. */
export function reportPage(
  ctx: ConsoleContext,
  r: MemorisationReport,
  options: { model: string; done?: boolean },
): ConsolePage {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const row = (label: string, value: string | null | undefined) =>
    value === null || value === undefined || value === ''
      ? ''
      : html`<dt>${label}</dt><dd>${value}</dd>`;
  const form =
    !r.answer && may(ctx, 'answer-reports')
      ? html`<h2>${t('console.report.heading')}</h2>
      <form method="post" action="${href(ctx, `/console/memorisation/${r.reference}/answer`)}" class="decision-form">
        <input type="hidden" name="_csrf" value="${ctx.csrf}">
        <fieldset>
          <legend>${t('console.col.decision')}</legend>
          ${MEMORISATION_OUTCOMES.map(
            (o, i) =>
              html`<div><input type="radio" id="outcome-${o}" name="outcome" value="${o}"${i === 0 ? html` checked` : ''}>
            <label for="outcome-${o}">${t(`console.report.outcome.${o}`)}</label></div>`,
          )}
        </fieldset>
        <div class="field">
          <label for="answer">${t('console.report.answer')}</label>
          <textarea id="answer" name="answer" rows="5" required></textarea>
        </div>
        <button type="submit" class="button button-primary">${t('console.report.submit')}</button>
      </form>`
      : '';
  return {
    title: r.reference,
    nav: 'reports',
    body: html`<h1>${r.reference}</h1>
      ${options.done ? html`<div class="panel panel-success" role="status"><p>${t('console.done.answered')}</p></div>` : ''}
      <dl>
        ${row(t('console.col.model'), options.model)}
        ${row(t('console.col.language'), r.language)}
        ${row(t('console.col.received'), r.receivedAt)}
        ${row(t('console.col.due'), r.dueAt)}
        ${row(t('console.col.report'), r.description)}
        ${row(t('console.col.decision'), r.answer ? t(`console.report.outcome.${r.answer.outcome}`) : null)}
        ${row(t('console.col.answer'), r.answer?.text)}
        ${row(t('console.col.answered'), r.answer?.answeredAt)}
        ${row(t('console.col.decided-by'), r.answer?.answeredBy)}
      </dl>
      ${form}`,
  };
}
