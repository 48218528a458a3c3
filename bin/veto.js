#!/usr/bin/env node
// The `veto` command. Most commands, `serve` above all, run in this very process (tsx registered
// here), so a signal sent to `veto` reaches the server itself and nothing can outlive it: a
// launcher that spawned the server and then got SIGKILL used to leave an orphan holding the port.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withHugePages } from './huge-pages.js';

const main = new URL('../src/cli/main.ts', import.meta.url);
const args = process.argv.slice(2);
// The gate and the registry's snapshot and filter exports build big random-access tables: huge
// pages for them (see huge-pages.js), which glibc reads only at process start, so these run in
// a child process. The child dies with this process: signals are forwarded, and the child
// leaves when its IPC channel to us closes (which also covers SIGKILL of this process).
const bigTables = args[0] === 'gate' || args[0] === 'registry';

if (!bigTables) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(main.href);
} else {
  // tsx resolved from here, not from the working directory (veto may run from anywhere).
  const tsx = import.meta.resolve('tsx');
  const child = spawn(process.execPath, ['--import', tsx, fileURLToPath(main), ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...withHugePages(process.env), VETO_DIE_WITH_PARENT: '1' },
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
