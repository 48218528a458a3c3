import { removalStatus } from '../../../domain/removals/afterwards.ts';
import type { ModelPolicy } from '../../../domain/removals/removal-planner.ts';
import type { ModelRecord, SubjectDataset } from '../../../store/removal-store.ts';
import { csrfField, errorSummary, type FieldError, facts, textareaField } from '../components.ts';
import { href, type PageContext, translate } from '../context.ts';
import { html, type SafeHtml } from '../html.ts';
import type { PageParts } from '../layout.ts';

export const DESCRIPTION_MAX = 5000;

export interface DatasetsPageData {
  /** Undefined when nobody is signed in or verified: the page says how to be. */
  datasets: SubjectDataset[] | undefined;
  /** Sealed datasets with an exclusion commitment: a proof per dataset for the signed-in account. */
  proofs: { datasetId: string; recordedAt: string }[];
  /** Where the published VRF key is fetched from, in the instructions. */
  publicUrl: string;
  modelPolicy: ModelPolicy;
  /** Models a memorisation report can name; no form when empty. */
  models: ModelRecord[];
  /** The report just received (after the redirect). */
  received?: { reference: string; dueAt: string } | undefined;
  form?: { modelId: string; description: string; errors: FieldError[] } | undefined;
}

function datasetSection(ctx: PageContext, d: SubjectDataset): SafeHtml {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const status = removalStatus(d);
  const statusText =
    status === 'included'
      ? t('datasets.status.included')
      : status === 'rebuilt'
        ? t('datasets.status.rebuilt', { dataset: d.replacedBy })
        : t(`datasets.status.${status}`, { date: new Date(d.removal!.recordedAt) });
  const told = new Map(
    (d.removal?.deliveries ?? []).map((x) => [x.recipient, x.deliveredAt] as const),
  );
  const recipients =
    d.recipients.length === 0
      ? html`<p>${t('datasets.recipients.none')}</p>`
      : html`<ul>${d.recipients.map((r) => {
          const received = t('datasets.recipient.received', {
            name: r.name,
            date: new Date(r.receivedAt),
          });
          if (!d.removal) return html`<li>${received}</li>`;
          const at = told.get(r.name);
          return html`<li>${received}. ${
            at
              ? t('datasets.recipient.told', { date: new Date(at) })
              : t('datasets.recipient.pending')
          }</li>`;
        })}</ul>`;
  return html`<section class="dataset" aria-labelledby="ds-${d.datasetId}">
      <h2 id="ds-${d.datasetId}">${t('datasets.dataset', { id: d.datasetId })}</h2>
      ${facts([
        [t('datasets.built'), t('format.datetime', { date: new Date(d.recordedAt) })],
        [t('datasets.items'), String(d.items)],
        [t('datasets.status'), html`<span class="state">${statusText}</span>`],
      ])}
      <h3>${t('datasets.recipients')}</h3>
      ${recipients}
      ${
        d.models.length === 0
          ? ''
          : html`<h3>${t('datasets.models')}</h3>
            <ul>${d.models.map((m) => html`<li>${m.name}</li>`)}</ul>`
      }
    </section>`;
}

function memorisationForm(ctx: PageContext, data: DatasetsPageData): SafeHtml | '' {
  if (data.models.length === 0) return '';
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const form = data.form;
  const errorFor = (field: string) => form?.errors.find((e) => e.field === field)?.message;
  return html`<section aria-labelledby="memorisation-heading">
      <h2 id="memorisation-heading">${t('memorisation.heading')}</h2>
      <p>${t('memorisation.lead')}</p>
      ${errorSummary(ctx, form?.errors ?? [])}
      <form method="post" action="${href(ctx, '/datasets/memorisation')}" novalidate>
        ${csrfField(ctx)}
        <div class="field">
          <label for="modelId">${t('memorisation.model')}</label>
          <select id="modelId" name="modelId">${data.models.map(
            (m) =>
              html`<option value="${m.id}"${form?.modelId === m.id ? html` selected` : ''}>${m.name}</option>`,
          )}</select>
        </div>
        ${textareaField(ctx, {
          id: 'description',
          label: t('memorisation.description'),
          hint: t('memorisation.description-hint'),
          value: form?.description ?? '',
          rows: 5,
          maxlength: DESCRIPTION_MAX,
          error: errorFor('description'),
        })}
        <button type="submit">${t('memorisation.submit')}</button>
      </form>
    </section>`;
}

/** A proof per dataset for the person's own account, to download and check independently. */
function proofSection(ctx: PageContext, data: DatasetsPageData): SafeHtml | '' {
  if (data.proofs.length === 0) return '';
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const command = `curl -o key.json ${data.publicUrl}/v1/transparency/exclusion-key
veto dataset verify-exclusion exclusion-proof.json --key key.json`;
  return html`<section aria-labelledby="proof-heading">
      <h2 id="proof-heading">${t('datasets.proof.heading')}</h2>
      <p>${t('datasets.proof.lead')}</p>
      <ul>${data.proofs.map(
        (p) =>
          html`<li><a href="${href(ctx, `/datasets/${encodeURIComponent(p.datasetId)}/exclusion-proof`)}" download>${t(
            'datasets.proof.download',
            { dataset: p.datasetId },
          )}</a> (${t('format.datetime', { date: new Date(p.recordedAt) })})</li>`,
      )}</ul>
      <p>${t('datasets.proof.check')}</p>
      <pre><code>${command}</code></pre>
    </section>`;
}

/** "Am I in the dataset?": datasets holding the person's content, and what happened. */
export function datasetsPage(ctx: PageContext, data: DatasetsPageData): PageParts {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const title = t('datasets.title');
  if (!data.datasets) {
    return {
      title,
      body: html`<h1>${title}</h1>
        <p class="lead">${t('datasets.lead')}</p>
        <p><a href="${href(ctx, '/non-user')}">${t('datasets.sign-in')}</a></p>`,
    };
  }
  const received = data.received
    ? html`<div class="panel panel-success" role="status"><p>${t('memorisation.received', {
        reference: data.received.reference,
        date: new Date(data.received.dueAt),
      })}</p></div>`
    : '';
  const objected = data.datasets.some((d) => d.removal);
  return {
    title,
    body: html`<h1>${title}</h1>
      ${received}
      <p class="lead">${t('datasets.lead')}</p>
      ${
        data.datasets.length === 0
          ? html`<p>${t('datasets.none')}</p>`
          : data.datasets.map((d) => datasetSection(ctx, d))
      }
      ${
        objected
          ? html`<h2>${t('datasets.model-policy')}</h2>
            <p>${t('datasets.future')}</p>
            <p>${t(`model-policy.${data.modelPolicy}`)}</p>`
          : ''
      }
      ${proofSection(ctx, data)}
      ${memorisationForm(ctx, data)}`,
  };
}
