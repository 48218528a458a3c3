import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { wireVeto } from '../../src/app/wire.ts';
import { loadConfig } from '../../src/config.ts';
import { createRecipientTransport } from '../../src/domain/removals/recipient-dispatcher.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import type { InclusionRow } from '../../src/gate/registry-port.ts';
import type { Mailer } from '../../src/mail/mailer.ts';
import type { DueRecipientMessage } from '../../src/store/removal-store.ts';

/**
 * bench/removals: time from objection to removal delivered. A sealed dataset of 1,000,000 items
 * (250,000 authors, 4 items each) is recorded with its inclusion index; a recipient listens on
 * a local HTTP webhook (node:http, verifying the Standard Webhooks signature). Then 1,000 of
 * its authors object at once (group-committed intake), and the clock stops when the receiver
 * has acknowledged the 1,000 removals. The planner and dispatcher run as `serve` runs them
 * (planner every second, dispatcher every 250 ms).
 *
 * Baseline, same run: 1,000 bare signed webhook POSTs to the same receiver (no database, same
 * concurrency), i.e. the floor the delivery alone costs. Requirement: within minutes.
 */
const ITEMS = Number(process.env.VETO_BENCH_REMOVAL_ITEMS ?? 1_000_000);
const OBJECTIONS = Number(process.env.VETO_BENCH_REMOVAL_OBJECTIONS ?? 1_000);
const PER_AUTHOR = 4;

const quietMailer: Mailer = { async send() {}, async close() {} };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

async function receiver() {
  const seen = new Map<string, number>();
  let secret = '';
  let waiter: { n: number; done: () => void } | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = Buffer.concat(chunks);
        new Webhook(secret).verify(body, {
          'webhook-id': String(req.headers['webhook-id']),
          'webhook-timestamp': String(req.headers['webhook-timestamp']),
          'webhook-signature': String(req.headers['webhook-signature']),
        });
        const id = String(req.headers['webhook-id']);
        if (!seen.has(id)) seen.set(id, performance.now());
        res.writeHead(204).end();
        if (waiter && seen.size >= waiter.n) waiter.done();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/removals`;
  return {
    url,
    seen,
    setSecret: (s: string) => {
      secret = s;
    },
    until: (n: number) =>
      new Promise<void>((done) => {
        if (seen.size >= n) done();
        else waiter = { n, done };
      }),
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'veto-bench-removals-'));
  const config = loadConfig(
    {
      dataDir: dir,
      databaseUrl: `sqlite:${path.join(dir, 'veto.db')}`,
      secret: 'bench-secret-0123456789-0123456789-0123456789',
      platformJwtSecret: 'bench-jwt-secret-0123456789-0123456789-abc',
      logLevel: 'error',
    },
    {},
  );
  const veto = await wireVeto(config, {
    logger: pino({ level: 'error' }),
    mailer: quietMailer,
  });
  const hook = await receiver();
  try {
    const datasetId = 'ds_bench_removals';
    const authors = Math.ceil(ITEMS / PER_AUTHOR);
    let t = performance.now();
    const manifest = {
      datasetId,
      purpose: 'ai-training',
      policy: { id: 'bench', sha256: '0'.repeat(64) },
      snapshot: { id: 'bench', sha256: '0'.repeat(64) },
      output: { sha256: '0'.repeat(64), records: ITEMS },
    } as DatasetManifest;
    function* rows(): Generator<InclusionRow> {
      for (let i = 0; i < ITEMS; i++) {
        const author = i % authors;
        yield { datasetId, subjectKey: `acct:a${author}`, itemId: `it_${i}`, role: 'author' };
      }
    }
    await veto.gate.recordDataset(manifest, rows());
    const recordMs = performance.now() - t;

    const recipient = await veto.afterwards!.addRecipient({
      datasetId,
      name: 'bench receiver',
      webhookUrl: hook.url,
    });
    hook.setSecret(recipient.webhookSecret!);
    veto.removalPlanner!.start();
    veto.recipientDispatcher!.start();

    // 1,000 objectors spread over the dataset, all at once.
    const step = Math.floor(authors / OBJECTIONS);
    const acked = new Map<string, number>();
    t = performance.now();
    await Promise.all(
      Array.from({ length: OBJECTIONS }, async (_, k) => {
        const accountId = `a${k * step}`;
        await veto.registry.object({
          subject: { kind: 'account', accountId },
          channel: 'api',
          language: 'en',
        });
        acked.set(`acct:${accountId}`, performance.now());
      }),
    );
    const intakeMs = performance.now() - t;
    await hook.until(OBJECTIONS);
    const totalMs = performance.now() - t;
    await veto.removalPlanner!.stop();
    await veto.recipientDispatcher!.stop();
    const removals = await veto.afterwards!.removalsOf(datasetId);
    const itemsTouched = removals.reduce((n, r) => n + r.itemIds.length, 0);
    const latencies: number[] = [];
    // Per-objection latency: acknowledgement of the objection → webhook received. Message ids
    // are unknown here, so pair the i-th delivery with the i-th acknowledgement (both ordered).
    const ackTimes = [...acked.values()].sort((a, b) => a - b);
    const deliveries = [...hook.seen.values()].sort((a, b) => a - b);
    for (let i = 0; i < Math.min(ackTimes.length, deliveries.length); i++)
      latencies.push(deliveries[i]! - ackTimes[i]!);
    latencies.sort((a, b) => a - b);

    // Baseline: the same number of signed POSTs, straight to the receiver.
    hook.seen.clear();
    const transport = createRecipientTransport();
    const fake = (i: number): DueRecipientMessage => ({
      id: `msg_baseline_${i}`,
      recipientId: recipient.id,
      removalId: `rm_baseline_${i}`,
      channel: 'webhook',
      payload: {},
      createdAt: new Date().toISOString(),
      attempts: 0,
      recipient,
    });
    t = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < OBJECTIONS) {
          const i = next++;
          await transport.webhook(fake(i), JSON.stringify({ i, itemIds: ['x', 'y', 'z', 'w'] }));
        }
      }),
    );
    const baselineMs = performance.now() - t;
    await transport.close();

    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(
      `dataset: ${ITEMS.toLocaleString('en')} items (${authors.toLocaleString('en')} authors), inclusion index recorded in ${s(recordMs)}`,
    );
    console.table([
      {
        run: `${OBJECTIONS} objections → removals delivered (webhook)`,
        total: s(totalMs),
        'intake (all acked)': s(intakeMs),
        'p50 objection→delivered': s(percentile(latencies, 50)),
        'p99 objection→delivered': s(percentile(latencies, 99)),
        removals: removals.length,
        'items touched': itemsTouched,
        'ratio to baseline': (totalMs / baselineMs).toFixed(1),
      },
      {
        run: `baseline: ${OBJECTIONS} bare signed webhook POSTs`,
        total: s(baselineMs),
        'intake (all acked)': '-',
        'p50 objection→delivered': '-',
        'p99 objection→delivered': '-',
        removals: '-',
        'items touched': '-',
        'ratio to baseline': '1.0',
      },
    ]);
    console.log('requirement: within minutes (planner runs every second)');
  } finally {
    await hook.close();
    await veto.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
