import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Veto } from '../../../src/app/wire.ts';
import type { ObjectorSource } from '../../../src/gate/build.ts';
import { buildDataset } from '../../../src/gate/build.ts';
import type { GateRegistry } from '../../../src/gate/registry-port.ts';
import { jsonl, record, writePolicy, writeSnapshot } from '../../gate/support/fixtures.ts';
import {
  MemoryRegistry,
  recordedSnapshots,
  TEST_ASSESSMENT,
} from '../../gate/support/memory-registry.ts';

/**
 * The wired port, with the fixture's authors shown the notice long before its cut-off (the
 * notice period has its own tests, test/gate/required-checks.test.ts): records and re-checks are real.
 * The gate fixtures' snapshot files stand for snapshots this registry took (the registry's record
 * of a snapshot has its own tests, test/gate/snapshot-integrity.test.ts), and their policies as
 * assessed (the assessment requirement has its own tests, test/cli/assessment.test.ts).
 */
export function everyoneShown(gate: GateRegistry): GateRegistry {
  return {
    ...gate,
    snapshotRecord: async (id) => (await gate.snapshotRecord(id)) ?? recordedSnapshots.get(id),
    // A fixture snapshot is anchored as the memory registry anchors it (not in this registry's
    // log: a verify against the registry's records needs a snapshot the registry took).
    snapshotAnchor: async (id) =>
      (await gate.snapshotAnchor(id)) ?? new MemoryRegistry().snapshotAnchor(id),
    subjectsWithoutNotice: async () => [],
    noticeCheckProblem: async () => undefined,
    noticeAnnouncedAt: async () => undefined,
    assessmentFor: async (sha) => (await gate.assessmentFor(sha)) ?? TEST_ASSESSMENT,
  };
}

/**
 * A sealed dataset built by the gate's own build function against the wired registry, so the
 * inclusion index is real: u1 wrote p1 and p2 and is mentioned in p3 (by u2); u3 wrote p4.
 */
export async function buildFixtureDataset(
  veto: Veto,
  dir: string,
  datasetId = 'ds_fixture',
  /** The registry port the build records through (default: the wired one, either adapter). */
  datasets: GateRegistry = everyoneShown(veto.gate),
  /** The objector set (default: an empty fixture snapshot file). */
  objectors?: ObjectorSource,
): Promise<{ datasetId: string; dir: string; datasets: GateRegistry }> {
  const input = join(dir, 'export.jsonl');
  await writeFile(
    input,
    jsonl([
      record({ id: 'p1', author_id: 'u1', text: 'first post by u1' }),
      record({ id: 'p2', author_id: 'u1', text: 'second post by u1' }),
      record({ id: 'p3', author_id: 'u2', text: 'u2 talks about u1', mentions: ['u1'] }),
      record({ id: 'p4', author_id: 'u3', text: 'u3 alone' }),
    ]),
  );
  const result = await buildDataset({
    policy: await writePolicy(dir),
    inputs: [input],
    outDir: join(dir, 'datasets'),
    objectors: objectors ?? { snapshot: await writeSnapshot(dir, []) },
    registry: datasets,
    workers: 0,
    datasetId,
  });
  if (result.status !== 'sealed') throw result.error;
  return { datasetId, dir: result.dir, datasets };
}
