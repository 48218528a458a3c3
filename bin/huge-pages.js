#!/usr/bin/env node
// Transparent huge pages for the gate's big tables, through glibc's malloc tunable.
//
// Why: the objector table (134 MB at 10M objectors) and the filter (113 MB at 100M) are read at
// random, every read a TLB miss on 4 KB pages; the page walks, not the memory, bound the lookups.
// Node cannot madvise(MADV_HUGEPAGE) a buffer, and where THP is in `madvise` mode (Debian's
// default) nothing else gives big buffers huge pages. glibc >= 2.35 does it for the memory it maps
// when GLIBC_TUNABLES has glibc.malloc.hugetlb=1, read once at process start: so the launchers
// (bin/veto.js, `npm run bench`) start Node with it. Measured in alternating runs of the gate
// benchmark's build (1 GB, 10M objectors, 2 workers): 7.0-7.3 s instead of 7.5-7.8 s, 12.6-13.2
// CPU-s instead of 13.5-14.1; batched filter lookups at 100M keys (keys hashed beforehand)
// 15.7M/s -> 17.2-18.0M/s. Other C libraries ignore the variable, and an operator's own
// glibc.malloc.hugetlb setting is kept.
//
//   node bin/huge-pages.js COMMAND [ARGS...]   runs COMMAND with the tunable set

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** `env` with glibc.malloc.hugetlb=1 added to GLIBC_TUNABLES, unless it names that tunable. */
export function withHugePages(env) {
  const tunables = env.GLIBC_TUNABLES ?? '';
  if (/(^|:)glibc\.malloc\.hugetlb=/.test(tunables)) return env;
  const hugetlb = 'glibc.malloc.hugetlb=1';
  return { ...env, GLIBC_TUNABLES: tunables ? `${tunables}:${hugetlb}` : hugetlb };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.error('usage: node bin/huge-pages.js COMMAND [ARGS...]');
    process.exit(2);
  }
  // Windows finds npm's command shims (tsx.cmd) only through its shell.
  const r = spawnSync(command, args, {
    stdio: 'inherit',
    env: withHugePages(process.env),
    shell: process.platform === 'win32',
  });
  if (r.error) {
    console.error(`huge-pages: cannot run ${command}: ${r.error.message}`);
    process.exit(127);
  }
  process.exit(r.status ?? 1);
}
