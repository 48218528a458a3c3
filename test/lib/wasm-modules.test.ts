import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
// @ts-expect-error: a plain ESM script without type declarations
import { WASM_MODULES } from '../../scripts/build-wasm.mjs';
import { tempDir } from '../support/temp.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * `node scripts/build-wasm.mjs --check` compiles every AssemblyScript source and compares it with
 * its embedded module. Run as its own plain-Node process: under the test runner's tsx hooks,
 * loading the compiler alone took 28 s (2 s here).
 */
function check(root: string) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-wasm.mjs'), '--check'], {
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('embedded WebAssembly modules', () => {
  it('each is the build of its source (else: npm run build:wasm)', () => {
    const r = check(ROOT);
    assert.equal(r.code, 0, r.out + r.err);
    for (const m of WASM_MODULES as { source: string; target: string }[])
      assert.ok(r.out.includes(`${m.target} is the build of ${m.source}`), r.out);
  });

  it('a source changed without rebuilding is named as stale', (t) => {
    // A copy of the sources and the generated modules, one source edited.
    const copy = tempDir(t, 'veto-wasm-');
    for (const d of ['scripts', 'wasm']) cpSync(join(ROOT, d), join(copy, d), { recursive: true });
    for (const m of WASM_MODULES as { target: string }[]) {
      mkdirSync(join(copy, m.target, '..'), { recursive: true });
      cpSync(join(ROOT, m.target), join(copy, m.target));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const edited = join(copy, 'wasm', 'fuse-populate.ts');
    writeFileSync(
      edited,
      `${readFileSync(edited, 'utf8')}\nexport function extra(): i32 {\n  return 1;\n}\n`,
    );
    const r = check(copy);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /src\/registry-files\/fuse-populate-wasm\.ts is stale/);
    assert.doesNotMatch(r.err, /record-scanner-wasm\.ts is stale/);
  });
});
