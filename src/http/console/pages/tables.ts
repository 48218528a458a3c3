import { translate } from '../../portal/context.ts';
import { html, type SafeHtml } from '../../portal/html.ts';
import type { ConsoleContext } from '../context.ts';

export interface Column {
  key: string;
  label: string;
  numeric?: boolean;
}

/** A data table: the figures behind a chart, or a list; scrolls sideways on a narrow screen. */
export function dataTable(
  ctx: ConsoleContext,
  table: {
    caption: string;
    columns: Column[];
    rows: Record<string, unknown>[];
    cell?: (row: Record<string, unknown>, column: Column) => SafeHtml | string | undefined;
  },
): SafeHtml {
  const fmt = new Intl.NumberFormat(ctx.lang);
  return html`<div class="table-wrap"><table class="data">
    <caption>${table.caption}</caption>
    <thead><tr>${table.columns.map((c) => html`<th scope="col">${c.label}</th>`)}</tr></thead>
    <tbody>${table.rows.map(
      (r) =>
        html`<tr>${table.columns.map((c) => {
          const custom = table.cell?.(r, c);
          const v = r[c.key];
          const shown =
            custom ??
            (v === null || v === undefined ? '' : c.numeric ? fmt.format(Number(v)) : String(v));
          return html`<td${c.numeric ? html` class="number"` : ''}>${shown}</td>`;
        })}</tr>`,
    )}</tbody>
  </table></div>`;
}

/** Links to the same list as CSV and JSON. */
export function downloads(ctx: ConsoleContext, what: string, base: string): SafeHtml {
  return html`<p class="downloads">${translate(ctx, 'console.download', { what })}
    <a href="${base}.csv" download>CSV</a> · <a href="${base}.json" download>JSON</a></p>`;
}
