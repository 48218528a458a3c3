import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type NatsConnection, RetentionPolicy, StorageType } from 'nats';
import { Webhook } from 'standardwebhooks';

/**
 * A real HTTP receiver on 127.0.0.1 that verifies the Standard Webhooks signature and, as a
 * receiver should, deduplicates on `webhook-id`: `unique` is what the recipient acts on,
 * `raw` counts every delivery that reached it.
 */
export class WebhookReceiver {
  readonly unique = new Map<string, unknown>();
  raw = 0;
  rejected = 0;
  private secret: string | undefined;
  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    let self: WebhookReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => self!.handle(Buffer.concat(chunks), req.headers, res));
    });
    self = new WebhookReceiver(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/veto`;
  }

  /** The secret given back when the recipient was registered. */
  useSecret(secret: string): void {
    this.secret = secret;
  }

  private handle(
    body: Buffer,
    headers: Record<string, string | string[] | undefined>,
    res: import('node:http').ServerResponse,
  ): void {
    this.raw++;
    try {
      if (!this.secret) throw new Error('no secret yet');
      const payload = new Webhook(this.secret).verify(body, {
        'webhook-id': String(headers['webhook-id']),
        'webhook-timestamp': String(headers['webhook-timestamp']),
        'webhook-signature': String(headers['webhook-signature']),
      });
      const id = String(headers['webhook-id']);
      if (!this.unique.has(id)) this.unique.set(id, payload);
      res.writeHead(204).end();
    } catch {
      this.rejected++;
      res.writeHead(400).end();
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}

export const NATS_URL = process.env.VETO_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** NATS with JetStream, or the reason it is not usable. */
export async function natsOrReason(): Promise<NatsConnection | string> {
  try {
    const nc = await connect({ servers: NATS_URL, timeout: 1500, maxReconnectAttempts: 0 });
    try {
      await (await nc.jetstreamManager()).getAccountInfo();
    } catch (err) {
      await nc.close();
      return `JetStream not enabled at ${NATS_URL}: ${(err as Error).message}`;
    }
    return nc;
  } catch (err) {
    return `${NATS_URL}: ${(err as Error).message}`;
  }
}

/** A stream of its own for one test (unique name and subject), deleted afterwards. */
export async function uniqueStream(
  nc: NatsConnection,
): Promise<{ name: string; subject: string; remove(): Promise<void> }> {
  const suffix = `${process.pid}_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
  const name = `VETO_TEST_${suffix}`;
  const subject = `veto.test.${suffix}.removals`;
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({
    name,
    subjects: [subject],
    storage: StorageType.Memory,
    retention: RetentionPolicy.Limits,
    duplicate_window: 120_000_000_000, // 2 minutes, in nanoseconds
  });
  return {
    name,
    subject,
    async remove() {
      await jsm.streams.delete(name).catch(() => {});
    },
  };
}

/** Every message in a stream, decoded: what a JetStream consumer would see. */
export async function streamMessages(
  nc: NatsConnection,
  stream: string,
): Promise<{ msgId: string | undefined; body: Record<string, unknown> }[]> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(stream);
  const out: { msgId: string | undefined; body: Record<string, unknown> }[] = [];
  for (
    let seq = info.state.first_seq;
    seq <= info.state.last_seq && info.state.messages > 0;
    seq++
  ) {
    const m = await jsm.streams.getMessage(stream, { seq });
    out.push({
      msgId: m.header?.get('Nats-Msg-Id'),
      body: JSON.parse(new TextDecoder().decode(m.data)) as Record<string, unknown>,
    });
  }
  return out;
}
