import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rebuildDataset } from '../../src/domain/removals/dataset-rebuild.ts';
import type { GateRegistry } from '../../src/gate/registry-port.ts';
import { buildApp } from '../../src/http/app.ts';
import { signDemoToken } from '../../src/http/auth/platform-token.ts';
import { InjectBrowser, visibleText } from '../portal/support/browser-like.ts';
import { TEST_JWT_SECRET } from '../support/test-veto.ts';
import { ADAPTERS, adapterAvailable, testVetoOn } from '../support/veto-on.ts';
import { buildFixtureDataset, everyoneShown } from './support/fixture.ts';

/** The issue-6 flows that must behave the same on both registry adapters. */
for (const adapter of ADAPTERS) {
  describe(`after the build, on ${adapter}`, async () => {
    const available = await adapterAvailable(adapter);

    test('an objection after the build: removal, rebuild, the API and the portal show it', {
      skip: available ? false : `${adapter} unavailable`,
    }, async (t) => {
      const { veto, dir, config } = await testVetoOn(adapter, t);
      assert.ok(veto.afterwards && veto.removalPlanner && veto.recipientDispatcher);
      const app = await buildApp(veto);
      t.after(() => app.close());
      const { datasetId, dir: sealed, datasets } = await buildFixtureDataset(veto, dir);

      const u1 = {
        authorization: `Bearer ${await signDemoToken(TEST_JWT_SECRET, { sub: 'u1', lang: 'en' })}`,
      };
      const before = await app.inject({ method: 'GET', url: '/v1/me/datasets', headers: u1 });
      assert.equal(before.statusCode, 200, before.body);
      assert.equal(before.json().datasets[0].items, 3);
      const objected = await app.inject({
        method: 'POST',
        url: '/v1/objections',
        headers: u1,
        payload: {},
      });
      assert.equal(objected.statusCode, 201, objected.body);
      assert.equal(await veto.removalPlanner.drain(), 1);
      const [removal] = await veto.afterwards.removalsOf(datasetId);
      assert.deepEqual(removal!.itemIds, ['p1', 'p2', 'p3']);

      const rebuilt = await rebuildDataset({
        dir: sealed,
        removals: await veto.afterwards.removalsOf(datasetId),
        record: (m, rows) => datasets.recordDataset(m, rows),
        secret: config.secret,
        now: veto.clock,
      });
      // The rebuilt version holds nothing of u1: no removal is planned against it.
      assert.equal(await veto.removalPlanner.drain(), 0);
      const browser = new InjectBrowser(app);
      const token = await signDemoToken(TEST_JWT_SECRET, { sub: 'u1', lang: 'en' });
      await browser.follow(await browser.get(`/session?token=${token}&next=/datasets`));
      const page = await browser.get('/datasets');
      assert.equal(page.statusCode, 200);
      assert.match(
        visibleText(page.body),
        new RegExp(
          `the new version ${rebuilt.datasetId.replaceAll('.', '\\.')} no longer contains your content`,
        ),
      );
      assert.ok((await veto.registry.verifyAudit()).ok);
    });

    test("an objection after the gate's final re-check, before the dataset is recorded, still removes", {
      skip: available ? false : `${adapter} unavailable`,
    }, async (t) => {
      const { veto, dir } = await testVetoOn(adapter, t);
      let plannedMeanwhile = -1;
      // The gate's port, with the objection (and a planner pass) landing between the gate's
      // `objectorsAddedSince` re-check and the end of `recordDataset`.
      const racing: GateRegistry = {
        ...everyoneShown(veto.gate),
        objectorsAddedSince: (purpose, asOf) => veto.gate.objectorsAddedSince(purpose, asOf),
        async recordDataset(manifest, rows) {
          await veto.registry.object({
            subject: { kind: 'account', accountId: 'u1' },
            channel: 'api',
            language: 'en',
          });
          plannedMeanwhile = await veto.removalPlanner!.drain();
          await veto.gate.recordDataset(manifest, rows);
        },
      };
      const { datasetId } = await buildFixtureDataset(veto, dir, 'ds_race', racing);
      assert.equal(plannedMeanwhile, 0, 'the planner passed the objection before the dataset');
      assert.equal(await veto.removalPlanner!.drain(), 1, 'caught up once the dataset is sealed');
      const removals = await veto.afterwards!.removalsOf(datasetId);
      assert.deepEqual(
        removals.map((r) => r.itemIds),
        [['p1', 'p2', 'p3']],
      );
      assert.equal(await veto.removalPlanner!.drain(), 0);
    });
  });
}
