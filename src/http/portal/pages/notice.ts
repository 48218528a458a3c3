import type { Objection } from '../../../domain/types.ts';
import { csrfField, textareaField } from '../components.ts';
import { href, type PageContext, translate } from '../context.ts';
import { html, type SafeHtml } from '../html.ts';
import type { PageParts } from '../layout.ts';

export const REASON_MAX = 2000;

export interface NoticeData {
  /** The signed-in account can object right here. */
  canObject: boolean;
  /** The person's own effective objection for the default purpose, if any. */
  existing: Objection | undefined;
}

/**
 * What the person can do in the right-to-object block: object, see their objection, or sign in.
 * `nonUserRoute: false` when the surrounding text (a published notice) already links it.
 */
export function objectAction(
  ctx: PageContext,
  data: NoticeData,
  options: { nonUserRoute?: boolean } = {},
): SafeHtml {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  let action: SafeHtml;
  if (data.existing) {
    action = html`<p class="done">${t('object.already', { date: new Date(data.existing.receivedAt) })}</p>
      <p><a href="${href(ctx, `/status/${data.existing.reference}`)}">${t('object.see-status')}</a></p>`;
  } else if (data.canObject) {
    // One step: one button, nothing required. The message is tucked away in a <details> so
    // that nobody reads it as something they must fill in.
    action = html`<form method="post" action="${href(ctx, '/object')}" class="object-form">
        ${csrfField(ctx)}
        <details class="optional-message">
          <summary>${t('object.reason.summary')}</summary>
          ${textareaField(ctx, {
            id: 'reasonText',
            label: t('object.reason.label'),
            hint: t('object.reason.hint'),
            optional: true,
            maxlength: REASON_MAX,
          })}
        </details>
        <button type="submit" class="button button-primary">${t('object.button')}</button>
      </form>`;
  } else {
    action = html`<p>${t('object.signed-out')}</p>
      ${ctx.demo ? html`<p><a href="/demo">${t('object.demo-link')}</a></p>` : ''}`;
  }
  return html`${action}${
    data.canObject || options.nonUserRoute === false
      ? ''
      : html`<p class="non-user-route">${t('object.non-user.text')}
        <a href="${href(ctx, '/non-user')}">${t('object.non-user.link')}</a></p>`
  }`;
}

/** The "your right to object" block: separate and prominent, as GDPR Art. 21(4) requires. */
function objectBlock(ctx: PageContext, data: NoticeData): SafeHtml {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  return html`<section class="object-block" aria-labelledby="object-heading">
      <h2 id="object-heading">${t('object.heading')}</h2>
      <p>${t('object.text')}</p>
      ${objectAction(ctx, data)}
    </section>`;
}

export function noticePage(ctx: PageContext, data: NoticeData): PageParts {
  const t = (key: string) => translate(ctx, key);
  const body = html`<h1>${t('notice.title')}</h1>
    <p class="lead">${t('notice.lead')}</p>
    ${objectBlock(ctx, data)}
    <section aria-labelledby="what-heading">
      <h2 id="what-heading">${t('notice.what.heading')}</h2>
      <ul>
        <li>${t('notice.what.posts')}</li>
        <li>${t('notice.what.media')}</li>
        <li>${t('notice.what.business')}</li>
      </ul>
      <h3>${t('notice.not.heading')}</h3>
      <ul>
        <li>${t('notice.not.private')}</li>
        <li>${t('notice.not.minors')}</li>
        <li>${t('notice.not.objected')}</li>
      </ul>
    </section>
    <section aria-labelledby="basis-heading">
      <h2 id="basis-heading">${t('notice.basis.heading')}</h2>
      <p>${t('notice.basis.text')}</p>
      <h3>${t('notice.safeguards.heading')}</h3>
      <p>${t('notice.safeguards.text')}</p>
    </section>
    <section aria-labelledby="others-heading">
      <h2 id="others-heading">${t('notice.others.heading')}</h2>
      <p>${t('notice.others.text')}</p>
      <p><a href="${href(ctx, '/non-user')}">${t('object.non-user.link')}</a></p>
    </section>
    <section aria-labelledby="rights-heading">
      <h2 id="rights-heading">${t('notice.rights.heading')}</h2>
      <p>${t('notice.rights.text')}</p>
    </section>`;
  return { title: t('notice.title'), body };
}
