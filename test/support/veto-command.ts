import { fileURLToPath } from 'node:url';

/**
 * `bin/veto.js`, the `veto` command as a user runs it: tests start it with
 * `spawn(process.execPath, [VETO_BIN, ...args])`. It runs the command from a bundle of the
 * sources it keeps current (src/lib/source-bundle.js), which starts three times as fast as
 * `--import tsx src/cli/main.ts` and is what most of the suite's time went to.
 */
export const VETO_BIN = fileURLToPath(new URL('../../bin/veto.js', import.meta.url));
