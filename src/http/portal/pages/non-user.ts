import {
  csrfField,
  errorSummary,
  type FieldError,
  inputField,
  textareaField,
} from '../components.ts';
import { href, type PageContext, translate } from '../context.ts';
import { html } from '../html.ts';
import type { PageParts } from '../layout.ts';
import { REASON_MAX } from './notice.ts';

export const APPEARS_AT_MAX = 20;
export const APPEARS_AT_ITEM_MAX = 500;

function errorFor(errors: FieldError[], field: string): string | undefined {
  return errors.find((e) => e.field === field)?.message;
}

/** Step 1: the address to send a one-time code to. */
export function nonUserEmailPage(
  ctx: PageContext,
  form: { email?: string; errors?: FieldError[] } = {},
): PageParts {
  const t = (key: string) => translate(ctx, key);
  const errors = form.errors ?? [];
  const body = html`<h1>${t('non-user.title')}</h1>
    ${errorSummary(ctx, errors)}
    <p class="lead">${t('non-user.lead')}</p>
    <p>${t('non-user.how')} ${t('non-user.no-id')}</p>
    <form method="post" action="${href(ctx, '/non-user')}" novalidate>
      ${csrfField(ctx)}
      ${inputField(ctx, {
        id: 'email',
        type: 'email',
        label: t('non-user.email.label'),
        hint: t('non-user.email.hint'),
        value: form.email ?? '',
        autocomplete: 'email',
        required: true,
        error: errorFor(errors, 'email'),
      })}
      <button type="submit" class="button button-primary">${t('non-user.send')}</button>
    </form>`;
  return { title: t('non-user.title'), body };
}

/** Step 2: the code, where the person appears (optional), a message (optional), and object. */
export function nonUserVerifyPage(
  ctx: PageContext,
  form: {
    email: string;
    /** The address was already proven in this browser session: no code needed. */
    alreadyVerified: boolean;
    appearsAt?: string;
    reasonText?: string;
    errors?: FieldError[];
  },
): PageParts {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const errors = form.errors ?? [];
  const body = html`<h1>${t('non-user.verify.title')}</h1>
    ${errorSummary(ctx, errors)}
    <p class="lead">${
      form.alreadyVerified
        ? t('non-user.verify.already', { email: form.email })
        : t('non-user.verify.lead', { email: form.email })
    }</p>
    <form method="post" action="${href(ctx, '/non-user/verify')}" novalidate>
      ${csrfField(ctx)}
      ${
        form.alreadyVerified
          ? ''
          : inputField(ctx, {
              id: 'code',
              type: 'text',
              label: t('non-user.code.label'),
              hint: t('non-user.code.hint'),
              autocomplete: 'one-time-code',
              inputmode: 'numeric',
              required: true,
              error: errorFor(errors, 'code'),
            })
      }
      ${textareaField(ctx, {
        id: 'appearsAt',
        label: t('non-user.appears.label'),
        hint: t('non-user.appears.hint'),
        optional: true,
        rows: 3,
        maxlength: APPEARS_AT_MAX * (APPEARS_AT_ITEM_MAX + 1),
        value: form.appearsAt ?? '',
        error: errorFor(errors, 'appearsAt'),
      })}
      ${textareaField(ctx, {
        id: 'reasonText',
        label: t('object.reason.label'),
        hint: t('object.reason.hint'),
        optional: true,
        rows: 3,
        maxlength: REASON_MAX,
        value: form.reasonText ?? '',
        error: errorFor(errors, 'reasonText'),
      })}
      <button type="submit" class="button button-primary">${t('non-user.submit')}</button>
    </form>
    <p><a href="${href(ctx, '/non-user')}">${t('non-user.resend')}</a></p>`;
  return { title: t('non-user.verify.title'), body };
}
