import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import { nextAttemptAt } from '../../lib/backoff.ts';
import type { Clock } from '../../lib/clock.ts';
import { type JobSupervision, PeriodicJob } from '../../lib/periodic-job.ts';
import type { DueRecipientMessage, RemovalStore } from '../../store/removal-store.ts';

/** Sends one message to one recipient channel; resolves only once the recipient acknowledged. */
export interface RecipientTransport {
  webhook(message: DueRecipientMessage, body: string): Promise<void>;
  nats(message: DueRecipientMessage, body: string): Promise<void>;
  close(): Promise<void>;
}

export interface TransportOptions {
  /** NATS server for recipients with a JetStream subject (VETO_NATS_URL). */
  natsUrl?: string | undefined;
  /** Per-attempt limit for a webhook call. */
  timeoutMs?: number;
}

/**
 * Webhooks signed per Standard Webhooks (`standardwebhooks`: `webhook-id` = the message id, so a
 * receiver deduplicates a retry; `webhook-timestamp`; `webhook-signature` v1 HMAC-SHA256); any
 * 2xx is an acknowledgement. JetStream publishes carry `Nats-Msg-Id` = the message id, so the
 * stream drops a retry within its duplicate window; the PubAck is the acknowledgement.
 */
export function createRecipientTransport(options: TransportOptions = {}): RecipientTransport {
  let nc: Promise<NatsConnection> | undefined;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    async webhook(message, body) {
      const { webhookUrl, webhookSecret } = message.recipient;
      if (!webhookUrl || !webhookSecret) throw new Error('recipient has no webhook endpoint');
      const at = new Date();
      const signature = new Webhook(webhookSecret).sign(message.id, at, body);
      const res = await fetch(webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': message.id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      await res.body?.cancel().catch(() => {});
      if (res.status < 200 || res.status >= 300) throw new Error(`webhook answered ${res.status}`);
    },
    async nats(message, body) {
      const subject = message.recipient.natsSubject;
      if (!subject) throw new Error('recipient has no NATS subject');
      if (!options.natsUrl) throw new Error('no NATS server configured (VETO_NATS_URL)');
      // The NATS client is loaded by the first NATS delivery, not by every `veto` command.
      const { connect, headers: natsHeaders } = await import('nats');
      nc ??= connect({ servers: options.natsUrl, reconnect: true, maxReconnectAttempts: -1 });
      let conn: NatsConnection;
      try {
        conn = await nc;
      } catch (err) {
        nc = undefined;
        throw err;
      }
      const h = natsHeaders();
      h.set('Veto-Removal-Id', message.removalId);
      await conn.jetstream().publish(subject, Buffer.from(body), {
        msgID: message.id,
        headers: h,
        timeout: timeoutMs,
      });
    },
    async close() {
      const pending = nc;
      nc = undefined;
      if (pending) await (await pending.catch(() => undefined))?.drain().catch(() => {});
    },
  };
}

/**
 * Delivers removal messages committed with their removal (transactional outbox) until each
 * recipient acknowledges: exponential backoff from 1 s, doubling, capped at one hour, forever (a
 * message is marked delivered, never dropped). At-least-once on the wire; exactly once for the
 * recipient thanks to the message id (webhook-id / Nats-Msg-Id).
 */
/** 1 s after the first failure, doubling, capped at an hour. */
const RECIPIENT_RETRY = { firstMs: 1_000, capMs: 3_600_000 };

export class RecipientDispatcher {
  private readonly loop: PeriodicJob;

  constructor(
    private readonly deps: {
      store: RemovalStore;
      transport: RecipientTransport;
      clock: Clock;
      logger: Logger;
      /** Leader election and storage-outage reporting when `serve` runs the job. */
      supervision?: JobSupervision;
    },
    intervalMs = 250,
    private readonly concurrency = 16,
  ) {
    this.loop = new PeriodicJob(
      () => this.drain(),
      intervalMs,
      (err) => this.deps.logger.error({ err }, 'recipient delivery pass failed'),
      this.deps.supervision && { job: 'recipient-dispatcher', by: this.deps.supervision },
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Passes until nothing due is left (or a pass delivers nothing); returns the count delivered. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.deliverDue();
      total += n;
      if (n === 0 || this.loop.stopping) return total;
    }
  }

  /** One pass over due messages, `concurrency` at a time; returns how many were delivered. */
  async deliverDue(limit = 500): Promise<number> {
    const { store, transport, clock, logger } = this.deps;
    const due = await store.dueRecipientMessages(clock(), limit);
    const delivered: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const m = due[next++]!;
        try {
          const body = JSON.stringify(m.payload);
          if (m.channel === 'webhook') await transport.webhook(m, body);
          else await transport.nats(m, body);
          delivered.push(m.id);
        } catch (err) {
          const at = nextAttemptAt(clock(), m.attempts, RECIPIENT_RETRY);
          await store.markRecipientMessageFailed(m.id, (err as Error).message, at);
          logger.warn(
            {
              id: m.id,
              recipient: m.recipientId,
              attempts: m.attempts + 1,
              next: at,
              error: (err as Error).message,
            },
            'removal not delivered to a recipient; will retry',
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, due.length) }, worker));
    // One transaction (one fdatasync) per pass: a crash before it only means a re-send, which
    // the recipient drops by its message id.
    if (delivered.length > 0) await store.markRecipientMessagesDelivered(delivered, clock());
    return delivered.length;
  }
}
