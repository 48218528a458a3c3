import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildDataset } from '../../src/gate/build.ts';
import { tempDir, writeSnapshot } from './support/fixtures.ts';
import { MemoryRegistry } from './support/memory-registry.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The README's walkthrough uses these files: they must stay valid and keep telling the story. */
describe('shipped example: demo policy and export', () => {
  it('builds, with the decisions the README describes', async () => {
    const dir = await tempDir();
    const result = await buildDataset({
      policy: join(root, 'policies/demo.yaml'),
      inputs: [join(root, 'examples/demo-export.jsonl')],
      outDir: join(dir, 'out'),
      objectors: { snapshot: await writeSnapshot(dir, ['acct:demo-oliver']) },
      registry: new MemoryRegistry(),
      workers: 0,
      datasetId: 'ds_demo',
      // The demo policy has no waiting period; the README's walkthrough lowers the floor so.
      noticeFloor: { days: 0, source: 'VETO_NOTICE_FLOOR_DAYS' },
    });
    assert.equal(result.status, 'sealed', result.status === 'failed' ? result.error.stack : '');
    if (result.status !== 'sealed') return;
    const c = result.manifest.counts;
    assert.equal(c.kept, 2);
    assert.equal(c.objected, 3);
    assert.equal(c['objected-mention'], 1);
    assert.equal(c.minor, 1);
    assert.equal(c.malformed, 1);
  });

  for (const policy of ['meta-2024.yaml', 'meta-2025.yaml']) {
    it(`the shipped ${policy} builds offline`, async () => {
      const dir = await tempDir();
      const result = await buildDataset({
        policy: join(root, 'policies', policy),
        inputs: [join(root, 'examples/demo-export.jsonl')],
        outDir: join(dir, 'out'),
        objectors: { snapshot: await writeSnapshot(dir, []) },
        offline: true,
        workers: 0,
        datasetId: 'ds_offline',
      });
      assert.equal(result.status, 'sealed', result.status === 'failed' ? result.error.stack : '');
    });
  }
});
