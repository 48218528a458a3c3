#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (no build step); worker threads inherit the loader.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withHugePages } from './huge-pages.js';

const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const args = process.argv.slice(2);
// The gate and the registry's snapshot and filter exports build big random-access tables:
// huge pages for them (see huge-pages.js). The server keeps the C library's defaults.
const bigTables = args[0] === 'gate' || args[0] === 'registry';
const r = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], {
  stdio: 'inherit',
  env: bigTables ? withHugePages(process.env) : process.env,
});
process.exit(r.status ?? 1);
