import type { Logger } from 'pino';
import { nextAttemptAt } from '../lib/backoff.ts';
import type { Clock } from '../lib/clock.ts';
import { type JobSupervision, PeriodicJob } from '../lib/periodic-job.ts';
import type { EmailKind, Mailer, RenderEmail } from '../mail/mailer.ts';
import type { RegistryStore } from '../store/registry-store.ts';

/**
 * Delivers messages committed to the outbox together with the change that caused them
 * (transactional outbox): a receipt is never lost if the process dies after the objection
 * commits. Retries with exponential backoff (5 s doubling, capped at one hour), forever:
 * a message is only ever marked delivered, never dropped.
 */
/** 5 s after the first failure, doubling, capped at an hour. */
const EMAIL_RETRY = { firstMs: 5_000, capMs: 3_600_000 };

export class OutboxDispatcher {
  private readonly loop: PeriodicJob;

  constructor(
    private readonly deps: {
      store: RegistryStore;
      mailer: Mailer;
      renderEmail: RenderEmail;
      clock: Clock;
      logger: Logger;
      /** Leader election and storage-outage reporting when `serve` runs the job. */
      supervision?: JobSupervision;
    },
    intervalMs = 500,
  ) {
    this.loop = new PeriodicJob(
      () => this.deliverDue(),
      intervalMs,
      (err) => this.deps.logger.error({ err }, 'outbox delivery pass failed'),
      this.deps.supervision && { job: 'outbox', by: this.deps.supervision },
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass over due messages; returns how many were delivered. */
  async deliverDue(limit = 100): Promise<number> {
    const { store, mailer, renderEmail, clock, logger } = this.deps;
    const due = await store.dueOutbox(clock(), limit);
    let delivered = 0;
    for (const m of due) {
      try {
        const p = m.payload as {
          template: EmailKind;
          to: string;
          language: string;
          vars: Record<string, string | number>;
        };
        const content = renderEmail(p.template, p.language, p.vars);
        await mailer.send({ ...content, to: p.to });
        await store.markOutboxDelivered(m.id, clock());
        delivered += 1;
      } catch (err) {
        const next = nextAttemptAt(clock(), m.attempts, EMAIL_RETRY);
        await store.markOutboxFailed(m.id, (err as Error).message, next);
        logger.warn(
          { id: m.id, attempts: m.attempts + 1, next, error: (err as Error).message },
          'outbox message not delivered; will retry',
        );
      }
    }
    return delivered;
  }
}
