import { AppError } from '../domain/errors.ts';
import { runCli } from './run-cli.ts';

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
