import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { JobSupervision } from '../lib/periodic-job.ts';
import type { StorageHealth } from './storage-health.ts';

/**
 * Leader election for the background jobs: one lease row per job in the registry's database
 * (`job_leases`), taken or renewed atomically by one statement, so several instances on one
 * database run each job exactly once at a time, on SQLite (one writer) and PostgreSQL alike.
 */
export interface JobLeases {
  /** Takes or renews the lease of `job` for `holder` until `now + ttlMs`; false if another holds it. */
  tryLease(job: string, holder: string, now: Date, ttlMs: number): Promise<boolean>;
  /** Gives the lease up (graceful shutdown), so another instance takes over at once. */
  releaseLease(job: string, holder: string): Promise<void>;
}

/**
 * Runs around every pass of every background job (`PeriodicJob`): the lease, the storage
 * health (an outage is logged once, not once per pass per job), and each loop's last tick for
 * `/readyz` ("jobs alive").
 *
 * The lease is renewed at the start of each pass and lasts `leaseMs`, far longer than a pass
 * (passes are bounded batches), so the holder keeps it while it is alive; a crashed holder's
 * lease expires and another instance takes over within `leaseMs`.
 */
export class JobSupervisor implements JobSupervision {
  readonly holder = randomUUID();
  private readonly lastTick = new Map<string, number>();
  private readonly held = new Set<string>();

  constructor(
    private readonly deps: {
      leases?: JobLeases;
      health: StorageHealth;
      logger: Logger;
      now?: () => number;
      leaseMs?: number;
    },
  ) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  async mayRun(job: string): Promise<boolean> {
    const { leases } = this.deps;
    if (!leases) return true;
    const mine = await leases.tryLease(
      job,
      this.holder,
      new Date(this.now()),
      this.deps.leaseMs ?? 30_000,
    );
    if (mine !== this.held.has(job)) {
      if (mine) this.held.add(job);
      else this.held.delete(job);
      this.deps.logger.info(
        { job, holder: this.holder },
        mine ? 'job lease taken: this instance runs it' : 'job lease lost to another instance',
      );
    }
    return mine;
  }

  ticked(job: string): void {
    this.lastTick.set(job, this.now());
  }

  passed(_job: string): void {
    this.deps.health.ok('jobs');
  }

  failed(job: string, err: unknown): boolean {
    this.lastTick.set(job, this.now());
    return this.deps.health.fault('jobs', err);
  }

  /** Jobs whose loop has not ticked for `staleMs` (a hung pass, a dead loop). */
  stalled(staleMs: number): string[] {
    const now = this.now();
    return [...this.lastTick].filter(([, t]) => now - t > staleMs).map(([job]) => job);
  }

  /** Each job loop and the milliseconds since it last ticked. */
  tickAges(): [string, number][] {
    const now = this.now();
    return [...this.lastTick].map(([job, t]) => [job, now - t]);
  }

  /** The jobs this instance leads now. */
  get leading(): string[] {
    return [...this.held];
  }

  /** On shutdown, after the jobs stopped: hand the leases over at once. */
  async release(): Promise<void> {
    const { leases } = this.deps;
    if (!leases) return;
    for (const job of this.held) await leases.releaseLease(job, this.holder).catch(() => {});
    this.held.clear();
  }
}
