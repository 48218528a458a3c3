#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner under tsx. Node 20's runner does not
// expand glob patterns itself, and npm runs scripts with a shell whose globs stop at one level.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', 'test');
const files = readdirSync(root, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => path.join('test', f))
  .sort();
const args = process.argv.slice(2);
const record = args.includes('--record-durations');
const only = args.filter((a) => a !== '--record-durations');
// The longest files first (durations from the last recorded run; files not in it, first of
// all): a long file that starts last is the suite's tail, with the other cores idle.
const durationsFile = path.resolve(import.meta.dirname, '..', 'test', 'durations.json');
const durations = existsSync(durationsFile) ? JSON.parse(readFileSync(durationsFile, 'utf8')) : {};
const known = (f) => durations[f.split(path.sep).join('/')] ?? Number.MAX_SAFE_INTEGER;
const selected = (only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files)
  .map((f) => [f, known(f)])
  .sort((a, b) => b[1] - a[1])
  .map(([f]) => f);
if (selected.length === 0) {
  console.error(`no test files match ${only.join(' ')}`);
  process.exit(1);
}
// One file more than there are cores: many files spend much of their time waiting (on a browser,
// a server's background job, a child process), and on the 2-core CI machine 2 files at once
// left a third of its CPU time idle (24 CPU-minutes in a 20-minute run).
const concurrency = Number(process.env.VETO_TEST_CONCURRENCY) || availableParallelism() + 1;
// `--record-durations` writes test/durations.json (commit it when the suite's shape changed).
const reporters = record
  ? [
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${path.resolve(import.meta.dirname, 'test-durations.mjs')}`,
      `--test-reporter-destination=${durationsFile}`,
    ]
  : [];
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...reporters, ...selected],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
