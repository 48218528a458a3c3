import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildDataset } from '../../src/gate/build.ts';
import { jsonl, record, tempDir, writePolicy, writeSnapshot } from './support/fixtures.ts';
import { TermsRegistry } from './support/memory-registry.ts';

describe('third parties who objected', () => {
  for (const workers of [0, 2]) {
    it(`their names and handles are redacted wherever they appear (${workers} workers)`, async () => {
      const dir = await tempDir();
      const input = join(dir, 'content.jsonl');
      await writeFile(
        input,
        jsonl([
          record({ id: 'a', text: 'Dinner with Nina Roux and @nina_r tonight' }),
          record({ id: 'b', text: 'NINA ROUX was there too' }),
          record({ id: 'c', text: 'Nothing about anyone' }),
          record({ id: 'd', text: 'Ninas Rouxville is a place, @nina_rx another person' }),
        ]),
      );
      const result = await buildDataset({
        policy: await writePolicy(dir),
        inputs: [input],
        outDir: join(dir, 'out'),
        objectors: { snapshot: await writeSnapshot(dir, []) },
        registry: new TermsRegistry(['Nina Roux', '@nina_r']),
        workers,
        datasetId: 'ds_terms',
      });
      assert.equal(result.status, 'sealed');
      if (result.status !== 'sealed') return;
      const texts = (await readFile(join(result.dir, 'data.jsonl'), 'utf8'))
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { text: string }).text);
      assert.equal(texts.length, 4);
      for (const t of texts) {
        assert.doesNotMatch(t, /Nina Roux|@nina_r\b/i, t);
      }
      assert.match(texts[2]!, /^Nothing about anyone$/);
      assert.match(texts[3]!, /Ninas Rouxville/, 'only the exact terms, on word boundaries');
      assert.match(texts[3]!, /@nina_rx/);
      assert.equal(result.manifest.thirdPartyTerms.count, 2);
    });
  }
});
