import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { readExclusionLeaves } from './exclusion-commitment.ts';
import { readInclusionFile } from './inclusion-file.ts';
import type { DatasetManifest } from './manifest.ts';
import type { GateRegistry } from './registry-port.ts';
import { readTermsLeaves } from './terms-leaves.ts';

/**
 * Sealing that cannot half-happen. A build with a registry seals in this order:
 *
 * 1. a journal entry `<data dir>/builds/<dataset id>.json` (the staging and final directories,
 *    the process id) is written and fsynced before the staging directory is made;
 * 2. the staging directory `<out>/.<id>.partial/` is written, every file fsynced;
 * 3. it is renamed to `<out>/<id>/` and the parent directory fsynced;
 * 4. only then is the dataset recorded in the registry (`recordDataset`, whose last step sets
 *    `sealed_at`): the removal planner reads sealed datasets only, so it never targets a dataset
 *    whose directory is not in place;
 * 5. the journal entry is removed.
 *
 * A crash leaves a journal entry, and {@link recoverDatasets} (run by `serve` at start and by
 * `veto dataset recover`) finishes or undoes what it names: a renamed directory whose dataset is
 * not sealed is recorded from its own manifest and inclusion index (the removal planner's
 * catch-up then checks it against every objection effective since); anything before the rename
 * is discarded (rows of an unfinished recording deleted, the `.partial` directory removed). A
 * sealed dataset without its directory (left by versions that recorded before renaming) cannot
 * be repaired and is reported. `.partial` directories no live build owns are removed.
 */
export interface BuildJournalEntry {
  datasetId: string;
  staging: string;
  finalDir: string;
  pid: number;
  host: string;
  startedAt: string;
}

/** What recovery needs from the registry's dataset records (both dataset stores). */
export interface DatasetRecoveryStore {
  /** `sealed`, `unsealed` (a recording that did not finish) or undefined (no row). */
  datasetState(id: string): Promise<'sealed' | 'unsealed' | undefined>;
  /** Deletes an unsealed dataset's rows (its inclusion rows, then its row); sealed ones stay. */
  discardUnsealedDataset(id: string): Promise<void>;
}

export interface RecoveryAction {
  datasetId: string;
  action:
    | 'recorded'
    | 'already sealed'
    | 'discarded'
    | 'removed leftover'
    | 'in progress'
    | 'sealed without directory';
  detail: string;
}

export function journalPath(journalDir: string, datasetId: string): string {
  return join(journalDir, `${datasetId}.json`);
}

/** Step 1: the journal entry, durable before anything else of the build exists. */
export async function openBuildJournal(
  journalDir: string,
  entry: Omit<BuildJournalEntry, 'pid' | 'host' | 'startedAt'>,
): Promise<string> {
  await mkdir(journalDir, { recursive: true });
  const path = journalPath(journalDir, entry.datasetId);
  const full: BuildJournalEntry = {
    ...entry,
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
  };
  const file = await open(path, 'wx');
  try {
    await file.writeFile(`${JSON.stringify(full)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await syncDir(journalDir);
  return path;
}

/** Fsyncs every file of a staged dataset directory, then the directory itself. */
export async function syncStagedFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const file = await open(join(dir, name), 'r');
    try {
      await file.sync();
    } finally {
      await file.close();
    }
  }
  await syncDir(dir);
}

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  await handle.sync().catch(() => {});
  await handle.close();
}

/**
 * Crash points for the fault-injection test (`test/gate/sealing-recovery.test.ts`): when
 * `VETO_TEST_CRASH_AT` names `step`, the process kills itself with SIGKILL there, as a power cut
 * or an OOM kill would. Unset in every real run.
 */
export function crashPoint(step: string): void {
  if (process.env.VETO_TEST_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}

function alive(entry: BuildJournalEntry): boolean {
  if (entry.host !== hostname()) return true; // another machine's build: not ours to judge
  if (entry.pid === process.pid) return false;
  try {
    process.kill(entry.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Finishes or undoes every build its journal names whose process is gone, then removes the
 * `.partial` directories under `outDirs` that no live build owns. Returns what it did.
 */
export async function recoverDatasets(options: {
  journalDir: string;
  store: DatasetRecoveryStore;
  registry: Pick<GateRegistry, 'recordDataset'>;
  outDirs?: string[];
}): Promise<RecoveryAction[]> {
  const { journalDir, store, registry } = options;
  const actions: RecoveryAction[] = [];
  const owned = new Set<string>();
  const names = existsSync(journalDir) ? await readdir(journalDir) : [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const path = join(journalDir, name);
    let entry: BuildJournalEntry;
    try {
      entry = JSON.parse(await readFile(path, 'utf8')) as BuildJournalEntry;
    } catch {
      // Torn before its fsync finished: the build had not begun its staging directory.
      await rm(path, { force: true });
      continue;
    }
    if (alive(entry)) {
      owned.add(entry.staging);
      actions.push({
        datasetId: entry.datasetId,
        action: 'in progress',
        detail: `process ${entry.pid} on ${entry.host}`,
      });
      continue;
    }
    const state = await store.datasetState(entry.datasetId);
    const manifestFile = join(entry.finalDir, 'manifest.json');
    if (existsSync(manifestFile)) {
      if (state === 'sealed') {
        actions.push({
          datasetId: entry.datasetId,
          action: 'already sealed',
          detail: entry.finalDir,
        });
      } else {
        if (state === 'unsealed') await store.discardUnsealedDataset(entry.datasetId);
        const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as DatasetManifest;
        await registry.recordDataset(
          manifest,
          readInclusionFile(join(entry.finalDir, manifest.files.inclusions), entry.datasetId),
          await readExclusionLeaves(entry.finalDir, manifest),
          resolve(entry.finalDir),
          await readTermsLeaves(entry.finalDir, manifest),
        );
        actions.push({
          datasetId: entry.datasetId,
          action: 'recorded',
          detail: `${entry.finalDir} was in place, its recording had not finished: recorded from its manifest and inclusion index`,
        });
      }
    } else if (state === 'sealed') {
      actions.push({
        datasetId: entry.datasetId,
        action: 'sealed without directory',
        detail: `${entry.finalDir} is missing; the registry holds the dataset sealed`,
      });
    } else {
      if (state === 'unsealed') await store.discardUnsealedDataset(entry.datasetId);
      await rm(entry.staging, { recursive: true, force: true });
      actions.push({
        datasetId: entry.datasetId,
        action: 'discarded',
        detail: `the build stopped before sealing: ${entry.staging} removed${state ? ', its unfinished recording deleted' : ''}`,
      });
    }
    await rm(path, { force: true });
  }
  for (const dir of options.outDirs ?? []) {
    if (!existsSync(dir)) continue;
    for (const name of await readdir(dir)) {
      const match = /^\.(.+)\.partial$/.exec(name);
      if (!match) continue;
      const staging = join(dir, name);
      if (owned.has(staging)) continue;
      await rm(staging, { recursive: true, force: true });
      actions.push({
        datasetId: match[1]!,
        action: 'removed leftover',
        detail: `${staging}: an unfinished build's staging directory`,
      });
    }
  }
  return actions;
}

/** Step 5: the build is sealed (or failed and cleaned up after itself): its entry goes. */
export async function closeBuildJournal(path: string | undefined): Promise<void> {
  if (path) await rm(path, { force: true });
}
