import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { readNoticeDirectory } from '../../src/domain/notices/notice-files.ts';
import {
  computeTransparencyReport,
  loadTransparencyReport,
  median,
  percentile,
  SUPPRESSION_THRESHOLD,
  suppress,
} from '../../src/domain/transparency-report.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { buildApp } from '../../src/http/app.ts';
import type { RemovalEffect } from '../../src/store/console-store.ts';
import type { MemorisationReport } from '../../src/store/removal-store.ts';
import { ADAPTERS, adapterAvailable, testVetoOn } from '../support/veto-on.ts';

const SAMPLE = new URL('../../notices/2026-01', import.meta.url).pathname;
const MONTHS = ['2026-01', '2026-02', '2026-03'];
const LANGUAGES = ['de', 'en', 'fr'];

/** A small deterministic generator (mulberry32): the same registry on every run. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The transparency report from a generated registry whose true figures the test keeps: per
 * month and language, objections received (0 to 11, so both sides of the threshold occur),
 * some withdrawn in the same month, and people shown the notice; both adapters.
 */
for (const adapter of ADAPTERS) {
  describe(`transparency report: ${adapter}`, async () => {
    const available = await adapterAvailable(adapter);
    test('per month and language, small counts suppressed, as JSON (OpenAPI), CSV and HTML', {
      skip: !available,
    }, async (t: TestContext) => {
      let now = Date.parse('2026-01-01T00:00:00.000Z');
      const clock = () => new Date(now).toISOString();
      const { veto } = await testVetoOn(adapter, t, {}, { clock });
      const { version } = await veto.notices.publish(readNoticeDirectory(SAMPLE), 'test');
      const random = prng(20);
      const truth = new Map<string, { received: number; withdrawn: number; shown: number }>();
      let account = 0;
      for (const [mi, month] of MONTHS.entries()) {
        for (const language of LANGUAGES) {
          const received = Math.floor(random() * 12);
          const withdrawn = Math.floor(random() * (received + 1));
          const shown = Math.floor(random() * 12);
          truth.set(`${month} ${language}`, { received, withdrawn, shown });
          now = Date.parse(`${month}-10T12:00:00.000Z`) + mi * 1000;
          for (let i = 0; i < received; i++) {
            now += 1000;
            const { objection } = await veto.registry.object({
              subject: { kind: 'account', accountId: `u${++account}` },
              channel: 'api',
              language,
            });
            if (i < withdrawn) await veto.registry.withdraw(objection.id, { admin: 'test' });
          }
          const shownAt = clock();
          if (shown > 0)
            await veto.notices.recordExposures(
              Array.from({ length: shown }, (_, i) => ({
                accountId: `seen-${month}-${language}-${i}`,
                version: version.id,
                language,
                channel: 'web' as const,
                shownAt,
              })),
              'test',
            );
        }
      }
      now = Date.parse('2026-03-20T00:00:00.000Z');
      const manifest = {
        datasetId: 'ds_a',
        purpose: 'ai-training',
        policy: { id: 'p', sha256: 'a'.repeat(64) },
        snapshot: { id: 'snap', sha256: 'a'.repeat(64) },
        output: { sha256: 'a'.repeat(64), records: 40 },
        counts: { kept: 40, objected: 7, minor: 2 },
      } as unknown as DatasetManifest;
      await veto.gate.recordDataset(manifest, []);

      const report = await loadTransparencyReport(veto.consoleStore, async () => []);
      assert.equal(report.suppressionThreshold, SUPPRESSION_THRESHOLD);
      const expected = [...truth]
        .map(([key, v]) => {
          const [month, language] = key.split(' ') as [string, string];
          return {
            month,
            language,
            noticesShown: suppress(v.shown),
            objectionsReceived: suppress(v.received),
            objectionsWithdrawn: suppress(v.withdrawn),
          };
        })
        .filter(
          (r) => r.noticesShown !== 0 || r.objectionsReceived !== 0 || r.objectionsWithdrawn !== 0,
        );
      assert.deepEqual(
        report.months.map((m) => ({
          month: m.month,
          language: m.language,
          noticesShown: m.noticesShown,
          objectionsReceived: m.objectionsReceived,
          objectionsWithdrawn: m.objectionsWithdrawn,
        })),
        expected,
      );
      const values = report.months.flatMap((m) => [
        m.noticesShown,
        m.objectionsReceived,
        m.objectionsWithdrawn,
      ]);
      assert.ok(values.includes(null), 'the generated registry has small counts to suppress');
      for (const v of values) assert.ok(v === null || v === 0 || v >= SUPPRESSION_THRESHOLD);
      const sealed = (await veto.consoleStore.sealedDatasets())[0]!.recordedAt.slice(0, 7);
      assert.deepEqual(
        report.datasets.map((d) => [d.month, d.reason, d.datasets, d.records]),
        [
          [sealed, 'kept', 1, 40],
          [sealed, 'minor', 1, null],
          [sealed, 'objected', 1, 7],
        ],
      );

      if (adapter !== 'sqlite') return;
      // The same report over HTTP: JSON (in the OpenAPI document), CSV and the public page.
      const app = await buildApp(veto);
      t.after(() => app.close());
      const json = await app.inject({ method: 'GET', url: '/transparency.json' });
      assert.equal(json.statusCode, 200, json.body);
      assert.deepEqual(json.json(), report);
      const openapi = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
      assert.ok(openapi.paths['/transparency.json']?.get, 'the JSON is in the OpenAPI document');
      const csv = await app.inject({ method: 'GET', url: '/transparency.csv' });
      assert.equal(csv.statusCode, 200);
      const lines = csv.body.trim().split('\r\n');
      const header = lines[0]!.split(',');
      assert.equal(lines.length, 1 + report.months.length);
      for (const [i, m] of report.months.entries()) {
        const cells = lines[i + 1]!.split(',');
        const received = cells[header.indexOf('objectionsReceived')];
        assert.equal(received, m.objectionsReceived === null ? '' : String(m.objectionsReceived));
        assert.equal(cells[header.indexOf('month')], m.month);
      }
      const page = await app.inject({
        method: 'GET',
        url: '/transparency',
        headers: { 'accept-language': 'fr' },
      });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /Rapport de transparence/);
      assert.match(page.body, /moins de 5/);
      assert.match(page.body, /href="\/transparency\.csv"/);
    });
  });
}

describe('transparency report: time to effect, removals, recipients, memorisation', () => {
  test('median and nearest-rank 99th percentile', () => {
    assert.equal(median([1, 2, 3]), 2);
    assert.equal(median([1, 2, 3, 4]), 2.5);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(hundred, 99), 99);
    assert.equal(percentile([5], 99), 5);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10);
  });

  test('figures from generated removals and reports match the true ones', () => {
    const random = prng(7);
    const effects: RemovalEffect[] = [];
    const truth = new Map<string, number[]>();
    let pending = 0;
    for (let i = 0; i < 60; i++) {
      const language = i % 2 === 0 ? 'fr' : 'en';
      const received = Date.parse('2026-02-01T00:00:00.000Z') + i * 3_600_000;
      const hoursToEffect = Math.round(random() * 100);
      const open = i % 10 === 9;
      if (open) pending += 1;
      else truth.set(language, [...(truth.get(language) ?? []), hoursToEffect]);
      effects.push({
        removalId: `r${i}`,
        datasetId: 'ds',
        language,
        receivedAt: new Date(received).toISOString(),
        recordedAt: new Date(received + 60_000).toISOString(),
        lastAcknowledgedAt: open
          ? null
          : new Date(received + hoursToEffect * 3_600_000).toISOString(),
        pendingDeliveries: open ? 1 : 0,
      });
    }
    const reports: MemorisationReport[] = Array.from({ length: 8 }, (_, i) => ({
      id: `m${i}`,
      reference: `VT-${i}`,
      subjectKey: `acct:${i}`,
      modelId: 'mdl',
      description: 'x',
      language: 'fr',
      receivedAt: '2026-02-03T00:00:00.000Z',
      dueAt: '2026-03-03T00:00:00.000Z',
      answer:
        i < 6
          ? {
              answeredAt: '2026-02-05T00:00:00.000Z',
              answeredBy: 'staff:r',
              outcome: 'mitigated',
              text: 'ok',
            }
          : null,
    }));
    const report = computeTransparencyReport({ activity: [], effects, reports, datasets: [] });
    const cells = report.months.filter((m) => m.month === '2026-02');
    for (const language of ['en', 'fr']) {
      const row = cells.find((m) => m.language === language)!;
      const times = [...truth.get(language)!].sort((a, b) => a - b);
      assert.equal(row.removals, 30);
      assert.equal(row.medianHoursToEffect, median(times));
      assert.equal(row.p99HoursToEffect, percentile(times, 99));
    }
    // Told: every removal with all deliveries acknowledged, in the month of the last one.
    const told = report.months.reduce((n, m) => n + (m.recipientsTold ?? 0), 0);
    assert.equal(told, 60 - pending);
    const fr = cells.find((m) => m.language === 'fr')!;
    assert.equal(fr.memorisationReports, 8);
    assert.equal(fr.memorisationMitigated, 6);
    assert.equal(fr.memorisationNotReproduced, 0);
    // Fewer removals than the threshold: no time published.
    const few = computeTransparencyReport({
      activity: [],
      effects: effects.slice(0, 4),
      reports: [],
      datasets: [],
    });
    assert.equal(few.months[0]!.medianHoursToEffect, null);
    assert.equal(few.months[0]!.removals, null);
  });
});
