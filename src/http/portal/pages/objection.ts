import type { Objection } from '../../../domain/types.ts';
import { csrfField, facts } from '../components.ts';
import { href, type PageContext, purposeKey, purposeLabel, translate } from '../context.ts';
import { html, type SafeHtml } from '../html.ts';
import type { PageParts } from '../layout.ts';

/** How the person reached this page: their own session, or the status token from the receipt. */
export interface Access {
  token?: string | undefined;
}

function withToken(access: Access): Record<string, string> {
  return access.token ? { t: access.token } : {};
}

function date(iso: string | null): Date | undefined {
  return iso ? new Date(iso) : undefined;
}

function stateText(ctx: PageContext, o: Objection): SafeHtml {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  if (o.status === 'withdrawn') {
    return html`<p class="state state-ended">${t('status.state.withdrawn', { date: date(o.endedAt ?? o.decidedAt) })}</p>`;
  }
  if (o.status === 'overridden') {
    return html`<p class="state state-ended">${t('status.state.overridden', { date: date(o.decidedAt ?? o.endedAt) })}</p>
      ${o.decisionReason ? html`<h3>${t('status.decision-reason')}</h3><p>${o.decisionReason}</p>` : ''}
      <p>${t('status.complaint')}</p>`;
  }
  let effective = purposeKey(ctx, 'status.state.effective', o.purpose);
  // A person without an account is protected for what can be linked to them, not an account.
  if (effective === 'status.state.effective' && o.subjectKind === 'non-user')
    effective = 'intake.status.state.effective-non-user';
  return html`<p class="state state-effective">${t(effective)}</p>
    ${o.review === 'pending' ? html`<p>${t('status.review.pending', { date: date(o.dueAt) })}</p>` : ''}
    ${o.review === 'upheld' && o.decidedAt ? html`<p>${t('status.review.upheld', { date: date(o.decidedAt) })}</p>` : ''}
    ${
      o.extensionReason
        ? html`<p>${t('status.extended', { date: date(o.dueAt), reason: o.extensionReason })}</p>`
        : ''
    }`;
}

function objectionFacts(ctx: PageContext, o: Objection): SafeHtml {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const rows: [string, SafeHtml | string][] = [
    [t('status.reference'), html`<span class="reference">${o.reference}</span>`],
    [t('status.purpose'), purposeLabel(ctx, o.purpose)],
    [t('status.received'), t('format.datetime', { date: new Date(o.receivedAt) })],
    [t('status.channel'), t(`channel.${o.channel}`)],
  ];
  if (o.appearsAt.length > 0) {
    rows.push([
      t('status.appears-at'),
      html`<span>${t('status.appears-at-count', { count: o.appearsAt.length })}</span>
        <ul class="plain">${o.appearsAt.map((a) => html`<li>${a}</li>`)}</ul>`,
    ]);
  }
  if (o.reasonText)
    rows.push([t('status.message'), html`<span class="pre">${o.reasonText}</span>`]);
  return facts(rows);
}

export function receiptPage(
  ctx: PageContext,
  o: Objection,
  access: Access & { emailSent: boolean; proofs?: boolean; termsProofs?: boolean },
): PageParts {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  // People without an account have their own wording: there is no account to keep using.
  const next = (key: string) =>
    o.subjectKind === 'account' ? `receipt.next.${key}` : `intake.receipt.next.${key}-non-user`;
  const body = html`<div class="panel panel-success">
      <h1>${t('receipt.title')}</h1>
      <p class="lead">${t(o.subjectKind === 'account' ? 'receipt.lead' : 'receipt.lead-non-user')}</p>
    </div>
    ${objectionFacts(ctx, o)}
    ${access.emailSent ? html`<p>${t('receipt.email-sent')}</p>` : ''}
    <p>${t('receipt.keep')}</p>
    <h2>${t('receipt.next.heading')}</h2>
    <ul>
      <li>${t(next('future'))}</li>
      <li>${t(next('past'))}</li>
      <li>${t(next('service'))}</li>
    </ul>
    <p><a href="${href(ctx, `/status/${o.reference}`, withToken(access))}">${t('receipt.status-link')}</a></p>
    ${access.proofs ? html`<p><a href="${href(ctx, `/receipt/${o.reference}/proof`, withToken(access))}">${t('proof.link')}</a></p>` : ''}
    ${access.termsProofs && o.subjectKind === 'non-user' ? html`<p><a href="${href(ctx, `/receipt/${o.reference}/terms-proof`, withToken(access))}">${t('terms.link')}</a></p>` : ''}
    <p><a href="${href(ctx, '/')}">${t('receipt.back')}</a></p>`;
  return { title: t('receipt.title'), body };
}

export function statusPage(
  ctx: PageContext,
  o: Objection,
  access: Access & { justWithdrawn?: boolean },
): PageParts {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const body = html`<h1>${t('status.title')}</h1>
    ${
      access.justWithdrawn && o.status === 'withdrawn'
        ? html`<div class="panel" role="status"><p>${t('withdraw.done')}</p></div>`
        : ''
    }
    <h2 class="visually-hidden">${t('status.state')}</h2>
    ${stateText(ctx, o)}
    ${objectionFacts(ctx, o)}
    ${
      o.status === 'effective'
        ? html`<section class="withdraw-block" aria-labelledby="withdraw-heading">
        <h2 id="withdraw-heading">${t('status.withdraw.heading')}</h2>
        <p>${t('status.withdraw.text')}</p>
        <p><a class="button button-secondary" href="${href(ctx, `/withdraw/${o.reference}`, withToken(access))}">${t('status.withdraw.link')}</a></p>
      </section>`
        : html`<p><a href="${href(ctx, '/')}">${t('status.object-again')}</a></p>`
    }`;
  return { title: t('status.title'), body };
}

export function statusListPage(ctx: PageContext, list: Objection[] | undefined): PageParts {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  let content: SafeHtml;
  if (!list) {
    content = html`<p>${t('status.signed-out')}</p>
      <p><a href="${href(ctx, '/non-user')}">${t('object.non-user.link')}</a></p>`;
  } else if (list.length === 0) {
    content = html`<p>${t('status.none')}</p><p><a href="${href(ctx, '/')}">${t('receipt.back')}</a></p>`;
  } else {
    content = html`<ul class="objection-list">${list.map(
      (o) => html`<li class="objection-item">
          <p><span class="reference">${o.reference}</span> · ${purposeLabel(ctx, o.purpose)}</p>
          ${stateText(ctx, o)}
          <p><a href="${href(ctx, `/status/${o.reference}`)}">${t('status.open')}<span class="visually-hidden"> ${o.reference}</span></a></p>
        </li>`,
    )}</ul>`;
  }
  return {
    title: t('status.list-title'),
    body: html`<h1>${t('status.list-title')}</h1>${content}`,
  };
}

export function withdrawPage(ctx: PageContext, o: Objection, access: Access): PageParts {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const body = html`<h1>${t('withdraw.title')}</h1>
    ${facts([
      [t('status.reference'), html`<span class="reference">${o.reference}</span>`],
      [t('status.purpose'), purposeLabel(ctx, o.purpose)],
    ])}
    <p>${t(purposeKey(ctx, 'withdraw.text', o.purpose))}</p>
    <form method="post" action="${href(ctx, `/withdraw/${o.reference}`)}" class="actions">
      ${csrfField(ctx)}
      ${access.token ? html`<input type="hidden" name="t" value="${access.token}">` : ''}
      <button type="submit" class="button button-warning">${t('withdraw.confirm')}</button>
      <a class="button button-secondary" href="${href(ctx, `/status/${o.reference}`, withToken(access))}">${t('withdraw.cancel')}</a>
    </form>`;
  return { title: t('withdraw.title'), body };
}
