import { AppError } from '../domain/errors.ts';
import { runCli } from './run-cli.ts';

// Started by bin/veto.js as its child (big-table commands): when the launcher is gone (even
// SIGKILLed, which it cannot forward), this process must not stay. Its IPC channel closing says
// so at once; the parent pid (the launcher's, in the variable) changing says so too, within half a
// second, also when the launcher died before this handler existed or the close went unnoticed
// (a `gate worker` once outlived a SIGKILLed launcher by minutes with the channel alone).
const launcher = process.env.VETO_DIE_WITH_PARENT;
if (launcher) {
  const stop = () => {
    console.error('veto: the launching process is gone; stopping');
    process.exit(129);
  };
  const parent = Number(launcher) > 1 ? Number(launcher) : process.ppid;
  if (process.ppid !== parent) stop();
  process.channel?.unref();
  process.on('disconnect', stop);
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 500).unref();
}

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(
      `veto: ${err instanceof AppError || err instanceof Error ? err.message : String(err)}`,
    );
    process.exitCode = 1;
  },
);
