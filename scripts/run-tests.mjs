#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner under tsx. Node 20's runner does not
// expand glob patterns itself, and npm runs scripts with a shell whose globs stop at one level.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', 'test');
const files = readdirSync(root, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => path.join('test', f))
  .sort();
const only = process.argv.slice(2);
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
if (selected.length === 0) {
  console.error(`no test files match ${only.join(' ')}`);
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', ...selected],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
