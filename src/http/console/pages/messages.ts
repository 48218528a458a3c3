import { href, translate } from '../../portal/context.ts';
import { html } from '../../portal/html.ts';
import type { ConsoleContext } from '../context.ts';
import type { ConsolePage } from '../layout.ts';
import { OVERVIEW_TABLES } from './overview.ts';

/** A page that only says something: signed out, no role, not allowed, failed sign-in. */
export function messagePage(ctx: ConsoleContext, key: string, signIn = false): ConsolePage {
  const t = (k: string) => translate(ctx, k);
  return {
    title: t('console.title'),
    body: html`<h1>${t('console.title')}</h1><p>${t(key)}</p>
      ${signIn ? html`<p><a class="button button-primary" href="${href(ctx, '/console/login')}">${t('console.sign-in')}</a></p>` : ''}`,
  };
}

export function exportsPage(ctx: ConsoleContext, personal: boolean): ConsolePage {
  const t = (k: string) => translate(ctx, k);
  const title = t('console.nav.exports');
  const item = (label: string, base: string) =>
    html`<li>${label}: <a href="${base}.csv" download>CSV</a> · <a href="${base}.json" download>JSON</a></li>`;
  return {
    title,
    nav: 'exports',
    body: html`<h1>${title}</h1>
      <p>${t('console.exports.intro')}</p>
      <ul>
        ${personal ? item(t('console.exports.objections'), href(ctx, '/console/exports/objections')) : ''}
        ${personal ? item(t('console.nav.reviews'), href(ctx, '/console/exports/review-queue')) : ''}
        ${personal ? item(t('console.nav.reports'), href(ctx, '/console/exports/memorisation-reports')) : ''}
        ${OVERVIEW_TABLES.map((n) => item(t(`console.chart.${n}`), href(ctx, `/console/figures/${n}`)))}
      </ul>
      ${personal ? '' : html`<p>${t('console.exports.viewer')}</p>`}`,
  };
}
