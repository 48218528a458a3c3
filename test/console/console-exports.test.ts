import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OBJECTION_EXPORT_COLUMNS } from '../../src/http/console/export-stream.ts';
import { OVERVIEW_TABLES } from '../../src/http/console/pages/overview.ts';
import { onCatalogueFallback } from '../../src/i18n/catalogue.ts';
import { consoleApp } from '../support/console-session.ts';
import { EU_LANGUAGES } from '../support/eu-languages.ts';

/** RFC 4180 rows (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  return rows;
}

describe('console exports and figures', () => {
  it('exports every objection as CSV and JSON that parse and match the registry, without any email address', async (t) => {
    const c = await consoleApp(t, { reviewMode: true });
    const email = 'hidden.person@example.org';
    await c.veto.registry.object({
      subject: { kind: 'email', email },
      channel: 'portal',
      language: 'fr',
      email,
      reasonText: `write to me at ${email}`,
      appearsAt: ['@hidden', `mailto:${email}`],
    });
    for (const id of ['a1', 'a2', 'a3']) {
      await c.veto.registry.object({
        subject: { kind: 'account', accountId: id },
        channel: 'api',
        language: 'en',
        email: `${id}@example.org`,
      });
    }
    const all = await c.veto.store.listObjections({ limit: 100 });
    const remi = await c.staff('remi');
    const csv = await remi.get('/console/exports/objections.csv');
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const rows = parseCsv(csv.body);
    assert.deepEqual(rows[0], [...OBJECTION_EXPORT_COLUMNS]);
    assert.deepEqual(
      rows
        .slice(1)
        .map((r) => r[1])
        .sort(),
      all.map((o) => o.reference).sort(),
    );
    const json = await remi.get('/console/exports/objections.json');
    const items = json.json() as Record<string, unknown>[];
    assert.deepEqual(
      items.map((o) => [o.id, o.subjectKey, o.status]).sort(),
      all.map((o) => [o.id, o.subjectKey, o.status]).sort(),
    );
    for (const body of [csv.body, json.body]) assert.doesNotMatch(body, /@/, 'no email address');
    const queue = (await remi.get('/console/exports/review-queue.json')).json() as unknown[];
    assert.equal(queue.length, 4);
    const exports = (await c.veto.store.readEvents()) as AsyncIterable<{
      type: string;
      data: Record<string, unknown>;
    }>;
    const audited: unknown[] = [];
    for await (const e of exports)
      if (e.type === 'staff.export') audited.push([e.data.list, e.data.format]);
    assert.deepEqual(audited, [
      ['objections', 'csv'],
      ['objections', 'json'],
      ['review-queue', 'json'],
    ]);
  });

  it('the overview draws each figure as an SVG image named by its caption, beside its table, and its CSV matches', async (t) => {
    const c = await consoleApp(t);
    for (const [id, channel, language] of [
      ['b1', 'api', 'en'],
      ['b2', 'api', 'en'],
      ['b3', 'portal', 'fr'],
    ] as const) {
      await c.veto.registry.object({
        subject: { kind: 'account', accountId: id },
        channel,
        language,
      });
    }
    const vera = await c.staff('vera');
    const page = await vera.get('/console');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<svg role="img" aria-labelledby="chart-objections-per-day"/);
    assert.match(page.body, /<table class="data">/);
    assert.doesNotMatch(page.body, /<script/);
    const csv = parseCsv((await vera.get('/console/figures/objections-per-day.csv')).body);
    assert.deepEqual(csv[0], ['day', 'channel', 'language', 'count']);
    assert.deepEqual(
      csv.slice(1).map((r) => r.slice(1)),
      [
        ['api', 'en', '2'],
        ['portal', 'fr', '1'],
      ],
    );
    for (const name of OVERVIEW_TABLES) {
      const res = await vera.get(`/console/figures/${name}.json`);
      assert.equal(res.statusCode, 200, name);
      assert.ok(Array.isArray(res.json()), name);
    }
  });

  it('every console page in every official EU language, with no message taken from another', async (t) => {
    const c = await consoleApp(t, { reviewMode: true });
    const o = await c.veto.registry.object({
      subject: { kind: 'account', accountId: 'l1' },
      channel: 'api',
      language: 'en',
    });
    const remi = await c.staff('remi');
    const fallbacks: string[] = [];
    const stop = onCatalogueFallback((f) => fallbacks.push(`${f.key} (${f.reason})`));
    t.after(stop);
    for (const lang of EU_LANGUAGES) {
      for (const path of [
        '/console',
        '/console/reviews',
        '/console/objections',
        `/console/objections/${o.objection.reference}`,
        '/console/exports',
      ]) {
        const res = await remi.get(`${path}?lang=${lang}`);
        assert.equal(res.statusCode, 200, `${lang} ${path}`);
        assert.match(res.body, new RegExp(`<html lang="${lang}"`), `${lang} ${path}`);
        assert.doesNotMatch(res.body, /\{[a-zA-Z]+[},]/, `${lang} ${path}: unfilled placeholder`);
      }
    }
    assert.deepEqual(fallbacks, []);
  });
});
