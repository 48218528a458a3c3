import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { wireVeto } from '../../src/app/wire.ts';
import { loadConfig } from '../../src/config.ts';
import { buildDataset } from '../../src/gate/build.ts';
import { jsonl, record, writePolicy, writeSnapshot } from '../gate/support/fixtures.ts';
import { everyoneShown } from '../removals/support/fixture.ts';
import { WebhookReceiver } from '../removals/support/receivers.ts';
import {
  dropSchema,
  freshSchemaName,
  PG_URL,
  postgresAvailable,
  printableUrl,
  queryOnce,
} from '../store/postgres-test-db.ts';
import { CaptureMailer } from '../support/capture-mailer.ts';
import { type ServerProcess, startServer } from '../support/server-process.ts';
import { requireService } from '../support/services.ts';

const API_KEY = 'many-instances-key-0123456789';
const AUTHORS = 30;
const RATE_LIMIT = 150;

/** Cookie header and CSRF token of the portal's "no account" form, fetched from `base`. */
async function codeForm(base: string): Promise<{ cookie: string; token: string }> {
  const r = await fetch(`${base}/non-user`);
  const cookie = r.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const token = /name="_csrf" value="([^"]+)"/.exec(await r.text())?.[1];
  assert.ok(token, 'the form carries a CSRF token');
  return { cookie, token };
}

function emailsTo(dir: string): Map<string, string[]> {
  const byAddress = new Map<string, string[]>();
  for (const f of readdirSync(dir)) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    const to = /^To: (.+)$/m.exec(text)?.[1]?.trim() ?? '?';
    const subject = /^Subject: (.+)$/m.exec(text)?.[1]?.trim() ?? '?';
    byAddress.set(to, [...(byAddress.get(to) ?? []), subject]);
  }
  return byAddress;
}

test('three instances on one PostgreSQL: every email and recipient message sent once, limits shared, nothing lost', {
  timeout: 180_000,
}, async (t) => {
  if (
    !requireService(
      'PostgreSQL',
      await postgresAvailable(PG_URL),
      `no PostgreSQL answering at ${printableUrl(PG_URL)} (set VETO_TEST_PG_URL)`,
    )
  )
    return t.skip();
  const schema = freshSchemaName();
  await queryOnce(PG_URL, `CREATE SCHEMA "${schema}"`);
  t.after(() => dropSchema(PG_URL, schema));
  const dir = mkdtempSync(path.join(tmpdir(), 'veto-many-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const mailDir = path.join(dir, 'mail');
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const env = {
    VETO_DATA_DIR: dir,
    VETO_DATABASE_URL: url.toString(),
    VETO_SECRET: 'test-secret-0123456789-0123456789-0123456789',
    VETO_PLATFORM_JWT_SECRET: 'test-jwt-secret-0123456789-0123456789-abcdef',
    VETO_API_KEYS: `platform:${API_KEY}`,
    VETO_OUTBOX_DIR: mailDir,
    VETO_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
  };

  // A sealed dataset with AUTHORS people in it and a webhook recipient, set up before the start.
  const receiver = await WebhookReceiver.start();
  t.after(() => receiver.close());
  const setup = await wireVeto(loadConfig({ logLevel: 'silent' }, env), {
    logger: pino({ level: 'silent' }),
    mailer: new CaptureMailer(),
  });
  const input = path.join(dir, 'export.jsonl');
  await writeFile(
    input,
    jsonl(
      Array.from({ length: AUTHORS }, (_, i) =>
        record({ id: `p${i}`, author_id: `u${i}`, text: `post ${i}` }),
      ),
    ),
  );
  const built = await buildDataset({
    policy: await writePolicy(dir),
    inputs: [input],
    // serve's erasure job reaches it where it was sealed (the registry records the directory),
    // rebuilds it and tells the recipient once more (a dataset.superseded message).
    outDir: path.join(dir, 'built'),
    objectors: { snapshot: await writeSnapshot(dir, []) },
    registry: everyoneShown(setup.gate),
    workers: 0,
    datasetId: 'ds_many',
  });
  assert.equal(built.status, 'sealed');
  const hook = await setup.afterwards!.addRecipient({
    datasetId: 'ds_many',
    name: 'Hook',
    webhookUrl: receiver.url,
  });
  receiver.useSecret(hook.webhookSecret!);
  await setup.close();

  const servers: ServerProcess[] = [];
  t.after(() => Promise.all(servers.map((s) => s.kill())));
  for (let i = 0; i < 3; i++) servers.push(await startServer(env));
  const at = (i: number) => servers[i % 3]!.url;

  // Objections spread over the instances: the dataset's authors and as many others.
  const people = [
    ...Array.from({ length: AUTHORS }, (_, i) => `u${i}`),
    ...Array.from({ length: AUTHORS }, (_, i) => `other${i}`),
  ];
  const answers = await Promise.all(
    people.map((accountId, i) =>
      fetch(`${at(i)}/v1/objections`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          subject: { accountId },
          receiptEmail: `${accountId}@example.org`,
        }),
      }),
    ),
  );
  assert.deepEqual(
    answers.map((r) => r.status),
    people.map(() => 201),
  );

  // 100 parallel requests for one-time codes to one address, over the three instances.
  const form = await codeForm(at(0));
  const codeAnswers = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      fetch(`${at(i)}/non-user`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie: form.cookie,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ _csrf: form.token, email: 'victim@example.org' }),
      }).then((r) => r.status),
    ),
  );
  assert.equal(codeAnswers.filter((s) => s === 303 || s === 302).length, 5, String(codeAnswers));
  assert.ok(
    codeAnswers.every((s) => s === 303 || s === 302 || s === 429),
    String(codeAnswers),
  );

  // People's requests are rate-limited per client: the limit holds over the three instances.
  // (Any limited route: the health probes are exempt.)
  const burst = await Promise.all(
    Array.from({ length: 3 * RATE_LIMIT }, (_, i) =>
      fetch(`${at(i)}/openapi.json`).then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      }),
    ),
  );
  const allowed = burst.filter((s) => s === 200).length;
  assert.ok(burst.includes(429), 'the burst met the limit');
  // One window boundary may fall inside the run; per-process counting would allow ≥ 3 × limit − 101.
  assert.ok(allowed < 2 * RATE_LIMIT, `${allowed} of ${burst.length} allowed`);

  // Wait for the jobs: a receipt per person, a removal email and a webhook per author, and the
  // message that the rebuilt version replaces the sealed one.
  const deadline = Date.now() + 60_000;
  const expectedEmails = people.length + AUTHORS + 5;
  for (;;) {
    const sent = [...emailsTo(mailDir).values()].flat().length;
    if (receiver.unique.size >= AUTHORS + 1 && sent >= expectedEmails) break;
    assert.ok(
      Date.now() < deadline,
      `jobs did not finish: ${receiver.unique.size} webhooks, ${sent} emails`,
    );
    await new Promise((r) => setTimeout(r, 250));
  }
  // Long enough for a duplicate from another instance's pass to show up.
  await new Promise((r) => setTimeout(r, 2000));

  const types = [...receiver.unique.values()].map((p) => (p as { type: string }).type);
  const superseded = types.filter((t) => t === 'dataset.superseded').length;
  assert.equal(superseded, 1, types.join(', '));
  assert.equal(receiver.unique.size, AUTHORS + 1, types.join(', '));
  // Once per attempt plan: every delivery the receiver saw is an attempt the registry counted
  // (a webhook answered after its timeout is retried, with the same webhook-id, and counted
  // again); two instances delivering one message would show as more deliveries than attempts.
  const counted = await queryOnce<{ attempts: string }>(
    PG_URL,
    `SELECT coalesce(sum(attempts), 0) AS attempts FROM "${schema}".recipient_outbox`,
  );
  assert.equal(
    receiver.raw,
    Number(counted[0]?.attempts),
    'each removal message was delivered once per attempt',
  );
  assert.ok(receiver.raw <= AUTHORS + 1 + 3, `${receiver.raw} deliveries for ${AUTHORS} messages`);
  const mail = emailsTo(mailDir);
  for (const p of people) {
    const got = mail.get(`${p}@example.org`) ?? [];
    assert.equal(got.length, p.startsWith('u') ? 2 : 1, `${p}: ${got.join(' | ')}`);
  }
  assert.equal(mail.get('victim@example.org')?.length, 5, 'five codes, no more');
  const stored = await queryOnce<{ n: string }>(
    PG_URL,
    `SELECT count(*) AS n FROM "${schema}".objections`,
  );
  assert.equal(Number(stored[0]!.n), people.length, 'every acknowledged objection is stored');
});
