import type { TransparencyReport } from '../../../domain/transparency-report.ts';
import type { PageContext } from '../context.ts';
import { translate } from '../context.ts';
import { html, type SafeHtml } from '../html.ts';
import type { PageParts } from '../layout.ts';

/**
 * The public transparency report as a page: two tables (per month and language; datasets per
 * month and reason), suppressed counts written out as "fewer than N", and the same figures as
 * CSV and JSON. Figures only: nothing on it names or describes a person.
 */
export function transparencyPage(ctx: PageContext, report: TransparencyReport): PageParts {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const threshold = report.suppressionThreshold;
  const num = new Intl.NumberFormat(ctx.lang, { maximumFractionDigits: 2 });
  const fewer = t('transparency.fewer', { threshold });
  const count = (v: number | null) => (v === null ? fewer : num.format(v));
  const time = (v: number | null) => (v === null ? '—' : num.format(v));
  const th = (label: string) => html`<th scope="col">${label}</th>`;
  const td = (value: string) => html`<td class="number">${value}</td>`;
  const table = (caption: string, head: SafeHtml[], rows: SafeHtml[]) =>
    // Focusable and named: a table wider than the screen scrolls, and keyboards must reach it.
    html`<div class="table-wrap" tabindex="0" role="region" aria-label="${caption}"><table class="data">
      <caption>${caption}</caption>
      <thead><tr>${head}</tr></thead>
      <tbody>${rows}</tbody>
    </table></div>`;
  const months =
    report.months.length === 0
      ? html`<p>${t('transparency.empty')}</p>`
      : table(
          t('transparency.months'),
          [
            th(t('transparency.col.month')),
            th(t('console.col.language')),
            th(t('transparency.col.shown')),
            th(t('transparency.col.received')),
            th(t('transparency.col.withdrawn')),
            th(t('console.col.removals')),
            th(t('transparency.col.told')),
            th(t('transparency.col.median')),
            th(t('transparency.col.p99')),
            th(t('transparency.col.reports')),
            th(t('console.report.outcome.mitigated')),
            th(t('console.report.outcome.not-reproduced')),
            th(t('console.report.outcome.no-personal-data')),
          ],
          report.months.map(
            (m) => html`<tr><th scope="row">${m.month}</th><td>${m.language}</td>
              ${td(count(m.noticesShown))}${td(count(m.objectionsReceived))}${td(count(m.objectionsWithdrawn))}
              ${td(count(m.removals))}${td(count(m.recipientsTold))}
              ${td(time(m.medianHoursToEffect))}${td(time(m.p99HoursToEffect))}
              ${td(count(m.memorisationReports))}${td(count(m.memorisationMitigated))}
              ${td(count(m.memorisationNotReproduced))}${td(count(m.memorisationNoPersonalData))}</tr>`,
          ),
        );
  const datasets =
    report.datasets.length === 0
      ? ''
      : table(
          t('transparency.datasets'),
          [
            th(t('transparency.col.month')),
            th(t('console.col.reason')),
            th(t('transparency.col.datasets')),
            th(t('console.col.records')),
          ],
          report.datasets.map(
            (d) => html`<tr><th scope="row">${d.month}</th><td>${d.reason}</td>
              ${td(count(d.datasets))}${td(count(d.records))}</tr>`,
          ),
        );
  return {
    title: t('transparency.title'),
    body: html`<h1>${t('transparency.title')}</h1>
      <p class="lead">${t('transparency.lead')}</p>
      <p>${t('transparency.suppressed', { threshold })}</p>
      ${months}
      ${datasets}
      <p>${t('transparency.download')} <a href="/transparency.csv" download>CSV</a> · <a href="/transparency.json">JSON</a></p>`,
  };
}
