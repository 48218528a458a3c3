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
  ) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.pass()
        .then(() => undefined)
        .catch(this.onError)
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
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
