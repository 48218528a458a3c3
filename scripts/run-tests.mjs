#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner under tsx. Node 20's runner does not
// expand glob patterns itself, and npm runs scripts with a shell whose globs stop at one level.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
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
// One file more than there are cores: many files spend much of their time waiting (on a browser,
// a server's background job, a child process), and on the 2-core CI machine 2 files at once
// left a third of its CPU time idle (24 CPU-minutes in a 20-minute run).
const concurrency = Number(process.env.VETO_TEST_CONCURRENCY) || availableParallelism() + 1;
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...selected],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
