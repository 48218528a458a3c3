import type { GateProgress } from './build-options.ts';
import type { HashedWriter } from './line-files.ts';
import { emptyCounts, type ReasonCounts } from './reasons.ts';
import type { WorkerPool } from './worker-pool.ts';

/**
 * A gate build while it runs, shared by its three steps (build-plan.ts, build-judging.ts,
 * build-sealing.ts): the progress reported to `onProgress`, whose counts are the manifest's (and
 * a failed run's), and what the run holds open, which the one failure path of `buildDataset`
 * (build.ts) releases.
 */
export class BuildRun {
  readonly counts: ReasonCounts = emptyCounts();
  readonly progress: GateProgress;
  /** The staged files' writers until judging's output is closed: aborted if the run fails. */
  readonly writers: HashedWriter[] = [];
  /** The pool that judged, taken from the booting one, until it is closed after the verify. */
  pool: WorkerPool | undefined;
  /** The dataset directory is renamed into place: if the run fails now, it is removed. */
  renamed = false;
  readonly #startedMs = Date.now();
  readonly #onProgress: ((progress: GateProgress) => void) | undefined;

  constructor(onProgress?: (progress: GateProgress) => void) {
    this.#onProgress = onProgress;
    this.progress = {
      phase: 'loading-objectors',
      bytesDone: 0,
      // Set once the inputs are stat'ed, before the first report.
      bytesTotal: 0,
      records: 0,
      counts: this.counts,
      elapsedMs: 0,
    };
  }

  report(): void {
    this.progress.elapsedMs = Date.now() - this.#startedMs;
    this.#onProgress?.(this.progress);
  }

  /** Enters a phase and reports it. */
  enter(phase: GateProgress['phase']): void {
    this.progress.phase = phase;
    this.report();
  }
}
