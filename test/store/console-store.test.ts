import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { loadOverview } from '../../src/domain/console/overview.ts';
import { readNoticeDirectory } from '../../src/domain/notices/notice-files.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import type { InclusionRow } from '../../src/gate/registry-port.ts';
import { ADAPTERS, adapterAvailable, testVetoOn } from '../support/veto-on.ts';

const SAMPLE = new URL('../../notices/2026-01', import.meta.url).pathname;

/**
 * The console's grouped figures on both adapters, from a registry whose true figures the test
 * knows: objections on two days over channels and languages, a dataset with counts per reason,
 * a later objection whose removal still waits for its recipient, and notice exposures.
 */
for (const adapter of ADAPTERS) {
  describe(`console figures: ${adapter}`, async () => {
    const available = await adapterAvailable(adapter);
    test('per day, channel and language; effect; exposure; recipients; datasets', {
      skip: !available,
    }, async (t: TestContext) => {
      let now = Date.parse('2026-11-02T09:00:00.000Z');
      const clock = () => {
        now += 1000;
        return new Date(now).toISOString();
      };
      const { veto } = await testVetoOn(adapter, t, {}, { clock });
      const object = (accountId: string, channel: 'api' | 'portal' | 'import', language: string) =>
        veto.registry.object({ subject: { kind: 'account', accountId }, channel, language });

      await object('u1', 'api', 'en');
      await object('u2', 'api', 'fr');
      await object('u3', 'portal', 'fr');
      const manifest = {
        datasetId: 'ds_a',
        purpose: 'ai-training',
        policy: { id: 'p', sha256: 'a'.repeat(64) },
        snapshot: { id: 'snap', sha256: 'a'.repeat(64) },
        output: { sha256: 'a'.repeat(64), records: 5 },
        counts: { kept: 5, objected: 2, minor: 1 },
      } as unknown as DatasetManifest;
      await veto.gate.recordDataset(manifest, [
        { datasetId: 'ds_a', subjectKey: 'acct:u5', itemId: 'p1', role: 'author' } as InclusionRow,
      ]);
      await veto.afterwards!.addRecipient({
        datasetId: 'ds_a',
        name: 'Lab',
        webhookUrl: 'http://127.0.0.1:9/hook',
      });
      now = Date.parse('2026-11-03T10:00:00.000Z');
      await object('u4', 'import', 'de');
      await object('u5', 'api', 'en');
      await veto.removalPlanner!.drain();

      const { version } = await veto.notices.publish(readNoticeDirectory(SAMPLE), 'test');
      const shownAt = clock();
      await veto.notices.recordExposures(
        [
          {
            accountId: 'u1',
            version: version.id,
            language: 'en',
            channel: 'web',
            shownAt,
            acknowledgedAt: shownAt,
          },
          { accountId: 'u2', version: version.id, language: 'fr', channel: 'web', shownAt },
          { accountId: 'u2', version: version.id, language: 'fr', channel: 'email', shownAt },
        ],
        'test',
      );

      const o = await loadOverview(veto.consoleStore);
      assert.deepEqual(o.objectionsPerDay, [
        { day: '2026-11-02', channel: 'api', language: 'en', count: 1 },
        { day: '2026-11-02', channel: 'api', language: 'fr', count: 1 },
        { day: '2026-11-02', channel: 'portal', language: 'fr', count: 1 },
        { day: '2026-11-03', channel: 'api', language: 'en', count: 1 },
        { day: '2026-11-03', channel: 'import', language: 'de', count: 1 },
      ]);
      assert.deepEqual(
        o.timeToEffect.filter((b) => b.removals > 0),
        [{ bucket: 'pending', removals: 1 }],
      );
      assert.deepEqual(o.noticeExposure, [
        { versionId: version.id, language: 'en', shown: 1, acknowledged: 1 },
        { versionId: version.id, language: 'fr', shown: 1, acknowledged: 0 },
      ]);
      assert.deepEqual(
        o.removalsPerRecipient.map(({ recipientId: _, lastError: __, ...r }) => r),
        [{ recipient: 'Lab', datasetId: 'ds_a', acknowledged: 0, pending: 1, failing: 0 }],
      );
      assert.deepEqual(
        o.datasetsOverTime.map((d) => [d.datasetId, d.reason, d.records]),
        [
          ['ds_a', 'kept', 5],
          ['ds_a', 'objected', 2],
          ['ds_a', 'minor', 1],
        ],
      );
    });

    test('each dataset’s last verification, kept through the gate’s port', {
      skip: !available,
    }, async (t: TestContext) => {
      const { veto } = await testVetoOn(adapter, t);
      assert.deepEqual(await veto.consoleStore.lastVerifications(), []);
      const failed = {
        check: 'manifest',
        problems: 2,
        messages: ['data.jsonl: sha256 differs', 'counts differ'],
      };
      await veto.gate.recordVerification({
        datasetId: 'ds_a',
        verifiedAt: '2026-11-02T09:00:00.000Z',
        passed: true,
        by: 'gate',
        failures: [],
      });
      await veto.gate.recordVerification({
        datasetId: 'ds_b',
        verifiedAt: '2026-11-02T10:00:00.000Z',
        passed: false,
        by: 'gate',
        failures: [failed],
      });
      await veto.gate.recordVerification({
        datasetId: 'ds_a',
        verifiedAt: '2026-11-03T09:00:00.000Z',
        passed: false,
        by: 'cli',
        failures: [failed],
      });
      assert.deepEqual(await veto.consoleStore.lastVerifications(), [
        {
          datasetId: 'ds_a',
          verifiedAt: '2026-11-03T09:00:00.000Z',
          passed: false,
          by: 'cli',
          failures: [failed],
        },
        {
          datasetId: 'ds_b',
          verifiedAt: '2026-11-02T10:00:00.000Z',
          passed: false,
          by: 'gate',
          failures: [failed],
        },
      ]);
    });
  });
}
