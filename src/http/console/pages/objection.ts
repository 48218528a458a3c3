import type { Objection } from '../../../domain/types.ts';
import { href, translate } from '../../portal/context.ts';
import { html } from '../../portal/html.ts';
import { type ConsoleContext, may } from '../context.ts';
import type { ConsolePage } from '../layout.ts';

export function findPage(
  ctx: ConsoleContext,
  lookup: { reference: string; notFound: boolean },
): ConsolePage {
  const t = (key: string) => translate(ctx, key);
  const title = t('console.nav.find');
  return {
    title,
    nav: 'find',
    body: html`<h1>${title}</h1>
      ${lookup.notFound ? html`<div class="error-summary" role="alert"><p>${t('console.find.not-found')}</p></div>` : ''}
      <form method="get" action="${href(ctx, '/console/objections')}" class="inline-form">
        <div class="field">
          <label for="reference">${t('console.col.reference')}</label>
          <input type="text" id="reference" name="reference" value="${lookup.reference}" autocomplete="off" spellcheck="false">
        </div>
        <button type="submit" class="button button-primary">${t('console.find.submit')}</button>
      </form>`,
  };
}

/** One objection as staff see it (every view is an audit event), with the review forms. */
export function objectionPage(
  ctx: ConsoleContext,
  o: Objection,
  options: { reviewMode: boolean; done?: string | undefined },
): ConsolePage {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const row = (label: string, value: string | null) =>
    value === null || value === '' ? '' : html`<dt>${label}</dt><dd>${value}</dd>`;
  const canDecide = options.reviewMode && may(ctx, 'decide') && o.review === 'pending';
  const action = (what: string) => href(ctx, `/console/objections/${o.reference}/${what}`);
  const forms = canDecide
    ? html`<h2>${t('console.decision.heading')}</h2>
      <form method="post" action="${action('decision')}" class="decision-form">
        <input type="hidden" name="_csrf" value="${ctx.csrf}">
        <fieldset>
          <legend>${t('console.col.decision')}</legend>
          <div><input type="radio" id="outcome-upheld" name="outcome" value="upheld" checked>
            <label for="outcome-upheld">${t('console.decision.upheld')}</label></div>
          <div><input type="radio" id="outcome-overridden" name="outcome" value="overridden">
            <label for="outcome-overridden">${t('console.decision.overridden')}</label></div>
        </fieldset>
        <div class="field">
          <label for="reason">${t('console.decision.reason')}</label>
          <textarea id="reason" name="reason" rows="3" required></textarea>
        </div>
        <button type="submit" class="button button-primary">${t('console.decision.submit')}</button>
      </form>
      ${
        o.extensionReason
          ? ''
          : html`<form method="post" action="${action('extension')}" class="decision-form">
        <input type="hidden" name="_csrf" value="${ctx.csrf}">
        <div class="field">
          <label for="months">${t('console.extend.months')}</label>
          <select id="months" name="months"><option value="1">1</option><option value="2">2</option></select>
        </div>
        <div class="field">
          <label for="extension-reason">${t('console.extend.reason')}</label>
          <textarea id="extension-reason" name="reason" rows="2" required></textarea>
        </div>
        <button type="submit" class="button button-secondary">${t('console.extend.submit')}</button>
      </form>`
      }`
    : '';
  return {
    title: o.reference,
    nav: 'find',
    body: html`<h1>${o.reference}</h1>
      ${options.done ? html`<div class="panel panel-success" role="status"><p>${t(`console.done.${options.done}`)}</p></div>` : ''}
      <dl>
        ${row(t('console.col.purpose'), o.purpose)}
        ${row(t('console.col.channel'), o.channel)}
        ${row(t('console.col.language'), o.language)}
        ${row(t('console.col.status'), o.status)}
        ${row(t('console.col.review'), o.review)}
        ${row(t('console.col.received'), o.receivedAt)}
        ${row(t('console.col.due'), o.review === 'none' ? null : o.dueAt)}
        ${row(t('console.col.extension'), o.extensionReason)}
        ${row(t('console.col.decision'), o.decisionReason)}
        ${row(t('console.col.decided-by'), o.decidedBy)}
        ${row(t('console.col.message'), o.reasonText)}
        ${row(t('console.col.appears-at'), o.appearsAt.join(', '))}
      </dl>
      ${forms}`,
  };
}
