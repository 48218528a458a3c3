import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { OptionValues } from '../cli/command.ts';
import { RegistryFileError } from '../registry-files/registry-file-error.ts';
import { offlineExclusionKey } from '../transparency/exclusion-keys.ts';
import { LogKeyError, offlineLogKeys } from '../transparency/offline-log-keys.ts';
import { VrfKeyError, type VrfPrivateKey } from '../transparency/rsa-fdh-vrf.ts';
import type { Verifier } from '../transparency/signed-note.ts';
import {
  type BuildOptions,
  buildDataset,
  DEFAULT_NOTICE_FLOOR_DAYS,
  type GateProgress,
  GateSetupError,
  noticeFloorSetting,
  type ObjectorSource,
  withoutAssessmentSetting,
} from './build.ts';
import { VERIFY_CHECKS } from './dataset-verify.ts';
import { GATE_BUILD_OPTIONS, GATE_BUILD_USAGE } from './gate-build-usage.ts';
import { type CheckOutcome, type DatasetManifest, GATE_CHECKS } from './manifest.ts';
import { loadPolicy, PolicyError } from './policy.ts';
import { progressLine, summaryTable } from './progress-view.ts';
import type { FieldMapping } from './record-fields.ts';
import type { GateRegistry } from './registry-port.ts';

/**
 * `veto gate build` (options and help in `gate-build-usage.ts`).
 *
 * Exit codes: 0 sealed, 1 the run failed (nothing sealed), 2 usage or setup error.
 * Output strings are English like the rest of the CLI (operators' tool, not end users').
 */
export { GATE_BUILD_USAGE };

interface Out {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** What the wired application offers the command (`src/app/wire.ts`'s Veto satisfies it). */
export interface GateVeto {
  /**
   * The gate's registry port with every check (`src/app/wire.ts` composes it): passed to the
   * build as it is, never rebuilt here, so no check can be left behind.
   */
  gate: GateRegistry;
  store?: unknown;
  /** Where the build journals its sealing, so a crash can be finished or undone (wire.ts). */
  buildJournalDir?: string;
  /** The VRF keys: the current one commits the dataset's subjects (`manifest.exclusion`). */
  exclusionKeys?: () => { current: VrfPrivateKey };
  /** The terms key: the dataset commits to the terms objections it applied (`manifest.terms`). */
  termsKey?: () => Uint8Array;
  snapshots?: {
    create(purpose: string): Promise<{ id: string }>;
    file(id: string): Promise<string | undefined>;
  };
  close(): Promise<void>;
}

export interface GateBuildDeps {
  loadConfig?: () => unknown;
  wireVeto?: (config: never) => Promise<GateVeto>;
  stdout?: Out;
  stderr?: Out;
  /** Seconds between plain progress lines when not on a terminal (default 10). */
  plainEverySeconds?: number;
  /** Environment (default `process.env`): VETO_PSEUDONYM_KEY. */
  env?: Record<string, string | undefined>;
}

/** Parses `argv` itself (tests and embedders); `veto` parses it in `src/cli/main.ts`. */
export async function runGateBuildCommand(
  argv: string[],
  deps: GateBuildDeps = {},
): Promise<number> {
  const stdout: Out = deps.stdout ?? process.stdout;
  const stderr: Out = deps.stderr ?? process.stderr;
  let values: OptionValues<typeof GATE_BUILD_OPTIONS> & { help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { ...GATE_BUILD_OPTIONS, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    stderr.write(`veto gate build: ${(err as Error).message}\n\n${GATE_BUILD_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    stdout.write(`${GATE_BUILD_USAGE}\n`);
    return 0;
  }
  return runGateBuild(values, positionals, deps);
}

/** Runs a build from parsed options (inputs may also be given as positional arguments). */
export async function runGateBuild(
  values: OptionValues<typeof GATE_BUILD_OPTIONS>,
  positionals: string[],
  deps: GateBuildDeps = {},
): Promise<number> {
  const stdout: Out = deps.stdout ?? process.stdout;
  const stderr: Out = deps.stderr ?? process.stderr;
  const inputs = [...(values.input ?? []), ...positionals];
  const usage = (why: string) => {
    stderr.write(`veto gate build: ${why}\n\n${GATE_BUILD_USAGE}\n`);
    return 2;
  };
  if (!values.policy) return usage('--policy is required');
  if (inputs.length === 0) return usage('at least one --input is required');
  if (!values.out) return usage('--out is required');
  if (values.snapshot && values.filter) return usage('give --snapshot or --filter, not both');
  if (values.offline && !values.snapshot && !values.filter) {
    return usage('--offline needs --snapshot or --filter (there is no registry to take one from)');
  }
  if (values['log-key'] && !values.offline)
    return usage("--log-key goes with --offline (with a registry, the log's own keys are used)");
  const format = (values.format as string | undefined) ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'parquet') return usage('--format must be jsonl or parquet');
  const runner = (values.runner as string | undefined) ?? 'local';
  if (runner !== 'local' && runner !== 'jetstream')
    return usage('--runner must be local or jetstream');
  let jetstream: { nats: string; shards: number; resume: boolean } | undefined;
  if (runner === 'jetstream') {
    const shards = Number(values.shards);
    if (!Number.isInteger(shards) || shards < 1 || shards > 100_000)
      return usage('--runner jetstream needs --shards N (a whole number from 1 to 100000)');
    const nats = (values.nats as string | undefined) ?? (deps.env ?? process.env).VETO_NATS_URL;
    if (!nats) return usage('--runner jetstream needs --nats URL (or VETO_NATS_URL)');
    jetstream = { nats, shards, resume: values.resume === true };
  } else if (values.shards !== undefined || values.nats !== undefined || values.resume) {
    return usage('--shards, --nats and --resume go with --runner jetstream');
  }
  let workers: number | undefined;
  if (values.workers !== undefined) {
    workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 0) return usage('--workers must be a whole number');
  }

  let veto: GateVeto | undefined;
  try {
    const policy = await loadPolicy(values.policy as string);
    let mapping: FieldMapping | undefined;
    if (values.map) {
      try {
        mapping = JSON.parse(await readFile(values.map as string, 'utf8')) as FieldMapping;
      } catch (err) {
        throw new GateSetupError(`--map ${values.map}: ${(err as Error).message}`);
      }
    }
    // The key stays out of argv (visible to every user of the machine): a file or the environment.
    let pseudonymKey = (deps.env ?? process.env).VETO_PSEUDONYM_KEY;
    if (values['pseudonym-key-file']) {
      try {
        pseudonymKey = (await readFile(values['pseudonym-key-file'] as string, 'utf8')).trim();
      } catch (err) {
        throw new GateSetupError(
          `--pseudonym-key-file ${values['pseudonym-key-file']}: ${(err as Error).message}`,
        );
      }
    }
    // The notice-period floor: lowered (or raised) only by this explicit setting, said on stderr
    // and recorded in the manifest, so a short notice period is never an accident.
    const { floor: noticeFloor, problem: floorProblem } = noticeFloorSetting(
      deps.env ?? process.env,
    );
    if (floorProblem) return usage(floorProblem);
    if (noticeFloor)
      stderr.write(
        `veto gate build: notice-period floor ${noticeFloor.days} days, set by VETO_NOTICE_FLOOR_DAYS (default ${DEFAULT_NOTICE_FLOOR_DAYS})\n`,
      );
    // Building without a recorded assessment: only by this explicit setting, said on stderr and
    // recorded in the manifest (docs/assessment.md).
    const { withoutAssessment, problem: assessmentProblem } = withoutAssessmentSetting(
      deps.env ?? process.env,
    );
    if (assessmentProblem) return usage(assessmentProblem);
    if (withoutAssessment && !values.offline)
      stderr.write(
        `veto gate build: ${withoutAssessment}=1: building even if no legitimate-interest assessment is recorded for this policy\n`,
      );
    let registry: GateRegistry | undefined;
    let objectors: ObjectorSource | undefined = values.snapshot
      ? { snapshot: values.snapshot as string }
      : values.filter
        ? { filter: values.filter as string }
        : undefined;
    if (!values.offline) {
      if (!deps.wireVeto || !deps.loadConfig) {
        throw new GateSetupError(
          'no registry configured; use --offline with --snapshot or --filter',
        );
      }
      veto = await deps.wireVeto(deps.loadConfig() as never);
      registry = veto.gate;
      if (!objectors) {
        if (!veto.snapshots)
          throw new GateSetupError('this registry cannot take snapshots; pass --snapshot');
        const snap = await veto.snapshots.create(policy.policy.purpose);
        const file = await veto.snapshots.file(snap.id);
        if (!file) throw new GateSetupError(`snapshot ${snap.id} has no file`);
        stdout.write(`gate: took registry snapshot ${snap.id} (${file})\n`);
        objectors = { snapshot: file };
      }
    }

    let exclusionKey: VrfPrivateKey | undefined;
    try {
      // Offline: the deployment's key when this machine has it, so that `veto dataset register`
      // later gives the dataset proofs of exclusion like any other.
      exclusionKey = veto
        ? veto.exclusionKeys?.().current
        : offlineExclusionKey(deps.env ?? process.env);
    } catch (err) {
      if (err instanceof VrfKeyError) throw new GateSetupError(err.message);
      throw err;
    }
    let logKeys: Verifier[] = [];
    if (!veto) {
      try {
        logKeys = offlineLogKeys(values['log-key'] ?? [], deps.env ?? process.env);
      } catch (err) {
        if (err instanceof LogKeyError) throw new GateSetupError(err.message);
        throw err;
      }
    }
    const live = new LiveProgress(stdout, deps.plainEverySeconds ?? 10);
    const options: BuildOptions = {
      policy,
      inputs,
      outDir: values.out as string,
      objectors: objectors!,
      registry,
      offline: values.offline === true,
      workers,
      mapping,
      ...(values.names ? { names: values.names as string } : {}),
      outputFormat: format,
      datasetId: values['dataset-id'] as string | undefined,
      pseudonymKey,
      ...(exclusionKey ? { exclusionKey } : {}),
      ...(veto?.termsKey ? { termsKey: veto.termsKey() } : {}),
      ...(logKeys.length > 0 ? { logKeys } : {}),
      noticeFloor,
      withoutAssessment,
      allowEmpty: values['allow-empty'] === true,
      journalDir: veto?.buildJournalDir,
      onProgress: (p) => live.update(p),
      ...(jetstream
        ? {
            judgeElsewhere: (await import('./jetstream-runner.ts')).jetstreamJudge(jetstream),
            replaceStaging: jetstream.resume,
          }
        : {}),
      progressIntervalMs: stdout.isTTY ? 200 : 1000,
    };
    const result = await buildDataset(options);
    live.done();
    if (result.status === 'failed') {
      stderr.write(`veto gate build: run failed, nothing sealed: ${result.error.message}\n`);
      stdout.write(`${summaryTable(result.counts, 0)}\n`);
      return 1;
    }
    const m = result.manifest;
    const seconds = (Date.parse(m.finishedAt) - Date.parse(m.startedAt)) / 1000;
    stdout.write(
      [
        `dataset ${m.datasetId} sealed in ${result.dir}`,
        `  policy   ${m.policy.id} sha256 ${m.policy.sha256}`,
        `  snapshot ${m.snapshot.id} (${m.snapshot.source}, ${m.snapshot.count.toLocaleString('en')} objectors, as of ${m.snapshot.asOf})`,
        `  anchor   ${describeAnchor(m.anchor)}`,
        `  notice   ${m.noticePeriod.noticeVersion}${m.noticePeriod.announcedAt ? ` announced from ${m.noticePeriod.announcedAt}` : ''}, shown ${m.noticePeriod.minimumDays} days before the cut-off (floor ${m.noticePeriod.floorDays} days, ${m.noticePeriod.floorSource})`,
        `  assessment ${describeAssessment(m.assessment)}`,
        `  output   ${m.output.file} ${m.output.records.toLocaleString('en')} records, sha256 ${m.output.sha256}`,
        'checks',
        ...GATE_CHECKS.map((c) => `  ${c.padEnd(18)} ${describeCheck(m.checks[c])}`),
        `verified ${result.verification.records.toLocaleString('en')} kept records before sealing (veto dataset verify: ${VERIFY_CHECKS.filter((c) => result.verification.checks[c].status === 'pass').length} checks passed, ${VERIFY_CHECKS.filter((c) => result.verification.checks[c].status === 'not checked').length} not checked; verify.json)`,
        `  redacted ${m.redactedRecords.toLocaleString('en')} records; ${seconds.toFixed(1)} s, ${(m.records / Math.max(seconds, 0.001)).toFixed(0)} records/s`,
        '',
        summaryTable(m.counts, m.blankLines),
        '',
      ].join('\n'),
    );
    return 0;
  } catch (err) {
    if (
      err instanceof PolicyError ||
      err instanceof RegistryFileError ||
      err instanceof GateSetupError
    ) {
      stderr.write(`veto gate build: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    await veto?.close();
  }
}

function describeAnchor(a: DatasetManifest['anchor']): string {
  if (!a) return 'NONE: the snapshot file carries no checkpoint of the transparency log';
  const at = `checkpoint of the transparency log at ${a.size} events`;
  if (!a.offline) return `${at}, from the registry`;
  if (a.offline.signature === 'checked')
    return `${at}, from the ${a.offline.source}, signature checked (${a.offline.signedBy})`;
  return `${at}, from the ${a.offline.source}, signature NOT checked (${a.offline.note})`;
}

function describeAssessment(a: DatasetManifest['assessment']): string {
  if (!a || a.status === 'not checked') return `NOT checked${a ? ` (${a.note})` : ''}`;
  if (a.status === 'overridden') return `none recorded: built without one (${a.source})`;
  return `${a.id} recorded ${a.recordedAt}`;
}

function describeCheck(outcome: CheckOutcome): string {
  if (outcome.status === 'performed') {
    const counts = Object.entries(outcome.counts).map(([k, n]) => `${k} ${n.toLocaleString('en')}`);
    return `performed (${counts.join(', ')})`;
  }
  return outcome.status === 'deferred' ? `NOT performed (${outcome.note})` : outcome.status;
}

/** Redraws one line on a terminal; prints a plain line every few seconds elsewhere. */
class LiveProgress {
  #lastPlain = 0;
  #drawn = false;
  constructor(
    private readonly out: Out,
    private readonly plainEverySeconds: number,
  ) {}

  update(p: GateProgress): void {
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${progressLine(p, this.out.columns ?? 100)}`);
      this.#drawn = true;
      return;
    }
    if (p.elapsedMs - this.#lastPlain >= this.plainEverySeconds * 1000 || this.#lastPlain === 0) {
      this.#lastPlain = Math.max(p.elapsedMs, 1);
      this.out.write(`${progressLine(p)}\n`);
    }
  }

  done(): void {
    if (this.#drawn) this.out.write('\r\x1b[2K');
  }
}
