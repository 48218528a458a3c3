// A node:test reporter that writes how long each test file took (the sum of its top-level tests),
// as JSON, for scripts/run-tests.mjs to start the longest files first. Used by
// `node scripts/run-tests.mjs --record-durations`.
export default async function* durations(source) {
  const files = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { nesting, file, details } = event.data;
    if (nesting !== 0 || !file) continue;
    files.set(file, (files.get(file) ?? 0) + (details?.duration_ms ?? 0));
  }
  const root = process.cwd();
  // A file run from the test mirror is named by its source: its link in the mirror's `order`
  // folder is `<rank>-test~area~name.test.ts.mjs` (scripts/run-tests.mjs).
  const sourceOf = (file) => {
    const link = /[\\/]test-mirror-\d+[\\/]order[\\/]\d+-(.+)\.mjs$/.exec(file);
    return link ? `${root}/${link[1].split('~').join('/')}` : file;
  };
  const rows = [...files]
    .map(([f, ms]) => {
      const file = sourceOf(f);
      return [file.startsWith(root) ? file.slice(root.length + 1) : file, Math.round(ms)];
    })
    .sort((a, b) => b[1] - a[1]);
  yield `${JSON.stringify(Object.fromEntries(rows), null, 2)}\n`;
}
