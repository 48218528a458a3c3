import { AppError } from '../domain/errors.ts';
import { runCli } from './run-cli.ts';

// Started by bin/veto.js as its child (big-table commands): when the launcher is gone (even
// SIGKILLed, which it cannot forward), its IPC channel closes and this process must not stay.
if (process.env.VETO_DIE_WITH_PARENT === '1' && process.channel) {
  process.channel.unref();
  process.on('disconnect', () => {
    console.error('veto: the launching process is gone; stopping');
    process.exit(129);
  });
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
