import type { Objection } from '../../../domain/types.ts';
import type { ReceiptCheck, ReceiptProof } from '../../../transparency/receipt-proof.ts';
import { facts } from '../components.ts';
import { href, type PageContext, translate } from '../context.ts';
import { html } from '../html.ts';
import type { PageParts } from '../layout.ts';

/**
 * "Check my receipt": the server checks the objection's proof against the log's published key
 * and says so; the page gives the proof to download and says how to check it without trusting
 * the registry (docs/transparency.md). No script: the check runs on the server.
 */
export function receiptProofPage(
  ctx: PageContext,
  o: Objection,
  proof: ReceiptProof,
  check: ReceiptCheck,
  query: Record<string, string>,
): PageParts {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const root = check.ok ? (proof.checkpoint.split('\n')[2] ?? '') : '';
  const body = html`<h1>${t('proof.title')}</h1>
    <div class="panel ${check.ok ? 'panel-success' : ''}" role="status">
      <p class="lead">${t(check.ok ? 'proof.ok' : 'proof.failed')}</p>
    </div>
    ${
      check.ok
        ? facts([
            [t('receipt.reference'), o.reference],
            [t('proof.index'), String(proof.leafIndex)],
            [t('proof.size'), String(check.size ?? '')],
            [t('proof.root'), html`<code>${root}</code>`],
          ])
        : ''
    }
    <p><a href="${href(ctx, `/receipt/${o.reference}/proof.json`, query)}" download="receipt-proof-${o.reference}.json">${t('proof.download')}</a></p>
    <h2>${t('proof.yourself.heading')}</h2>
    <p>${t('proof.yourself.text')}</p>
    <pre><code>veto receipt verify receipt-proof-${o.reference}.json --log-key '${proof.logKey}'</code></pre>
    <p>${t('proof.yourself.keys')} <a href="${href(ctx, '/v1/transparency/keys')}">/v1/transparency/keys</a></p>
    <p>${t('proof.yourself.by-hand')}</p>
    <p><a href="${href(ctx, `/status/${o.reference}`, query)}">${t('receipt.status-link')}</a></p>`;
  return { title: t('proof.title'), body };
}
