import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
// @ts-expect-error: a plain ESM script without type declarations
import { compileWasm, generatedSource, WASM_MODULES } from '../../scripts/build-wasm.mjs';

const ROOT = join(import.meta.dirname, '..', '..');

describe('embedded WebAssembly modules', () => {
  for (const module of WASM_MODULES as { source: string; target: string; flags?: string[] }[]) {
    it(`${module.target} is the build of ${module.source} (else: npm run build:wasm)`, async () => {
      const built: Buffer = await compileWasm(module.source, module.flags);
      const embedded = await readFile(join(ROOT, module.target), 'utf8');
      assert.equal(
        embedded,
        generatedSource(module, built),
        `${module.target} is stale: run npm run build:wasm`,
      );
    });
  }
});
