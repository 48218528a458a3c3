import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { wireVeto } from '../../src/app/wire.ts';
import { loadConfig } from '../../src/config.ts';
import { CaptureMailer } from '../support/capture-mailer.ts';
import { requireService } from '../support/services.ts';
import { buildFixtureDataset } from './support/fixture.ts';
import {
  NATS_URL,
  natsOrReason,
  streamMessages,
  uniqueStream,
  WebhookReceiver,
} from './support/receivers.ts';

const CHILD = fileURLToPath(new URL('./support/dispatch-child.ts', import.meta.url));

/** Runs the sender child; resolves with it once a line matching `until` is printed. */
function startChild(
  env: Record<string, string>,
  mode: string,
  until: RegExp,
  count = 1,
): Promise<{ child: ChildProcess; lines: string[]; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child ${mode} printed ${JSON.stringify(lines)}; stderr: ${stderr}`));
    }, 30_000);
    let buffer = '';
    child.stdout!.on('data', (d) => {
      buffer += String(d);
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      lines.push(...parts);
      if (lines.filter((l) => until.test(l)).length >= count) {
        clearTimeout(timer);
        resolve({ child, lines, exited });
      }
    });
    void exited.then((code) => {
      if (lines.filter((l) => until.test(l)).length < count) {
        clearTimeout(timer);
        reject(new Error(`child ${mode} exited ${code}: ${stderr}`));
      }
    });
  });
}

async function sigkill(c: { child: ChildProcess; exited: Promise<number | null> }): Promise<void> {
  c.child.kill('SIGKILL');
  await c.exited;
}

test('a removal reaches each recipient exactly once although the sender is SIGKILLed twice', {
  timeout: 120_000,
}, async (t) => {
  const nats = await natsOrReason();
  if (!requireService('nats', typeof nats !== 'string', String(nats))) return t.skip();
  const nc = nats as Exclude<typeof nats, string>;
  t.after(() => nc.close());
  const stream = await uniqueStream(nc);
  t.after(() => stream.remove());
  const receiver = await WebhookReceiver.start();
  t.after(() => receiver.close());

  const dir = mkdtempSync(path.join(tmpdir(), 'veto-crash-removal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = {
    VETO_DATA_DIR: dir,
    VETO_DATABASE_URL: `sqlite:${path.join(dir, 'veto.db')}`,
    VETO_SECRET: 'test-secret-0123456789-0123456789-0123456789',
    VETO_PLATFORM_JWT_SECRET: 'test-jwt-secret-0123456789-0123456789-abcdef',
    VETO_NATS_URL: NATS_URL,
    VETO_LOG_LEVEL: 'silent',
  };
  const config = loadConfig({ logLevel: 'silent' }, env);

  // Setup in this process, then closed: only the children write afterwards.
  let veto = await wireVeto(config, {
    logger: pino({ level: 'silent' }),
    mailer: new CaptureMailer(),
  });
  const { datasetId } = await buildFixtureDataset(veto, dir);
  const hook = await veto.afterwards!.addRecipient({
    datasetId,
    name: 'Hook',
    webhookUrl: receiver.url,
  });
  receiver.useSecret(hook.webhookSecret!);
  await veto.afterwards!.addRecipient({ datasetId, name: 'Stream', natsSubject: stream.subject });
  await veto.registry.object({
    subject: { kind: 'account', accountId: 'u1' },
    channel: 'api',
    language: 'en',
  });
  await veto.close();

  // 1. Killed after the removal and its messages committed, before any delivery.
  const planner = await startChild(env, 'plan', /^committed 1$/);
  await sigkill(planner);
  assert.equal(receiver.raw, 0);
  assert.equal((await streamMessages(nc, stream.name)).length, 0);

  // 2. Killed after both recipients acknowledged, before the sender recorded it.
  const sender = await startChild(env, 'send-hang', /^sent msg_/, 2);
  await sigkill(sender);
  assert.equal(receiver.raw, 1);
  assert.equal((await streamMessages(nc, stream.name)).length, 1);

  // 3. Restarted: the same messages go out again; the recipients drop them by id.
  const again = await startChild(env, 'deliver', /^done \d+$/);
  assert.equal(await again.exited, 0);
  assert.ok(again.lines.includes('done 2'), again.lines.join('\n'));
  const last = await startChild(env, 'deliver', /^done \d+$/);
  assert.equal(await last.exited, 0);
  assert.ok(last.lines.includes('done 0'), 'nothing left to deliver');

  assert.equal(receiver.raw, 2, 'the webhook was re-sent once after the crash');
  assert.equal(receiver.unique.size, 1, 'the receiver acted on it once (webhook-id)');
  assert.equal(receiver.rejected, 0);
  const onStream = await streamMessages(nc, stream.name);
  assert.equal(onStream.length, 1, 'JetStream dropped the re-send (Nats-Msg-Id)');
  assert.equal(
    (onStream[0]!.body.data as { removalId: string }).removalId,
    ([...receiver.unique.values()][0] as { data: { removalId: string } }).data.removalId,
  );

  veto = await wireVeto(config, { logger: pino({ level: 'silent' }), mailer: new CaptureMailer() });
  t.after(() => veto.close());
  const seen = await veto.afterwards!.datasetsOf('acct:u1');
  assert.ok(seen[0]!.removal!.deliveries.every((d) => d.deliveredAt !== null));
  assert.equal((await veto.afterwards!.removalsOf(datasetId)).length, 1);
});
