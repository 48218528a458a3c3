import { errorMessage, href, type PageContext, translate } from '../context.ts';
import { html } from '../html.ts';
import type { PageParts } from '../layout.ts';

/** An error shown to a person: always a catalogue message, never an internal detail. */
export function errorPage(ctx: PageContext, messageKey: string, titleKey?: string): PageParts {
  const t = (key: string) => translate(ctx, key);
  const body = html`<h1>${t(titleKey ?? 'error.heading')}</h1>
    <div class="error-summary" role="alert"><p>${errorMessage(ctx, messageKey)}</p></div>
    <p><a href="${href(ctx, '/')}">${t('error.back')}</a></p>`;
  return { title: t(titleKey ?? 'error.title'), body };
}
