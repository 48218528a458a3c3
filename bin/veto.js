#!/usr/bin/env node
// The `veto` command. Most commands, `serve` above all, run in this very process, so a signal
// sent to `veto` reaches the server itself and nothing can outlive it: a launcher that spawned
// the server and then got SIGKILL used to leave an orphan holding the port.
//
// The command runs from an esbuild bundle of its sources (src/lib/source-bundle.js says why:
// twice as fast to start), rebuilt whenever a source changed; through tsx when the bundle cannot
// be made (an unwritable node_modules, say) or with VETO_BUNDLE=0.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withHugePages } from './huge-pages.js';

const main = new URL('../src/cli/main.ts', import.meta.url);
const args = process.argv.slice(2);

/** The bundle's URL, or undefined to run through tsx. */
async function bundled() {
  if (process.env.VETO_BUNDLE === '0') return undefined;
  try {
    const { bundleEntry } = await import('../src/lib/source-bundle.js');
    return (await bundleEntry(main)).url;
  } catch {
    return undefined;
  }
}

const bundle = await bundled();
// The gate and the registry's snapshot and filter exports build big random-access tables: huge
// pages for them (see huge-pages.js), which glibc reads only at process start, so these run in
// a child process. The child dies with this process: signals are forwarded, and the child
// leaves when its IPC channel to us closes (which also covers SIGKILL of this process).
const bigTables = args[0] === 'gate' || args[0] === 'registry';

if (!bigTables) {
  if (bundle) {
    await import(bundle.href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import(main.href);
  }
} else {
  // tsx resolved from here, not from the working directory (veto may run from anywhere).
  const start = bundle
    ? [fileURLToPath(bundle)]
    : ['--import', import.meta.resolve('tsx'), fileURLToPath(main)];
  const child = spawn(process.execPath, [...start, ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    // The child watches for this pid to be gone (src/cli/main.ts).
    env: { ...withHugePages(process.env), VETO_DIE_WITH_PARENT: String(process.pid) },
  });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the same signal, so our caller sees what happened to the command.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}
