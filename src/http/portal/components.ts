import { type PageContext, translate } from './context.ts';
import { html, type SafeHtml } from './html.ts';

/** A problem with one form field, already translated. */
export interface FieldError {
  field: string;
  message: string;
}

export function csrfField(ctx: PageContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;
}

/**
 * The GOV.UK "error summary" pattern: announced at once (role="alert"), each problem linking
 * to its field, so screen-reader and keyboard users find what to fix.
 */
export function errorSummary(ctx: PageContext, errors: FieldError[]): SafeHtml | '' {
  if (errors.length === 0) return '';
  return html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title">
      <h2 id="error-summary-title">${translate(ctx, 'form.error-summary')}</h2>
      <ul>${errors.map((e) => html`<li><a href="#${e.field}">${e.message}</a></li>`)}</ul>
    </div>`;
}

export function alert(message: string): SafeHtml {
  return html`<div class="error-summary" role="alert"><p>${message}</p></div>`;
}

interface FieldSpec {
  id: string;
  label: string;
  hint?: string;
  optional?: boolean;
  error?: string | undefined;
}

function fieldParts(ctx: PageContext, spec: FieldSpec) {
  const described = [spec.hint ? `${spec.id}-hint` : '', spec.error ? `${spec.id}-error` : '']
    .filter(Boolean)
    .join(' ');
  const label = html`<label for="${spec.id}">${spec.label}${
    spec.optional ? html` <span class="optional">(${translate(ctx, 'form.optional')})</span>` : ''
  }</label>`;
  const hint = spec.hint ? html`<p class="hint" id="${spec.id}-hint">${spec.hint}</p>` : '';
  const error = spec.error
    ? html`<p class="field-error" id="${spec.id}-error">${spec.error}</p>`
    : '';
  const aria = html`${described ? html` aria-describedby="${described}"` : ''}${
    spec.error ? html` aria-invalid="true"` : ''
  }`;
  return { label, hint, error, aria };
}

export function inputField(
  ctx: PageContext,
  spec: FieldSpec & {
    type: 'email' | 'text';
    value?: string;
    autocomplete?: string;
    inputmode?: string;
    required?: boolean;
  },
): SafeHtml {
  const p = fieldParts(ctx, spec);
  return html`<div class="field${spec.error ? ' has-error' : ''}">
      ${p.label}${p.hint}${p.error}
      <input id="${spec.id}" name="${spec.id}" type="${spec.type}" value="${spec.value ?? ''}"${
        spec.autocomplete ? html` autocomplete="${spec.autocomplete}"` : ''
      }${spec.inputmode ? html` inputmode="${spec.inputmode}"` : ''}${
        spec.required ? html` required` : ''
      } spellcheck="false"${p.aria}>
    </div>`;
}

export function textareaField(
  ctx: PageContext,
  spec: FieldSpec & { value?: string; rows?: number; maxlength: number },
): SafeHtml {
  const p = fieldParts(ctx, spec);
  return html`<div class="field${spec.error ? ' has-error' : ''}">
      ${p.label}${p.hint}${p.error}
      <textarea id="${spec.id}" name="${spec.id}" rows="${spec.rows ?? 3}" maxlength="${spec.maxlength}"${p.aria}>${
        spec.value ?? ''
      }</textarea>
    </div>`;
}

/** A definition list of facts about an objection. */
export function facts(rows: [string, SafeHtml | string][]): SafeHtml {
  return html`<dl class="facts">${rows.map(
    ([term, value]) => html`<div><dt>${term}</dt><dd>${value}</dd></div>`,
  )}</dl>`;
}
