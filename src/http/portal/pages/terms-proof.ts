import type { Objection } from '../../../domain/types.ts';
import type { TermsCheck, TermsProof } from '../../../transparency/terms-commitment.ts';
import { facts } from '../components.ts';
import { href, type PageContext, translate } from '../context.ts';
import { html } from '../html.ts';
import type { PageParts } from '../layout.ts';

/** A dataset that commits to the terms objections it applied, and whether this one is in it. */
export interface TermsDataset {
  datasetId: string;
  recordedAt: string;
  count: number;
  applied: boolean;
}

/**
 * From a non-user's receipt: the datasets that commit to the terms objections their redaction
 * applied, and for each whether this objection was one of them, with a link to its proof.
 */
export function termsListPage(
  ctx: PageContext,
  o: Objection,
  datasets: readonly TermsDataset[],
  query: Record<string, string>,
): PageParts {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const body = html`<h1>${t('terms.list.title')}</h1>
    <p class="lead">${t('terms.list.lead')}</p>
    ${
      datasets.length === 0
        ? html`<p>${t('terms.list.none')}</p>`
        : html`<ul class="plain">${datasets.map(
            (d) => html`<li>
              <h2>${
                d.applied
                  ? html`<a href="${href(ctx, `/receipt/${o.reference}/terms-proof/${d.datasetId}`, query)}">${t('datasets.dataset', { id: d.datasetId })}</a>`
                  : t('datasets.dataset', { id: d.datasetId })
              }</h2>
              ${facts([
                [t('datasets.built'), t('format.datetime', { date: new Date(d.recordedAt) })],
                [t('terms.proof.count'), String(d.count)],
              ])}
              <p>${t(d.applied ? 'terms.list.applied' : 'terms.list.not-applied')}</p>
            </li>`,
          )}</ul>`
    }
    <p><a href="${href(ctx, `/status/${o.reference}`, query)}">${t('receipt.status-link')}</a></p>`;
  return { title: t('terms.list.title'), body };
}

/**
 * One dataset's proof for a terms objection: the server checks it against the dataset's
 * commitment as a person would and says so, offers it to download, says how to check it
 * independently, and what it proves and does not. No script: the check runs on the server.
 */
export function termsProofPage(
  ctx: PageContext,
  o: Objection,
  datasetId: string,
  proof: { text: string; proof: TermsProof; check: TermsCheck } | undefined,
  query: Record<string, string>,
  publicUrl: string,
): PageParts {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const ok = proof?.check.ok === true;
  const file = `terms-proof-${datasetId}.json`;
  const body = html`<h1>${t('terms.proof.title')}</h1>
    <p>${t('datasets.dataset', { id: datasetId })}</p>
    <div class="panel ${ok ? 'panel-success' : ''}" role="status">
      <p class="lead">${t(ok ? 'terms.proof.ok' : 'terms.proof.not-applied')}</p>
    </div>
    ${
      ok && proof
        ? html`${facts([
            [t('receipt.reference'), o.reference],
            [t('terms.proof.index'), String(proof.proof.leaf.index)],
            [t('terms.proof.count'), String(proof.proof.commitment.count)],
            [t('terms.proof.root'), html`<code>${proof.proof.commitment.root}</code>`],
          ])}
          <p><a href="${href(ctx, `/receipt/${o.reference}/terms-proof/${datasetId}.json`, query)}" download="${file}">${t('terms.proof.download')}</a></p>`
        : ''
    }
    <p>${t('terms.proof.means')}</p>
    ${
      ok
        ? html`<h2>${t('proof.yourself.heading')}</h2>
          <p>${t('proof.yourself.text')}</p>
          <pre><code>curl -o sealed-event.json ${publicUrl}/v1/datasets/${datasetId}/sealed-event
veto dataset verify-terms ${file} --sealed-event sealed-event.json --log-key KEY</code></pre>
          <p>${t('proof.yourself.keys')} <a href="${href(ctx, '/v1/transparency/keys')}">/v1/transparency/keys</a></p>`
        : ''
    }
    <p><a href="${href(ctx, `/receipt/${o.reference}/terms-proof`, query)}">${t('terms.list.title')}</a></p>
    <p><a href="${href(ctx, `/status/${o.reference}`, query)}">${t('receipt.status-link')}</a></p>`;
  return { title: t('terms.proof.title'), body };
}
