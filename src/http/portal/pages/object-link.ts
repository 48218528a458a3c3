import { csrfField } from '../components.ts';
import { href, type PageContext, translate } from '../context.ts';
import { html } from '../html.ts';
import type { PageParts } from '../layout.ts';

/**
 * The page a notice email's one-click objection link opens: one button, nothing to fill in, no
 * sign-in. It says what the link can do when someone else holds it (only this objection), and
 * nothing about the account: not whether it objected before, not its name.
 */
export function objectLinkPage(ctx: PageContext, token: string): PageParts {
  const t = (key: string) => translate(ctx, key);
  const body = html`<h1>${t('object-link.title')}</h1>
    <p>${t('object-link.text')}</p>
    <form method="post" action="${href(ctx, `/object-link/${token}`)}" class="object-form">
      ${csrfField(ctx)}
      <button type="submit" class="button button-primary">${t('object.button')}</button>
    </form>
    <p class="hint">${t('object-link.forwarded')}</p>`;
  return { title: t('object-link.title'), body };
}

/**
 * After the click. The same page whether the account had objected before or not (a forwarded
 * link must not tell its holder anything about the account), with no reference or status link.
 */
export function objectLinkDonePage(ctx: PageContext): PageParts {
  const t = (key: string) => translate(ctx, key);
  const body = html`<h1>${t('object-link.done.title')}</h1>
    <div class="panel panel-success" role="status"><p>${t('object-link.done.text')}</p><p>${t('object-link.done.receipt')}</p></div>`;
  return { title: t('object-link.done.title'), body };
}
