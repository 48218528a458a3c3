import type { KeptArt30Version } from '../../../domain/art30-record.ts';
import { href, translate } from '../../portal/context.ts';
import { html, unsafeRaw } from '../../portal/html.ts';
import { type ConsoleContext, may } from '../context.ts';
import type { ConsolePage } from '../layout.ts';
import { dataTable } from './tables.ts';

export const ART30_PATH = '/console/records/art30';

/**
 * The record of processing (GDPR Art. 30) as it stands, generated as `veto record art30`
 * generates it, with its downloads and the versions the command kept. The record is written in
 * English (marked lang="en"); the page around it comes from the catalogue.
 */
export function art30Page(
  ctx: ConsoleContext,
  data: {
    /** The record's body as HTML (from the shared Markdown renderer: every text escaped). */
    recordHtml: string;
    policiesConfigured: boolean;
    versions: KeptArt30Version[];
    /** The kept version equal to the current record, if any. */
    currentVersion: string | undefined;
    /** Just kept (after the keep form). */
    done?: boolean;
  },
): ConsolePage {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const title = t('console.nav.records');
  const versions =
    data.versions.length === 0
      ? html`<p>${t('console.art30.no-versions')}</p>`
      : dataTable(ctx, {
          caption: t('console.art30.versions'),
          columns: [
            { key: 'version', label: t('console.col.version') },
            { key: 'keptAt', label: t('console.col.kept') },
            { key: 'sha256', label: 'SHA-256' },
            { key: 'files', label: t('console.art30.files') },
          ],
          rows: [...data.versions].reverse().map((v) => ({ ...v, files: '' })),
          cell: (r, c) => {
            if (c.key === 'sha256') return html`<code>${String(r.sha256)}</code>`;
            if (c.key !== 'files') return undefined;
            const file = (ext: string) =>
              href(ctx, `${ART30_PATH}/versions/${String(r.version)}.${ext}`);
            return html`<a href="${file('md')}" download>${t('console.art30.version-markdown', { version: String(r.version) })}</a>
              · <a href="${file('html')}">${t('console.art30.version-printable', { version: String(r.version) })}</a>`;
          },
        });
  // Only when the record differs from the last version kept: keeping the same text again would
  // add nothing (the command names the existing version instead).
  const keep =
    !data.currentVersion && may(ctx, 'keep-records')
      ? html`<form method="post" action="${href(ctx, `${ART30_PATH}/keep`)}">
        <input type="hidden" name="_csrf" value="${ctx.csrf}">
        <button type="submit" class="button button-primary">${t('console.art30.keep')}</button>
      </form>`
      : '';
  return {
    title,
    nav: 'records',
    body: html`<h1>${title}</h1>
      ${data.done ? html`<div class="panel panel-success" role="status"><p>${t('console.done.kept')}</p></div>` : ''}
      <p>${t('console.art30.intro')}</p>
      ${data.policiesConfigured ? '' : html`<div class="panel panel-signal" role="status"><p>${t('console.art30.no-policy')}</p></div>`}
      ${
        data.currentVersion
          ? html`<p>${t('console.art30.current-kept', { version: data.currentVersion })}</p>`
          : html`<p>${t(data.versions.length > 0 ? 'console.art30.current-new' : 'console.art30.current-none')}</p>`
      }
      ${keep}
      <p class="downloads"><a href="${href(ctx, `${ART30_PATH}.md`)}" download>${t('console.art30.download-markdown')}</a>
        · <a href="${href(ctx, `${ART30_PATH}.html`)}">${t('console.art30.printable')}</a></p>
      <article class="record" lang="en" aria-label="${t('console.art30.record')}">
      ${unsafeRaw(data.recordHtml)}
      </article>
      <h2>${t('console.art30.versions')}</h2>
      ${versions}`,
  };
}
