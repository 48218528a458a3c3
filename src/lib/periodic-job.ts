/**
 * What runs around every pass of the background jobs when several instances share one
 * database: whether this instance may do the work now (leader election), and what a failed
 * pass means (a storage outage is reported once, not once per pass). `src/app/job-supervisor.ts`.
 */
export interface JobSupervision {
  /** False: another instance does this work now; the pass is skipped (the loop stays alive). */
  mayRun(job: string): Promise<boolean>;
  /** The loop ticked (ran or skipped a pass): it is alive. */
  ticked(job: string): void;
  /** A pass finished without error. */
  passed(job: string): void;
  /** A pass failed; true when the failure was handled (logged) there. */
  failed(job: string, err: unknown): boolean;
}

/**
 * Runs `pass` now and then every `intervalMs` after the previous pass finished (never two at
 * once), until stopped. A failing pass is reported and the next one runs on schedule: the jobs
 * built on it (outbox delivery, removal planning, recipient delivery) keep their state in the
 * database, so a later pass picks up whatever an earlier one could not do.
 */
export class PeriodicJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
    private readonly supervision?: { job: string; by: JobSupervision },
  ) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.once()
        .catch((err) => {
          if (!this.supervision?.by.failed(this.supervision.job, err)) this.onError(err);
        })
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  private async once(): Promise<void> {
    const s = this.supervision;
    if (!s) {
      await this.pass();
      return;
    }
    s.by.ticked(s.job);
    if (!(await s.by.mayRun(s.job))) return;
    await this.pass();
    s.by.ticked(s.job);
    s.by.passed(s.job);
  }

  /** True once `stop` was called (or before `start`): long passes check it to end early. */
  get stopping(): boolean {
    return this.stopped;
  }

  /** Stops scheduling and waits for a pass in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
