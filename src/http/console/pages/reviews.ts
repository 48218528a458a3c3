import type { Objection } from '../../../domain/types.ts';
import { href, translate } from '../../portal/context.ts';
import { html } from '../../portal/html.ts';
import { type ConsoleContext, may } from '../context.ts';
import type { ConsolePage } from '../layout.ts';
import { dataTable, downloads } from './tables.ts';

const link = (ctx: ConsoleContext, o: Objection) =>
  html`<a href="${href(ctx, `/console/objections/${o.reference}`)}">${o.reference}</a>`;

/**
 * The review queue (review mode): each pending objection with its Art. 12(3) due date (one
 * calendar month from receipt, up to three with an extension), overdue ones marked, and the
 * decisions already taken.
 */
export function reviewsPage(
  ctx: ConsoleContext,
  queue: { reviewMode: boolean; pending: Objection[]; decided: Objection[]; now: string },
): ConsolePage {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const title = t('console.nav.reviews');
  if (!queue.reviewMode) {
    return {
      title,
      nav: 'reviews',
      body: html`<h1>${title}</h1><p>${t('console.reviews.off')}</p>`,
    };
  }
  const pendingTable =
    queue.pending.length === 0
      ? html`<p>${t('console.reviews.empty')}</p>`
      : dataTable(ctx, {
          caption: t('console.reviews.pending', { count: queue.pending.length }),
          columns: [
            { key: 'reference', label: t('console.col.reference') },
            { key: 'purpose', label: t('console.col.purpose') },
            { key: 'receivedAt', label: t('console.col.received') },
            { key: 'dueAt', label: t('console.col.due') },
            { key: 'state', label: t('console.col.state') },
            { key: 'extensionReason', label: t('console.col.extension') },
          ],
          rows: queue.pending.map((o) => ({ ...o, state: o.dueAt < queue.now })),
          cell: (r, c) => {
            if (c.key === 'reference') return link(ctx, r as unknown as Objection);
            if (c.key === 'state')
              return r.state
                ? html`<span class="overdue">${t('console.reviews.overdue')}</span>`
                : t('console.reviews.due');
            return undefined;
          },
        });
  const decidedTable =
    queue.decided.length === 0
      ? ''
      : dataTable(ctx, {
          caption: t('console.reviews.decided'),
          columns: [
            { key: 'reference', label: t('console.col.reference') },
            { key: 'review', label: t('console.col.decision') },
            { key: 'decidedAt', label: t('console.col.decided') },
            { key: 'decidedBy', label: t('console.col.decided-by') },
          ],
          rows: queue.decided as unknown as Record<string, unknown>[],
          cell: (r, c) => {
            if (c.key === 'reference') return link(ctx, r as unknown as Objection);
            if (c.key === 'review') return t(`console.outcome.${String(r.review)}`);
            return undefined;
          },
        });
  return {
    title,
    nav: 'reviews',
    body: html`<h1>${title}</h1>
      ${pendingTable}
      ${may(ctx, 'export-personal') ? downloads(ctx, title, href(ctx, '/console/exports/review-queue')) : ''}
      ${decidedTable}`,
  };
}
