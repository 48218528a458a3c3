import { Counter, Gauge, Histogram, Registry as PromRegistry } from 'prom-client';
import type { RegistryEvents } from '../domain/registry.ts';
import type { Afterwards } from '../domain/removals/afterwards.ts';
import type { SealedDatasetRow } from '../store/console-store.ts';
import type { RegistryStore } from '../store/registry-store.ts';
import type { JobSupervisor } from './job-supervisor.ts';

/** A removal message to a recipient counts as failing once it failed and is this old. */
export const RECIPIENT_FAILING_MINUTES = 60;

/**
 * The operator's figures in Prometheus form (`GET /metrics`, documented in docs/operations.md).
 * Counters are this process's since it started; backlog gauges are read from the database at
 * each scrape, so every instance reports the same shared queues.
 */
export class Metrics {
  readonly registry = new PromRegistry();
  private readonly objections: Counter<'channel' | 'purpose'>;
  private readonly codeEmails: Counter<'outcome'>;
  readonly intakeSeconds: Histogram<'route'>;

  constructor(deps: {
    store: RegistryStore;
    afterwards?: Afterwards | undefined;
    jobs: JobSupervisor;
    /** Sealed datasets with their manifests: the gate's builds, which run outside the server. */
    sealedDatasets?: () => Promise<SealedDatasetRow[]>;
    now?: () => number;
  }) {
    const now = deps.now ?? Date.now;
    const ageOf = (iso: string | null) => (iso ? Math.max(0, (now() - Date.parse(iso)) / 1000) : 0);
    const registers = [this.registry];
    this.objections = new Counter({
      name: 'veto_objections_total',
      help: 'New objections recorded (committed), by channel and purpose',
      labelNames: ['channel', 'purpose'],
      registers,
    });
    this.codeEmails = new Counter({
      name: 'veto_code_emails_total',
      help: 'One-time code emails: sent, or refused by the per-address limit',
      labelNames: ['outcome'],
      registers,
    });
    this.intakeSeconds = new Histogram({
      name: 'veto_intake_duration_seconds',
      help: 'Time to answer an objection request (API and portal), commit included',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    new Gauge({
      name: 'veto_outbox_pending',
      help: 'Emails queued and not yet delivered',
      registers,
      async collect() {
        this.set((await deps.store.outboxBacklog()).pending);
      },
    });
    new Gauge({
      name: 'veto_outbox_oldest_age_seconds',
      help: 'Age of the oldest undelivered email (0 when none)',
      registers,
      async collect() {
        this.set(ageOf((await deps.store.outboxBacklog()).oldestCreatedAt));
      },
    });
    const afterwards = deps.afterwards;
    if (afterwards) {
      const backlog = () => afterwards.recipientBacklog(RECIPIENT_FAILING_MINUTES, 1000);
      new Gauge({
        name: 'veto_recipient_pending',
        help: 'Removal messages to dataset recipients not yet delivered',
        registers,
        async collect() {
          this.set((await backlog()).pending);
        },
      });
      new Gauge({
        name: 'veto_recipient_oldest_age_seconds',
        help: 'Age of the oldest undelivered removal message to a recipient (0 when none)',
        registers,
        async collect() {
          this.set(ageOf((await backlog()).oldestCreatedAt));
        },
      });
      new Gauge({
        name: 'veto_recipient_failing_messages',
        help: `Removal messages that failed and are older than ${RECIPIENT_FAILING_MINUTES} minutes (details: GET /v1/admin/recipient-deliveries)`,
        registers,
        async collect() {
          this.set((await backlog()).failing.length);
        },
      });
    }
    const sealed = deps.sealedDatasets;
    if (sealed) {
      // Gate builds run in `veto gate build` processes; what they sealed is in the registry, so
      // every instance reports the same figures, read at each scrape.
      // The three gauges below are collected together in one scrape (prom-client collects them
      // concurrently): they share one read of the datasets while it is in flight.
      let reading: ReturnType<typeof readLatest> | undefined;
      const latest = () => {
        reading ??= readLatest().finally(() => {
          reading = undefined;
        });
        return reading;
      };
      const readLatest = async () => {
        const byPurpose = new Map<string, { count: number; last?: BuildTimes }>();
        for (const d of await sealed()) {
          const entry = byPurpose.get(d.purpose) ?? { count: 0 };
          entry.count++;
          const times = buildTimes(d.manifest);
          if (times && (!entry.last || times.finishedAt >= entry.last.finishedAt))
            entry.last = times;
          byPurpose.set(d.purpose, entry);
        }
        return byPurpose;
      };
      new Gauge({
        name: 'veto_gate_datasets_sealed',
        help: 'Datasets sealed by gate builds and recorded in the registry, by purpose',
        labelNames: ['purpose'],
        registers,
        async collect() {
          this.reset();
          for (const [purpose, e] of await latest()) this.set({ purpose }, e.count);
        },
      });
      new Gauge({
        name: 'veto_gate_last_build_duration_seconds',
        help: "The latest sealed build's duration, start to seal, by purpose",
        labelNames: ['purpose'],
        registers,
        async collect() {
          this.reset();
          for (const [purpose, e] of await latest())
            if (e.last) this.set({ purpose }, (e.last.finishedAt - e.last.startedAt) / 1000);
        },
      });
      new Gauge({
        name: 'veto_gate_last_build_age_seconds',
        help: 'Seconds since the latest sealed build finished, by purpose',
        labelNames: ['purpose'],
        registers,
        async collect() {
          this.reset();
          for (const [purpose, e] of await latest())
            if (e.last) this.set({ purpose }, Math.max(0, (now() - e.last.finishedAt) / 1000));
        },
      });
    }
    new Gauge({
      name: 'veto_job_last_pass_age_seconds',
      help: "Seconds since each background job's loop last ran or skipped a pass (removal-planner: the planner's lag behind the log)",
      labelNames: ['job'],
      registers,
      collect() {
        this.reset();
        for (const [job, age] of deps.jobs.tickAges()) this.set({ job }, age / 1000);
      },
    });
  }

  /** What the registry reports, counted here. */
  readonly events: RegistryEvents = {
    objectionRecorded: (channel, purpose) => this.objections.inc({ channel, purpose }),
    codeEmail: (outcome) => this.codeEmails.inc({ outcome }),
  };
}

interface BuildTimes {
  startedAt: number;
  finishedAt: number;
}

/** A manifest's start and end, or undefined when it does not hold both as dates. */
function buildTimes(manifest: string): BuildTimes | undefined {
  try {
    const m = JSON.parse(manifest) as { startedAt?: unknown; finishedAt?: unknown };
    const startedAt = typeof m.startedAt === 'string' ? Date.parse(m.startedAt) : Number.NaN;
    const finishedAt = typeof m.finishedAt === 'string' ? Date.parse(m.finishedAt) : Number.NaN;
    return Number.isFinite(startedAt) && Number.isFinite(finishedAt)
      ? { startedAt, finishedAt }
      : undefined;
  } catch {
    return undefined;
  }
}
