import type { ObjectionChannelCode } from '../../../domain/assessment/assessment-record.ts';
import { Assessments } from '../../../domain/assessment/assessments.ts';
import type { StoredAssessment } from '../../../store/assessment-store.ts';
import { facts } from '../components.ts';
import { href, type PageContext, translate } from '../context.ts';
import { html, type SafeHtml } from '../html.ts';
import type { PageParts } from '../layout.ts';

/** The catalogue's label of each objection channel (the status page uses the same ones). */
const CHANNEL_KEYS: Record<ObjectionChannelCode, string> = {
  portal: 'channel.portal',
  api: 'channel.api',
  'non-user-email': 'channel.email',
  'email-link': 'channel.email-link',
  signal: 'channel.signal',
};

/**
 * One assessment's public summary: the three steps, each with the operator's summary (in the
 * reader's language when translated, else in the operator's, marked with its `lang`) and the
 * facts Veto drew from the policy and configuration, in Veto's words from the catalogue.
 */
function assessmentSection(ctx: PageContext, stored: StoredAssessment, n: number): SafeHtml {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const { summary, summaryLanguage } = Assessments.summaryFor(stored, ctx.lang);
  const f = stored.record.facts;
  const operatorLang = stored.record.text.language;
  const lang = summaryLanguage === ctx.lang ? '' : html` lang="${summaryLanguage}"`;
  // Titles and names are the operator's words, in the language it wrote the text in.
  const titleLang = operatorLang === ctx.lang ? '' : html` lang="${operatorLang}"`;
  const id = (step: string) => `assessment-${n}-${step}`;
  const step = (key: string, name: string, text: string, items: SafeHtml[]) =>
    html`<section aria-labelledby="${id(name)}">
      <h3 id="${id(name)}">${t(key)}</h3>
      <p${lang}>${text}</p>
      ${items.length ? html`<ul>${items}</ul>` : ''}
    </section>`;
  const li = (text: SafeHtml | string) => html`<li>${text}</li>`;
  return html`<section class="panel" aria-labelledby="${id('title')}">
      <h2 id="${id('title')}"${titleLang}>${f.policy.title}</h2>
      ${facts([
        [t('assessment.version'), html`<code class="reference">${stored.id}</code>`],
        [t('assessment.recorded'), t('notice.version.date', { date: new Date(stored.recordedAt) })],
        [t('assessment.controller'), html`<span${titleLang}>${f.controller.name}</span>`],
        ...(f.controller.dpo
          ? ([[t('assessment.dpo'), f.controller.dpo]] as [string, string][])
          : []),
        [t('assessment.legal-basis'), html`<span${titleLang}>${f.policy.legalBasis}</span>`],
      ])}
      ${
        summaryLanguage === ctx.lang
          ? ''
          : html`<p class="hint">${t('assessment.untranslated', {
              language: ctx.catalogue.autonym(summaryLanguage),
            })}</p>`
      }
      ${step('assessment.step.purpose', 'purpose', summary.purpose, [])}
      ${step('assessment.step.necessity', 'necessity', summary.necessity, [
        li(
          html`${t('assessment.fact.kinds')} ${f.content.kinds.map((k, i) => html`${i ? ', ' : ''}<code>${k}</code>`)}`,
        ),
        li(t('assessment.fact.private-messages')),
        li(t(f.redaction.enabled ? 'assessment.fact.redaction' : 'assessment.fact.no-redaction')),
        li(t(f.sensitiveExcluded ? 'assessment.fact.sensitive' : 'assessment.fact.sensitive-used')),
      ])}
      ${step('assessment.step.balancing', 'balancing', summary.balancing, [
        li(
          t(f.minors.accountsExcluded ? 'assessment.fact.minors' : 'assessment.fact.minors-used', {
            age: f.minors.adultAge,
          }),
        ),
        li(
          t(
            f.minors.depictingMinorsExcluded
              ? 'assessment.fact.depicting-minors'
              : 'assessment.fact.depicting-minors-used',
          ),
        ),
        li(t('assessment.fact.notice', { days: f.notice.minimumDays })),
        li(
          html`${t('assessment.fact.objection')} ${f.objectionChannels
            .map((c) => t(CHANNEL_KEYS[c]))
            .join(' · ')}`,
        ),
        ...(f.retentionMonths
          ? [li(t('assessment.fact.retention', { months: f.retentionMonths }))]
          : []),
      ])}
      <section aria-labelledby="${id('conclusion')}">
        <h3 id="${id('conclusion')}">${t('assessment.conclusion')}</h3>
        <p${lang}>${summary.conclusion}</p>
      </section>
    </section>`;
}

/** `/assessment` (the latest record of each policy) and `/assessment/<id>` (any version). */
export function assessmentPage(
  ctx: PageContext,
  shown: StoredAssessment[],
  versions: StoredAssessment[],
): PageParts {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const body = html`<h1>${t('assessment.title')}</h1>
    <p class="lead">${t('assessment.lead')}</p>
    ${shown.length === 0 ? html`<p>${t('assessment.none')}</p>` : shown.map((a, i) => assessmentSection(ctx, a, i + 1))}
    <p><a href="${href(ctx, '/notice')}">${t('layout.nav.notice')}</a></p>
    ${
      versions.length > 0
        ? html`<section aria-labelledby="assessment-versions">
      <h2 id="assessment-versions">${t('assessment.versions')}</h2>
      <ul class="objection-list">${versions.map(
        (v) =>
          html`<li><a href="${href(ctx, `/assessment/${v.id}`)}"${
            shown.length === 1 && shown[0]!.id === v.id ? html` aria-current="page"` : ''
          }>${t('assessment.version-item', {
            version: v.id,
            date: new Date(v.recordedAt),
          })}</a></li>`,
      )}</ul>
    </section>`
        : ''
    }`;
  return { title: t('assessment.title'), body };
}
