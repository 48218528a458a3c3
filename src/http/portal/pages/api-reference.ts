import { href, type PageContext, translate } from '../context.ts';
import { html, type SafeHtml } from '../html.ts';
import type { PageParts } from '../layout.ts';

/** The part of an OpenAPI 3.1 document this page reads. */
export interface OpenApiDocument {
  info?: { version?: string };
  paths?: Record<
    string,
    Record<string, { summary?: string; description?: string; tags?: string[] }>
  >;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * A human-readable reference generated from the same OpenAPI document as /openapi.json, so it
 * cannot drift from the server. The page's frame comes from the catalogue; endpoint summaries
 * come from the schemas, which are written in English, and are marked `lang="en"` so that
 * assistive technology reads them correctly inside a page in another language.
 */
export function apiReferencePage(ctx: PageContext, doc: OpenApiDocument): PageParts {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const groups = new Map<string, SafeHtml[]>();
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = ops[method];
      if (!op) continue;
      // Tags without a translated group heading (notices, signals, ...) share one "other"
      // section: two sections with the same heading would be indistinguishable landmarks.
      const first = op.tags?.[0];
      const tag = first === 'admin' || first === 'objections' ? first : 'other';
      const row = html`<div class="api-op">
        <h3><code>${method.toUpperCase()} ${path}</code></h3>
        ${op.summary ? html`<p lang="en"><strong>${op.summary}</strong></p>` : ''}
        ${op.description ? html`<p lang="en">${op.description}</p>` : ''}
      </div>`;
      groups.set(tag, [...(groups.get(tag) ?? []), row]);
    }
  }
  const sections = [...groups].map(
    ([tag, rows]) => html`<section aria-labelledby="api-${tag}">
      <h2 id="api-${tag}">${t(`api.group.${tag}`)}</h2>
      ${rows}
    </section>`,
  );
  const body = html`<h1>${t('api.heading')}</h1>
    <p>${t('api.intro', { version: doc.info?.version ?? '' })}</p>
    <p><a href="${href(ctx, '/openapi.json')}">${t('api.openapiLink')}</a></p>
    <h2>${t('api.auth.heading')}</h2>
    <p>${t('api.auth.body')}</p>
    <h2>${t('api.errors.heading')}</h2>
    <p>${t('api.errors.body')}</p>
    ${sections}`;
  return { title: t('api.title'), body };
}
