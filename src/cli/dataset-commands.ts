import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Veto, wireVeto } from '../app/wire.ts';
import type { ObjectorSource } from '../gate/build.ts';
import { registerDataset } from '../gate/dataset-register.ts';
import { formatVerifyReport, type VerifyReport, verifyDataset } from '../gate/dataset-verify.ts';
import { verificationOf } from '../gate/verification-outcome.ts';
import { type CliContext, type Command, defineCommand, UsageError } from './command.ts';

/** The dataset directory a `DATASET|DIR` argument names (a directory, or an id under `--in`). */
function datasetDir(arg: string, parent: string | undefined): string {
  const candidates = [arg, ...(parent ? [path.join(parent, arg)] : [])];
  for (const dir of candidates) {
    if (existsSync(path.join(dir, 'manifest.json')) && statSync(dir).isDirectory()) return dir;
  }
  throw new UsageError(
    `no dataset directory (with manifest.json) at ${candidates.join(' or ')}: give the directory, or a dataset id with --in PARENT`,
  );
}

function objectorSource(values: {
  snapshot?: string;
  filter?: string;
}): ObjectorSource | undefined {
  if (values.snapshot && values.filter)
    throw new UsageError('give --snapshot or --filter, not both');
  if (values.snapshot) return { snapshot: values.snapshot };
  if (values.filter) return { filter: values.filter };
  return undefined;
}

/**
 * Opens the registry unless `--offline`. A registry that is configured but cannot be opened is
 * an error, never a silent fallback to fewer checks.
 */
async function openRegistry(h: CliContext, offline: boolean): Promise<Veto | undefined> {
  if (offline) return undefined;
  try {
    return await wireVeto(h.loadConfig());
  } catch (err) {
    throw new RegistryUnreachable((err as Error).message);
  }
}

class RegistryUnreachable extends Error {}

/** Keeps a verification's outcome in the registry it ran against (the console shows it). */
async function keepOutcome(veto: Veto, report: VerifyReport, dir: string): Promise<void> {
  await veto.gate.recordVerification(
    verificationOf(report, 'cli', veto.clock(), path.basename(path.resolve(dir))),
  );
}

/** `veto dataset verify`, `veto dataset register`: the independent check, and recording an offline build. */
export const datasetCommands: Command[] = [
  defineCommand({
    name: 'dataset verify',
    synopsis:
      'DATASET|DIR [--in PARENT] [--snapshot FILE | --filter FILE] [--offline] [--threads N] [--json]',
    summary: 'check a sealed dataset independently of its build (exit 0 only if every check holds)',
    details: `  DATASET|DIR         the dataset's directory, or its id with --in PARENT
  --in PARENT         the folder the dataset was sealed in (for a dataset id)
  --snapshot FILE     the objector set at the cut-off, as a snapshot file
  --filter FILE       the same as a filter file (a recipient's or a regulator's copy)
  --offline           do not open the registry: objector set from --snapshot/--filter (or the
                      snapshot file the manifest names); late objections, the notice period and
                      third parties' terms are then reported "not checked"
  --threads N         worker threads that read the data (default: one per core for a data file
                      of 32 MiB or more, else none; 0 reads it on the main thread)
  --json              print the report as JSON

  Checks: the manifest's hashes (and, with the registry, its record of the dataset and of the
  snapshot); every line valid UTF-8 JSON; unique ids; no kept record by or mentioning a subject
  whose objection was effective at the cut-off; with the registry, the manifest's anchor (the
  transparency log's signed checkpoint at the snapshot: signature, consistency with the log now,
  and the objector set replayed from the log's events); objections received since (before the build's
  re-check: a failure; after it: listed as removals due); every kept author shown the notice
  the policy asks; no third party's term unredacted; the counts per reason add up. With the
  registry, the outcome (passed or failed, the failed checks) is kept there for the console.
  Exit codes: 0 verified, 1 a check failed, 2 usage error or registry not reachable.`,
    options: {
      in: { type: 'string' },
      snapshot: { type: 'string' },
      filter: { type: 'string' },
      offline: { type: 'boolean' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
    },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }, h) {
      const dir = datasetDir(positionals[0]!, values.in);
      const objectors = objectorSource(values);
      const threads = values.threads === undefined ? undefined : Number(values.threads);
      if (threads !== undefined && !(Number.isInteger(threads) && threads >= 0 && threads <= 256)) {
        console.error(
          `veto dataset verify: --threads must be a whole number from 0 to 256 (got "${values.threads}")`,
        );
        return 2;
      }
      let veto: Veto | undefined;
      try {
        veto = await openRegistry(h, values.offline === true);
      } catch (err) {
        console.error(
          `veto dataset verify: the registry is not reachable (${(err as Error).message}); run with --offline and --snapshot or --filter to verify without it`,
        );
        return 2;
      }
      try {
        const report = await verifyDataset({
          dir,
          objectors,
          threads,
          ...(veto ? { registry: veto.gate, records: veto.datasetRecords } : {}),
        });
        console.log(values.json ? JSON.stringify(report, null, 2) : formatVerifyReport(report));
        if (veto) {
          try {
            await keepOutcome(veto, report, dir);
          } catch (err) {
            console.error(
              `veto dataset verify: the outcome could not be kept in the registry (${(err as Error).message})`,
            );
            return 2;
          }
        }
        return report.ok ? 0 : 1;
      } finally {
        await veto?.close();
      }
    },
  }),

  defineCommand({
    name: 'dataset register',
    synopsis: 'DATASET|DIR [--in PARENT] [--snapshot FILE | --filter FILE]',
    summary: 'record an offline build in the registry, if veto dataset verify passes it',
    details: `  DATASET|DIR         the dataset's directory, or its id with --in PARENT
  --in PARENT         the folder the dataset was sealed in (for a dataset id)
  --snapshot FILE     check against this objector set instead of the registry's own
  --filter FILE       the same as a filter file

  Verifies the dataset against the registry (every check of veto dataset verify), then records
  it and its inclusion index, read from the data itself: later objections then plan removals
  for it and "Am I in the dataset?" finds it. Objections received since the cut-off are
  removals due, recorded by the removal planner. A dataset the registry already holds is left
  as it is. Exit codes: 0 registered (or already), 1 refused (the report says why), 2 usage
  error or registry not reachable.`,
    options: {
      in: { type: 'string' },
      snapshot: { type: 'string' },
      filter: { type: 'string' },
    },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }, h) {
      const dir = datasetDir(positionals[0]!, values.in);
      const objectors = objectorSource(values);
      let veto: Veto | undefined;
      try {
        veto = await openRegistry(h, false);
      } catch (err) {
        console.error(
          `veto dataset register: the registry is not reachable (${(err as Error).message})`,
        );
        return 2;
      }
      try {
        const result = await registerDataset({
          dir,
          registry: veto!.gate,
          records: veto!.datasetRecords,
          ...(objectors ? { objectors } : {}),
        });
        await keepOutcome(veto!, result.report, dir);
        if (result.status === 'refused') {
          console.log(formatVerifyReport(result.report));
          console.error(`veto dataset register: ${result.datasetId} not registered: ${result.why}`);
          return 1;
        }
        // Plan now, so the removals due for it are recorded before this command returns.
        await veto!.removalPlanner?.drain();
        console.log(
          result.status === 'registered'
            ? `dataset ${result.datasetId} registered: ${result.rows.toLocaleString('en')} inclusion rows from ${result.report.records.toLocaleString('en')} records${result.report.removalsDue.length ? `; ${result.report.removalsDue.length} subjects objected since the cut-off (removals due)` : ''}`
            : `dataset ${result.datasetId} is already registered (it matches the registry's record)`,
        );
        // What the registry checked of the build's anchor in the transparency log.
        const anchor = result.report.checks.anchor;
        console.log(
          `  anchor ${anchor.status === 'pass' ? 'ok' : anchor.status}${anchor.detail ? `: ${anchor.detail}` : ''}`,
        );
        return 0;
      } finally {
        await veto?.close();
      }
    },
  }),
];
