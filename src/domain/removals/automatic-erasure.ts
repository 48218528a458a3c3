import { readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { DatasetManifest } from '../../gate/manifest.ts';
import type { Clock } from '../../lib/clock.ts';
import { writeFileDurably } from '../../lib/durable-file.ts';
import { type JobSupervision, PeriodicJob } from '../../lib/periodic-job.ts';
import type { RemovalStore } from '../../store/removal-store.ts';
import type { VrfPrivateKey } from '../../transparency/rsa-fdh-vrf.ts';
import type { NewEvent } from '../types.ts';
import { nextVersionId, type RebuildOptions, rebuildDataset } from './dataset-rebuild.ts';
import { eraseSupersededVersion } from './supersede.ts';

/** Beside a replaced version while its deletion waits for the configured delay. */
export const PENDING_ERASURE_FILE = 'ERASURE-PENDING.json';

interface PendingErasure {
  replacedBy: string;
  removals: string[];
  deleteAt: string;
}

export interface AutomaticErasureDeps {
  /** Folders holding sealed versions, each in `<folder>/<dataset id>/`. */
  roots: readonly string[];
  /** Milliseconds between a version's replacement and the deletion of its files (0: at once). */
  deleteAfterMs: number;
  store: Pick<
    RemovalStore,
    'removalsOf' | 'sealedLocationsWithRemovals' | 'listRecipients' | 'enqueueRecipientMessages'
  >;
  /** The gate's `recordDataset`: the new version is recorded like any sealed one. */
  record: RebuildOptions['record'];
  /** The current VRF key, for the new version's exclusion commitment. */
  exclusionKey?: () => VrfPrivateKey;
  /** For the new version's terms commitment (`rebuildDataset`'s `terms`). */
  terms?: RebuildOptions['terms'];
  appendEvents(events: readonly NewEvent[]): Promise<unknown>;
  secret: string;
  publicUrl: string;
  journalDir: string;
  clock: Clock;
  logger: Logger;
  supervision?: JobSupervision;
  intervalMs?: number;
}

/**
 * Erasure reaching every sealed version the operator holds, without anyone running a command:
 * each pass finds the sealed versions that have removals recorded (the removal planner's work)
 * and no replacing version yet, under the configured folders and at the directory the registry
 * recorded for each (migration 015: a `--out` anywhere else is reached too; a version reached
 * both ways is visited once), rebuilds each through the same path as `veto dataset rebuild`
 * (the sealed output filtered, journalled, recorded with its own location), and deletes the
 * replaced version's record files (`supersede.ts`: `SUPERSEDED.json`, a `dataset.superseded`
 * audit event, recipients told) at once or, with a delay, once it is due — the schedule kept in
 * `ERASURE-PENDING.json` beside the manifest and in a `dataset.erasure-scheduled` audit event.
 * A pass interrupted half-way is finished by the next: a version whose next version exists is
 * not rebuilt again, only erased.
 */
export class AutomaticErasure {
  readonly job: PeriodicJob;
  /** Recorded locations already reported missing or holding another dataset (said once). */
  readonly #warned = new Set<string>();

  constructor(private readonly deps: AutomaticErasureDeps) {
    this.job = new PeriodicJob(
      () => this.pass(),
      deps.intervalMs ?? 2_000,
      (err) => deps.logger.error({ err }, 'automatic erasure pass failed'),
      deps.supervision ? { job: 'automatic-erasure', by: deps.supervision } : undefined,
    );
  }

  start(): void {
    this.job.start();
  }

  stop(): Promise<void> {
    return this.job.stop();
  }

  /**
   * One pass over every folder and every recorded location; returns the versions replaced and
   * the versions erased.
   */
  async pass(): Promise<{ rebuilt: string[]; erased: string[] }> {
    const done = { rebuilt: [] as string[], erased: [] as string[] };
    // By real path: a version reached through a folder and through its recorded location (or a
    // symlink) is visited once.
    const visited = new Set<string>();
    for (const root of this.deps.roots) {
      const names = await readdir(root).catch(() => [] as string[]);
      for (const name of names.sort()) {
        if (name.startsWith('.')) continue;
        const dir = join(resolve(root), name);
        const real = await realpath(dir).catch(() => dir);
        if (visited.has(real)) continue;
        visited.add(real);
        await this.visit(dir, done);
      }
    }
    for (const { datasetId, location } of await this.deps.store.sealedLocationsWithRemovals()) {
      const dir = resolve(location);
      const real = await realpath(dir).catch(() => undefined);
      if (real !== undefined && visited.has(real)) continue;
      const manifest = real === undefined ? undefined : await readManifest(dir);
      if (real === undefined || !manifest || manifest.datasetId !== datasetId) {
        if (!this.#warned.has(dir)) {
          this.#warned.add(dir);
          this.deps.logger.warn(
            { dataset: datasetId, location: dir, holds: manifest ? manifest.datasetId : undefined },
            manifest
              ? 'automatic erasure: the recorded location holds another dataset; skipped'
              : 'automatic erasure: the recorded location of a dataset with removals is gone; skipped',
          );
        }
        continue;
      }
      this.#warned.delete(dir);
      visited.add(real);
      await this.visit(dir, done);
    }
    return done;
  }

  /** A sealed version's directory: rebuilt, scheduled for erasure or erased, as due. */
  private async visit(dir: string, done: { rebuilt: string[]; erased: string[] }): Promise<void> {
    const exists = (f: string) =>
      stat(join(dir, f)).then(
        () => true,
        () => false,
      );
    if (!(await exists('manifest.json')) || (await exists('SUPERSEDED.json'))) return;
    const manifest = JSON.parse(
      await readFile(join(dir, 'manifest.json'), 'utf8'),
    ) as DatasetManifest;
    const now = this.deps.clock();
    const pending = await readFile(join(dir, PENDING_ERASURE_FILE), 'utf8').then(
      (t) => JSON.parse(t) as PendingErasure,
      () => undefined,
    );
    if (pending) {
      if (Date.parse(now) >= Date.parse(pending.deleteAt)) {
        await this.erase(dir, pending.replacedBy, pending.removals, now);
        await rm(join(dir, PENDING_ERASURE_FILE), { force: true });
        done.erased.push(manifest.datasetId);
      }
      return;
    }
    const removals = await this.deps.store.removalsOf(manifest.datasetId);
    if (removals.length === 0) return;
    let replacedBy = nextVersionId(manifest.datasetId);
    const ids = removals.map((r) => r.id);
    // Where rebuildDataset seals it: beside the replaced version.
    if (
      !(await stat(join(dirname(dir), replacedBy)).then(
        () => true,
        () => false,
      ))
    ) {
      const result = await rebuildDataset({
        dir,
        datasetId: manifest.datasetId,
        removals,
        record: this.deps.record,
        exclusionKey: this.deps.exclusionKey?.(),
        ...(this.deps.terms ? { terms: this.deps.terms } : {}),
        secret: this.deps.secret,
        now: this.deps.clock,
        journalDir: this.deps.journalDir,
      });
      replacedBy = result.datasetId;
      done.rebuilt.push(manifest.datasetId);
      this.deps.logger.info(
        { dataset: manifest.datasetId, replacedBy, removals: ids.length },
        'automatic erasure: rebuilt without the removed items',
      );
    }
    if (this.deps.deleteAfterMs === 0) {
      await this.erase(dir, replacedBy, ids, now);
      done.erased.push(manifest.datasetId);
      return;
    }
    const deleteAt = new Date(Date.parse(now) + this.deps.deleteAfterMs).toISOString();
    const schedule: PendingErasure = { replacedBy, removals: ids, deleteAt };
    // The audit event before the file: a crash between the two schedules the erasure again on
    // the next pass (two events, one erasure); the other order could leave a schedule that the
    // log never mentions.
    await this.deps.appendEvents([
      {
        at: now,
        type: 'dataset.erasure-scheduled',
        objectionId: null,
        subjectKey: null,
        data: { datasetId: manifest.datasetId, replacedBy, removals: ids, deleteAt },
      },
    ]);
    // Written whole or not at all: a torn file would stop every later pass at JSON.parse.
    const file = join(dir, PENDING_ERASURE_FILE);
    await writeFileDurably(file, `${JSON.stringify(schedule, null, 2)}\n`);
  }

  private async erase(dir: string, replacedBy: string, removals: string[], now: string) {
    const erased = await eraseSupersededVersion({
      dir,
      replacedBy,
      removals,
      store: this.deps.store,
      appendEvents: (events) => this.deps.appendEvents(events),
      publicUrl: this.deps.publicUrl,
      now,
    });
    this.deps.logger.info(
      { dataset: erased.datasetId, replacedBy, deleted: erased.deleted.map((d) => d.file) },
      'automatic erasure: superseded version erased',
    );
  }
}

/** The manifest in `dir`, or undefined when there is none (or it is not JSON). */
async function readManifest(dir: string): Promise<DatasetManifest | undefined> {
  return readFile(join(dir, 'manifest.json'), 'utf8')
    .then((t) => JSON.parse(t) as DatasetManifest)
    .catch(() => undefined);
}
