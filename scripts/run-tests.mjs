#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner, from the sources' JavaScript mirror
// (scripts/test-mirror.mjs). Node 20's runner does not expand glob patterns itself, and npm runs
// scripts with a shell whose globs stop at one level.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { buildTestMirror } from './test-mirror.mjs';

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
// The test files run from their JavaScript mirror (scripts/test-mirror.mjs says why);
// VETO_TEST_MIRROR=0 runs them through tsx instead (then in the runner's own order).
const projectRoot = path.resolve(import.meta.dirname, '..');
let flags = ['--import', 'tsx'];
let run = selected;
let mirrorDir;
if (process.env.VETO_TEST_MIRROR !== '0') {
  // One mirror per run: two runs in one checkout must not rewrite each other's files. Those of
  // runs that were killed (their process is gone) are removed here.
  const cache = path.join(projectRoot, 'node_modules', '.cache', 'veto');
  for (const name of existsSync(cache) ? readdirSync(cache) : []) {
    const pid = /^test-mirror-(\d+)$/.exec(name)?.[1];
    if (pid && !running(Number(pid)))
      rmSync(path.join(cache, name), { recursive: true, force: true });
  }
  mirrorDir = path.join(cache, `test-mirror-${process.pid}`);
  const started = performance.now();
  const mirrorOf = await buildTestMirror(projectRoot, mirrorDir);
  console.log(`# test files transformed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  flags = ['--enable-source-maps'];
  // Node's runner sorts the files it is given by path, whatever their order here: each file is
  // given as a link whose name starts with its rank (the module still runs from its own path,
  // so its imports resolve as before). scripts/test-durations.mjs reads the source back.
  const order = path.join(mirrorDir, 'order');
  mkdirSync(order);
  const width = String(selected.length).length;
  run = selected.map((f, i) => {
    const link = path.join(
      order,
      `${String(i).padStart(width, '0')}-${f.split(path.sep).join('~')}.mjs`,
    );
    symlinkSync(mirrorOf(path.resolve(projectRoot, f)), link);
    return link;
  });
}
const r = spawnSync(
  process.execPath,
  [...flags, '--test', `--test-concurrency=${concurrency}`, ...reporters, ...run],
  { stdio: 'inherit' },
);
if (mirrorDir) rmSync(mirrorDir, { recursive: true, force: true });
process.exit(r.status ?? 1);

/** Whether a process with this id exists (signal 0 checks without sending anything). */
function running(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}
