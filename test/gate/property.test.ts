import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildDataset } from '../../src/gate/build.ts';
import { CONTENT_KINDS } from '../../src/gate/record-vocabulary.ts';
import { tempDir, writePolicy, writeSnapshot } from './support/fixtures.ts';
import { MemoryRegistry } from './support/memory-registry.ts';

const hasControl = (s: string) =>
  [...s].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127);
const account = fc.integer({ min: 0, max: 40 }).map((n) => `u${n}`);
const recordArb = fc.record(
  {
    id: fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !hasControl(s)),
    author_id: fc.oneof(account, fc.integer({ min: 0, max: 40 })),
    kind: fc.constantFrom(...CONTENT_KINDS, 'story'),
    audience: fc.constantFrom('public', 'friends', 'conversation'),
    created_at: fc.constantFrom('2025-04-01T10:00:00Z', '2019-01-01', '2025-01-01 00:00:00'),
    text: fc.string({ maxLength: 40 }),
    author_minor: fc.boolean(),
    region: fc.constantFrom('FR', 'DE', 'US'),
    mentions: fc.array(account, { maxLength: 3 }),
  },
  { requiredKeys: ['id', 'author_id', 'kind', 'audience', 'created_at', 'text', 'region'] },
);
// Lines as a platform export might hold them: records, and now and then garbage.
const lineArb = fc.oneof(
  { weight: 10, arbitrary: recordArb.map((r) => JSON.stringify(r)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).filter((s) => !s.includes('\n')) },
  { weight: 1, arbitrary: recordArb.map((r) => JSON.stringify(r).slice(0, -3)) },
);

describe('gate property', () => {
  it('no record of an objector (snapshot or late) ever reaches the output, for any corpus', async () => {
    const dir = await tempDir();
    const policy = await writePolicy(dir);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(lineArb, { maxLength: 60 }),
        fc.uniqueArray(account, { maxLength: 15 }),
        fc.uniqueArray(account, { maxLength: 5 }),
        fc.constantFrom(0, 0, 0, 2),
        async (lines, objectors, late, workers) => {
          run++;
          const input = join(dir, `in-${run}.jsonl`);
          await writeFile(input, lines.map((l) => `${l}\n`).join(''));
          const snapshot = await writeSnapshot(
            dir,
            objectors.map((a) => `acct:${a}`),
          );
          const registry = new MemoryRegistry();
          registry.late = late.map((a) => `acct:${a}`);
          const result = await buildDataset({
            policy,
            inputs: [input],
            outDir: join(dir, `out-${run}`),
            objectors: { snapshot },
            registry,
            workers,
            batchBytes: 512,
            // A generated corpus may hold no record: sealed empty, as the property expects.
            allowEmpty: true,
          });
          assert.equal(result.status, 'sealed');
          if (result.status !== 'sealed') return;
          const banned = new Set([...objectors, ...late].map((a) => `acct:${a}`));
          const data = await readFile(join(result.dir, 'data.jsonl'), 'utf8');
          const ids = new Set<string>();
          for (const line of data.split('\n').filter(Boolean)) {
            const r = JSON.parse(line);
            // Generated ids repeat: the output never holds one twice.
            assert.ok(!ids.has(String(r.id)), `id ${r.id} twice in the output`);
            ids.add(String(r.id));
            assert.ok(!banned.has(`acct:${r.author_id}`), `objector's record in output: ${line}`);
            for (const m of r.mentions ?? [])
              assert.ok(!banned.has(`acct:${m}`), `mentions an objector: ${line}`);
            assert.notEqual(r.kind, 'private-message');
            assert.notEqual(r.author_minor, true);
          }
          // Every non-blank line got exactly one decision.
          const decided = Object.values(result.manifest.counts).reduce((a, b) => a + b, 0);
          assert.equal(decided + result.manifest.blankLines, lines.length);
          assert.equal(result.manifest.counts.kept, data.split('\n').filter(Boolean).length);
        },
      ),
      { numRuns: 60 },
    );
  });
});
