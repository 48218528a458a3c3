import type { KeptArt30Version } from '../../../domain/art30-record.ts';
import { href, translate } from '../../portal/context.ts';
import { html, unsafeRaw } from '../../portal/html.ts';
import type { ConsoleContext } from '../context.ts';
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
          ],
          rows: [...data.versions].reverse().map((v) => ({ ...v })),
          cell: (r, c) => (c.key === 'sha256' ? html`<code>${String(r.sha256)}</code>` : undefined),
        });
  return {
    title,
    nav: 'records',
    body: html`<h1>${title}</h1>
      <p>${t('console.art30.intro')}</p>
      ${data.policiesConfigured ? '' : html`<div class="panel panel-signal" role="status"><p>${t('console.art30.no-policy')}</p></div>`}
      ${
        data.currentVersion
          ? html`<p>${t('console.art30.current-kept', { version: data.currentVersion })}</p>`
          : data.versions.length > 0 && html`<p>${t('console.art30.current-new')}</p>`
      }
      <p class="downloads"><a href="${href(ctx, `${ART30_PATH}.md`)}" download>${t('console.art30.download-markdown')}</a>
        · <a href="${href(ctx, `${ART30_PATH}.html`)}">${t('console.art30.printable')}</a></p>
      <article class="record" lang="en" aria-label="${t('console.art30.record')}">
      ${unsafeRaw(data.recordHtml)}
      </article>
      <h2>${t('console.art30.versions')}</h2>
      ${versions}`,
  };
}
