/**
 * A tiny HTML tagged template: every interpolated value is escaped unless it is already
 * `SafeHtml` (the result of another `html` template). Arrays are joined, and null, undefined
 * and false render nothing, so conditionals read naturally:
 *
 *   html`<p>${name}</p>${items.map((i) => html`<li>${i}</li>`)}${cond && html`<b>x</b>`}`
 *
 * Templates must quote every attribute value (`href="${url}"`): escaping covers text and
 * quoted attributes, which is all the portal uses. No user-supplied string is ever put in an
 * `href`, `src` or `style`.
 */
import { escapeHtml } from '../../lib/escape-html.ts';

export { escapeHtml };

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

function render(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Marks trusted markup as safe. Only for constants written in this code base. */
export function unsafeRaw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
