/**
 * `npm run bench [-- name...]`: runs the benchmarks under bench/ (all by default). Each prints
 * its figures next to the baseline it names, as ratios from the same run.
 */
const BENCHES: Record<string, () => Promise<{ run: () => Promise<unknown> }>> = {
  intake: () => import('./intake/index.ts'),
  build: () => import('./build/index.ts'),
  gate: () => import('./gate/index.ts'),
  redact: () => import('./redact/index.ts'),
  removals: () => import('./removals/index.ts'),
  scale: () => import('./scale/index.ts'),
  notice: () => import('./notice/index.ts'),
  transparency: () => import('./transparency/index.ts'),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !BENCHES[w]);
if (unknown.length) {
  console.error(
    `unknown benchmark: ${unknown.join(', ')} (have: ${Object.keys(BENCHES).join(', ')})`,
  );
  process.exit(2);
}
// `npm run bench` starts this through bin/huge-pages.js, as bin/veto.js starts the gate: said
// here because the gate's and the filter's figures depend on it.
console.log(`GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? '(unset: no huge pages)'}`);
for (const name of wanted.length ? wanted : Object.keys(BENCHES)) {
  console.log(`\n=== bench/${name} ===`);
  const mod = await BENCHES[name]!();
  await mod.run();
}
