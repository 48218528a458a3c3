import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openGateDatasetStore, openRemovalStore } from '../../src/app/wire.ts';
import type { VetoConfig } from '../../src/config.ts';
import { readNoticeDirectory } from '../../src/domain/notices/notice-files.ts';
import { recordAssessmentFor } from '../support/assessment-text.ts';
import { runVeto } from '../support/veto-cli.ts';
import { VETO_BIN } from '../support/veto-command.ts';
import { ADAPTERS, adapterAvailable, testVetoOn } from '../support/veto-on.ts';
import { jsonl, record, TEST_POLICY, writePolicy } from './support/fixtures.ts';

/**
 * Sealing cannot half-happen: `veto gate build` is killed (SIGKILL) at each step boundary of
 * sealing, then `veto dataset recover` runs; afterwards there is no ghost (a dataset sealed in
 * the registry without its directory, or a directory the registry does not hold sealed) and no
 * leftover (`.partial` directory, journal entry, unfinished recording).
 */

const NOTICE_DIR = fileURLToPath(new URL('../../notices/2026-01', import.meta.url));
const DAY = 86_400_000;
/** Step boundaries of sealing (src/gate/build-sealing.ts, `crashPoint`), in order. */
const STEPS = ['staged', 'renamed', 'recording', 'recorded'] as const;

function vetoEnv(config: VetoConfig): Record<string, string> {
  return {
    VETO_DATA_DIR: config.dataDir,
    VETO_DATABASE_URL: config.databaseUrl,
    VETO_SECRET: config.secret,
    VETO_LOG_LEVEL: 'silent',
  };
}

for (const adapter of ADAPTERS) {
  describe(`a gate build killed while sealing is finished or undone (${adapter})`, () => {
    it('leaves 0 ghosts and 0 leftovers after veto dataset recover, at every step', async (t) => {
      if (!(await adapterAvailable(adapter))) return t.skip();
      let now = Date.now() - 60 * DAY;
      const { veto, config, dir } = await testVetoOn(
        adapter,
        t,
        {},
        { clock: () => new Date(now).toISOString() },
      );
      await veto.notices.publish(readNoticeDirectory(NOTICE_DIR), 'test');
      now = Date.now() - 59 * DAY;
      await veto.notices.recordExposures(
        ['u1', 'u2'].map((accountId) => ({
          accountId,
          version: '2026-01',
          language: 'en',
          channel: 'in-app' as const,
          shownAt: new Date(now).toISOString(),
        })),
        'test',
      );
      now = Date.now();
      const env = vetoEnv(config);
      const policy = await writePolicy(
        dir,
        TEST_POLICY.replace('version: "2025-04"', 'version: "2026-01"'),
        'policy-2026.yaml',
      );
      await recordAssessmentFor(veto, policy);
      const input = join(dir, 'in.jsonl');
      writeFileSync(
        input,
        jsonl([record({ id: 'a' }), record({ id: 'b', author_id: 'u2', mentions: ['u1'] })]),
      );
      const out = join(dir, 'datasets');
      const datasets = await openGateDatasetStore(veto.store);
      const summary: string[] = [];
      for (const step of STEPS) {
        const id = `ds_crash_${step}`;
        const killed = spawnSync(
          process.execPath,
          [
            VETO_BIN,
            'gate',
            'build',
            '--policy',
            policy,
            '--input',
            input,
            '--out',
            out,
            '--workers',
            '0',
            '--dataset-id',
            id,
          ],
          { env: { ...process.env, ...env, VETO_TEST_CRASH_AT: step }, encoding: 'utf8' },
        );
        assert.equal(killed.signal, 'SIGKILL', `killed at ${step}: ${killed.stderr}`);
        const recovered = runVeto(env, 'dataset', 'recover', '--out', out);
        assert.equal(recovered.code, 0, recovered.err);
        const state = await datasets.datasetState(id);
        const inPlace = existsSync(join(out, id));
        const ghost = (state === 'sealed') !== inPlace;
        const leftovers = [
          ...readdirSync(out).filter((n) => n.endsWith('.partial')),
          ...readdirSync(veto.buildJournalDir),
          ...(state === 'unsealed' ? [`unsealed row ${id}`] : []),
        ];
        summary.push(`${step}: ${recovered.out.trim()}`);
        assert.equal(ghost, false, `${step}: registry ${state ?? 'none'}, directory ${inPlace}`);
        assert.deepEqual(leftovers, [], `${step}: leftovers`);
        // Before the rename the build is undone; from the rename on, it is finished.
        const finished = step === 'renamed' || step === 'recording' || step === 'recorded';
        assert.equal(inPlace, finished, `${step}: ${recovered.out}`);
      }
      t.diagnostic(summary.join('\n'));
      // The recovered datasets are whole: the removal planner's index has their rows.
      const index = datasets as unknown as {
        datasetsForSubject(key: string): Promise<{ datasetId: string }[]>;
      };
      const mine = await index.datasetsForSubject('acct:u1');
      assert.deepEqual(mine.map((d) => d.datasetId).sort(), [
        'ds_crash_recorded',
        'ds_crash_recording',
        'ds_crash_renamed',
      ]);
      // Nothing left for a second pass.
      const again = runVeto(env, 'dataset', 'recover', '--out', out);
      assert.equal(again.code, 0);
      assert.match(again.out, /nothing to recover/);
      // The log names each sealed dataset exactly once, whether its build or recovery finished
      // the recording, with the hash of the manifest in its directory; the undone one not at all.
      const sealedEvents = new Map<string, Record<string, unknown>[]>();
      for await (const e of veto.store.readEvents()) {
        if (e.type !== 'dataset.sealed') continue;
        const id = String(e.data.datasetId);
        sealedEvents.set(id, [...(sealedEvents.get(id) ?? []), e.data]);
      }
      assert.deepEqual([...sealedEvents.keys()].sort(), [
        'ds_crash_recorded',
        'ds_crash_recording',
        'ds_crash_renamed',
      ]);
      for (const [id, events] of sealedEvents) {
        assert.equal(events.length, 1, `${id}: ${events.length} dataset.sealed events`);
        const bytes = readFileSync(join(out, id, 'manifest.json'));
        assert.equal(events[0]!.manifestSha256, createHash('sha256').update(bytes).digest('hex'));
      }
      const audit = runVeto(env, 'audit', 'verify');
      assert.equal(audit.code, 0, audit.out + audit.err);
      // Each sealed dataset's directory is recorded, whether the build or recovery recorded it
      // (serve's erasure job goes there): shown through an objection by u1, who is in each.
      await veto.registry.object({
        subject: { kind: 'account', accountId: 'u1' },
        channel: 'api',
        language: 'en',
      });
      await veto.registry.drain();
      await veto.removalPlanner!.drain();
      const removals = await openRemovalStore(veto.store);
      assert.deepEqual(
        await removals!.sealedLocationsWithRemovals(),
        ['ds_crash_recorded', 'ds_crash_recording', 'ds_crash_renamed'].map((datasetId) => ({
          datasetId,
          location: join(out, datasetId),
        })),
      );
    });
  });
}
