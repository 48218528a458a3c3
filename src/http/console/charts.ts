import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import * as vegaLite from 'vega-lite';
import { html, type SafeHtml, unsafeRaw } from '../portal/html.ts';

/**
 * Charts drawn on the server as SVG with Vega-Lite (compiled to Vega, rendered headless): no
 * script reaches the browser, and the page works without JavaScript. Vega's own ARIA labels are
 * English sentences, so they are turned off; the SVG is one image named by the figure's caption,
 * and the data table printed beside it is what a screen reader reads.
 */
export interface BarChart {
  rows: Record<string, string | number>[];
  x: { field: string; title: string; sort?: string[] };
  y: { field: string; title: string };
  color?: { field: string; title: string; sort?: string[] };
}

const CONFIG = {
  aria: false,
  font: 'system-ui, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 160 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  view: { stroke: null },
};

export async function renderBarChart(chart: BarChart, captionId: string): Promise<SafeHtml> {
  const spec: TopLevelSpec = {
    data: { values: chart.rows },
    mark: { type: 'bar', tooltip: false },
    width: { step: 24 },
    height: 220,
    encoding: {
      x: {
        field: chart.x.field,
        type: 'ordinal',
        title: chart.x.title,
        ...(chart.x.sort ? { sort: chart.x.sort } : {}),
        axis: { labelAngle: -40 },
      },
      y: { aggregate: 'sum', field: chart.y.field, type: 'quantitative', title: chart.y.title },
      ...(chart.color
        ? {
            color: {
              field: chart.color.field,
              type: 'nominal',
              title: chart.color.title,
              ...(chart.color.sort ? { sort: chart.color.sort } : {}),
              scale: { scheme: 'tableau10' },
            },
          }
        : {}),
    },
    config: CONFIG,
  } as TopLevelSpec;
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  // One image, named by the caption; the marks inside are not read one by one. Vega still gives
  // its groups ARIA roles (a rect mark is a "graphics-symbol", which axe-core then wants named),
  // so those roles are removed: inside role="img" nothing is exposed anyway.
  const named = svg
    .replace(/ (?:role|aria-roledescription)="[^"]*"/g, '')
    .replace(/^<svg /, `<svg role="img" aria-labelledby="${captionId}" focusable="false" `);
  return html`<div class="chart-image">${unsafeRaw(named)}</div>`;
}
