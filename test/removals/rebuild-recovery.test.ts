import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { openGateDatasetStore, openRemovalStore } from '../../src/app/wire.ts';
import type { VetoConfig } from '../../src/config.ts';
import { runVeto } from '../support/veto-cli.ts';
import { VETO_BIN } from '../support/veto-command.ts';
import { ADAPTERS, adapterAvailable, testVetoOn } from '../support/veto-on.ts';
import { buildFixtureDataset } from './support/fixture.ts';

/**
 * `veto dataset rebuild` seals the next version in the gate's order, journalled: killed (SIGKILL)
 * at each step boundary, then `veto dataset recover`, it leaves no ghost (a version sealed in the
 * registry without its directory, or the reverse) and no leftover.
 */

const STEPS = ['staged', 'renamed', 'recorded'] as const;

function vetoEnv(config: VetoConfig): Record<string, string> {
  return {
    VETO_DATA_DIR: config.dataDir,
    VETO_DATABASE_URL: config.databaseUrl,
    VETO_SECRET: config.secret,
    VETO_LOG_LEVEL: 'silent',
  };
}

for (const adapter of ADAPTERS) {
  describe(`a rebuild killed while sealing is finished or undone (${adapter})`, () => {
    it('leaves 0 ghosts and 0 leftovers after veto dataset recover, at every step', async (t) => {
      if (!(await adapterAvailable(adapter))) return t.skip();
      const { veto, config, dir } = await testVetoOn(adapter, t);
      const env = vetoEnv(config);
      const sealed = new Map<string, string>();
      for (const step of STEPS) {
        const at = join(dir, step);
        mkdirSync(at);
        sealed.set(step, (await buildFixtureDataset(veto, at, `ds_rb_${step}`)).dir);
      }
      // u1 objects after the builds: each version has removals to apply.
      const csv = join(dir, 'objections.csv');
      writeFileSync(csv, 'account_id\nu1\n');
      const imported = runVeto(env, 'objections', 'import', csv);
      assert.equal(imported.code, 0, imported.err);

      const datasets = await openGateDatasetStore(veto.store);
      for (const step of STEPS) {
        const old = sealed.get(step)!;
        const out = dirname(old);
        const next = `ds_rb_${step}.v2`;
        const killed = spawnSync(
          process.execPath,
          [VETO_BIN, 'dataset', 'rebuild', `ds_rb_${step}`, '--dir', old],
          { env: { ...process.env, ...env, VETO_TEST_CRASH_AT: step }, encoding: 'utf8' },
        );
        assert.equal(
          killed.signal,
          'SIGKILL',
          `killed at ${step}: ${killed.stdout}${killed.stderr}`,
        );
        const recovered = runVeto(env, 'dataset', 'recover', '--out', out);
        assert.equal(recovered.code, 0, recovered.err);
        const state = await datasets.datasetState(next);
        const inPlace = existsSync(join(out, next));
        assert.equal(
          (state === 'sealed') !== inPlace,
          false,
          `${step}: registry ${state ?? 'none'}, directory ${inPlace}`,
        );
        const leftovers = [
          ...readdirSync(out).filter((n) => n.endsWith('.partial')),
          ...readdirSync(veto.buildJournalDir),
          ...(state === 'unsealed' ? [`unsealed row ${next}`] : []),
        ];
        assert.deepEqual(leftovers, [], `${step}: leftovers`);
        // Before the rename the rebuild is undone; from the rename on, it is finished.
        assert.equal(inPlace, step !== 'staged', `${step}: ${recovered.out}`);
      }
      const again = runVeto(env, 'dataset', 'recover', '--out', dirname(sealed.get('staged')!));
      assert.equal(again.code, 0);
      assert.match(again.out, /nothing to recover/);
      // The undone rebuild can simply be run again.
      const rerun = runVeto(
        env,
        'dataset',
        'rebuild',
        'ds_rb_staged',
        '--dir',
        sealed.get('staged')!,
      );
      assert.equal(rerun.code, 0, rerun.err);
      assert.equal(await datasets.datasetState('ds_rb_staged.v2'), 'sealed');
      // Each version's directory is recorded, whether the build, the rebuild or recovery sealed
      // it (serve's erasure job goes there): shown through u3, whose post every version holds.
      writeFileSync(csv, 'account_id\nu3\n');
      assert.equal(runVeto(env, 'objections', 'import', csv).code, 0);
      await veto.removalPlanner!.drain();
      const expected = STEPS.flatMap((step) =>
        [`ds_rb_${step}`, `ds_rb_${step}.v2`].map((datasetId) => ({
          datasetId,
          location: join(dirname(sealed.get(step)!), datasetId),
        })),
      );
      expected.sort((a, b) => (a.datasetId < b.datasetId ? -1 : 1));
      const removals = await openRemovalStore(veto.store);
      assert.deepEqual(await removals!.sealedLocationsWithRemovals(), expected);
    });
  });
}
