import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { wireVeto } from '../../src/app/wire.ts';
import { csvRows } from '../../src/cli/file-rows.ts';
import { loadConfig } from '../../src/config.ts';
import { runNoticeCampaign } from '../../src/domain/notices/notice-campaign.ts';
import { readNoticeDirectory } from '../../src/domain/notices/notice-files.ts';
import { defaultCatalogue } from '../../src/i18n/catalogue.ts';
import { createSmtpMailer } from '../../src/mail/nodemailer-mailer.ts';
import { freePort } from '../support/server-process.ts';
import { tempDir } from '../support/temp.ts';
import { NOTICE_ITEMS_ENV } from '../support/veto-cli.ts';
import { VETO_BIN } from '../support/veto-command.ts';

type Ctx = { after: (fn: () => void | Promise<void>) => void };
const SAMPLE = fileURLToPath(new URL('../../notices/2026-01', import.meta.url));
const SECRET = 'test-secret-0123456789-0123456789-0123456789';

interface Smtp {
  url: string;
  /** Recipients of messages the server accepted (250 after DATA), in order. */
  accepted: string[];
  raw: string[];
  /** Called with each message before it is accepted; return false to neither accept nor answer. */
  hook: (to: string, n: number) => boolean;
}

async function smtpServer(t: Ctx): Promise<Smtp> {
  const state: Smtp = { url: '', accepted: [], raw: [], hook: () => true };
  let n = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => {
        raw += c;
      });
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address).join(',');
        n += 1;
        if (!state.hook(to, n)) return; // the client is killed before any answer
        state.accepted.push(to);
        state.raw.push(raw);
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  state.url = `smtp://127.0.0.1:${port}`;
  return state;
}

function writeList(dir: string, count: number, extra = ''): string {
  const lines = ['account_id,email,language'];
  for (let i = 1; i <= count; i++)
    lines.push(`u${i},user${i}@example.org,${i % 2 ? 'fr-BE' : 'en'}`);
  const file = path.join(dir, 'users.csv');
  writeFileSync(file, `${lines.join('\n')}\n${extra}`);
  return file;
}

function env(dir: string, smtpUrl: string): Record<string, string> {
  return {
    VETO_DATA_DIR: dir,
    VETO_DATABASE_URL: `sqlite:${path.join(dir, 'veto.db')}`,
    VETO_SECRET: SECRET,
    VETO_PLATFORM_JWT_SECRET: 'test-jwt-secret-0123456789-0123456789-abcdef',
    VETO_SMTP_URL: smtpUrl,
    VETO_LOG_LEVEL: 'silent',
    ...NOTICE_ITEMS_ENV,
  };
}

async function setup(t: Ctx, smtpUrl: string) {
  const dir = tempDir(t, 'veto-campaign-');
  const config = loadConfig(
    {
      dataDir: dir,
      databaseUrl: `sqlite:${path.join(dir, 'veto.db')}`,
      secret: SECRET,
      logLevel: 'silent',
      smtpUrl,
      controllerName: 'Example Platform SA',
      controllerContact: 'privacy@platform.example',
      dpoContact: 'dpo@platform.example',
      recipients: 'Example AI Lab SARL',
      retentionMonths: 24,
      supervisoryAuthority: 'CNIL, https://www.cnil.fr',
    },
    {},
  );
  return { dir, config };
}

function runCli(
  args: string[],
  environment: Record<string, string>,
): {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: string | null; out: string; err: string }>;
} {
  const child = spawn(process.execPath, [VETO_BIN, ...args], {
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => {
    out += c;
  });
  child.stderr!.on('data', (c) => {
    err += c;
  });
  const done = new Promise<{
    code: number | null;
    signal: string | null;
    out: string;
    err: string;
  }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out, err })));
  return { child, done };
}

describe('notice email campaign over real SMTP', () => {
  it('sends each account one message in its language, rate-limited, and reports', async (t) => {
    const smtp = await smtpServer(t);
    const { dir, config } = await setup(t, smtp.url);
    const veto = await wireVeto(config, {
      logger: pino({ level: 'silent' }),
      mailer: createSmtpMailer(smtp.url, 'Veto <no-reply@veto.test>'),
    });
    t.after(() => veto.close());
    await veto.notices.publish(readNoticeDirectory(SAMPLE), 'test');
    const list = writeList(
      dir,
      12,
      'u3,dup@example.org,en\n,nobody@example.org,en\nu99,not-an-address,fr\n',
    );
    const sha = createHash('sha256').update(readFileSync(list)).digest('hex');
    const deps = {
      notices: veto.notices,
      mailer: veto.mailer,
      catalogue: defaultCatalogue(),
      clock: veto.clock,
      secret: SECRET,
      objectLink: { secret: SECRET, purpose: 'ai-training', days: 120 },
    };
    const progress: number[] = [];
    const started = Date.now();
    const report = await runNoticeCampaign(deps, {
      versionId: '2026-01',
      rows: csvRows(list),
      sourceSha256: sha,
      ratePerSecond: 40,
      concurrency: 3,
      onProgress: (p) => progress.push(p.done),
    });
    const elapsed = Date.now() - started;
    assert.equal(report.counts.sent, 12);
    assert.equal(report.finished, true);
    assert.deepEqual(
      report.invalid.map((i) => i.line),
      [14, 15, 16],
    );
    assert.match(report.invalid[0]!.reason, /already on line 4/);
    assert.equal(new Set(smtp.accepted).size, 12);
    assert.equal(smtp.accepted.length, 12);
    // 12 messages at 40/s: the 12th may start no earlier than 11/40 s after the first.
    assert.ok(elapsed >= 250, `rate limit respected (${elapsed} ms)`);
    assert.equal(progress.at(-1), 12);
    // Language: odd accounts asked fr-BE and got French; the right-to-object link is there.
    const fr = smtp.raw[smtp.accepted.indexOf('user1@example.org')]!;
    assert.match(fr, /Subject: =\?UTF-8\?Q\?Demo_Social_va_utiliser/);
    const en = smtp.raw[smtp.accepted.indexOf('user2@example.org')]!;
    assert.match(en, /Subject: Demo Social will use content to train AI/);
    assert.match(en, /Your right to object/);
    // Delivered = shown by email; the gate sees it.
    assert.ok(await veto.notices.exposures.shownAt('acct:u1', '2026-01'));
    // Running the same list again resumes the finished campaign: nothing is sent twice.
    const again = await runNoticeCampaign(deps, {
      versionId: '2026-01',
      rows: csvRows(list),
      sourceSha256: sha,
      ratePerSecond: 1000,
    });
    assert.equal(again.resumed, true);
    assert.equal(again.counts.sent, 12);
    assert.equal(smtp.accepted.length, 12);
    // A different list with the same people: they already got this version, so they are skipped.
    const list2 = path.join(dir, 'users2.csv');
    writeFileSync(
      list2,
      'account_id,email,language\nu1,user1@example.org,fr\nu100,user100@example.org,en\n',
    );
    const third = await runNoticeCampaign(deps, {
      versionId: '2026-01',
      rows: csvRows(list2),
      sourceSha256: 'other',
      ratePerSecond: 1000,
    });
    assert.equal(third.counts.skipped, 1);
    assert.equal(third.counts.sent, 1);
    // Bounces: the message to u2 bounced: counted, and no longer a proof of notice.
    const b = await veto.notices.recordBounces([
      { email: 'USER2@example.org', reason: '550 5.1.1 unknown user' },
      { accountId: 'nobody' },
    ]);
    assert.deepEqual(b, { received: 2, matched: 1, unmatched: [1] });
    assert.equal(await veto.notices.exposures.shownAt('acct:u2', '2026-01'), null);
    assert.equal((await veto.notices.store.counts(report.campaignId)).bounced, 1);
    const events: string[] = [];
    for await (const e of veto.store.readEvents()) events.push(e.type);
    assert.deepEqual(events.filter((e) => e.startsWith('notice.campaign')).length, 5);
  });

  it('resumes after a crash (SIGKILL) without sending anything twice', async (t) => {
    const smtp = await smtpServer(t);
    const { dir, config } = await setup(t, smtp.url);
    {
      const veto = await wireVeto(config, { logger: pino({ level: 'silent' }) });
      await veto.notices.publish(readNoticeDirectory(SAMPLE), 'test');
      await veto.close();
    }
    const list = writeList(dir, 10);
    const args = [
      'notices',
      'campaign',
      '--version',
      '2026-01',
      '--users',
      list,
      '--rate',
      '500',
      '--concurrency',
      '1',
    ];
    const e = env(dir, smtp.url);

    // Run 1: killed while the server holds message #4 (received, not yet accepted).
    const first = runCli(args, e);
    smtp.hook = (_to, n) => {
      if (n === 4) {
        first.child.kill('SIGKILL');
        return false;
      }
      return true;
    };
    const r1 = await first.done;
    assert.equal(r1.signal, 'SIGKILL');
    assert.equal(smtp.accepted.length, 3);

    // Run 2: the same command resumes; the one in flight is uncertain and not re-sent.
    smtp.hook = () => true;
    const r2 = await runCli(args, e).done;
    assert.equal(r2.code, 1, r2.err + r2.out);
    assert.match(r2.out, /resumed: finished/);
    assert.match(r2.out, /sent 9, skipped 0, failed 0, bounced 0, uncertain 1/);
    assert.match(r2.out, /uncertain .*: u4/);
    assert.equal(smtp.accepted.length, 9);
    assert.equal(new Set(smtp.accepted).size, 9, 'nobody got the notice twice');
    assert.ok(!smtp.accepted.includes('user4@example.org'));

    // Run 3: the operator opts into re-sending the uncertain one.
    const r3 = await runCli([...args, '--resend-uncertain'], e).done;
    assert.equal(r3.code, 0, r3.err + r3.out);
    assert.match(r3.out, /sent 10, skipped 0, failed 0, bounced 0, uncertain 0/);
    assert.equal(smtp.accepted.length, 10);
    assert.equal(new Set(smtp.accepted).size, 10);
    // Every email exposure is committed in the log, also the 3 of the killed run (committed by
    // the run that resumed it), and the log and the table agree.
    const audited = await runCli(['audit', 'verify'], e).done;
    assert.equal(audited.code, 0, audited.err + audited.out);
    const veto = await wireVeto(config, { logger: pino({ level: 'silent' }) });
    try {
      let committed = 0;
      for await (const ev of veto.registry.store.readEvents())
        if (ev.type === 'notice.exposures') committed += Number(ev.data.count);
      assert.equal(committed, 10);
    } finally {
      await veto.close();
    }
    // Non-TTY stderr: plain progress lines, no carriage returns.
    assert.doesNotMatch(r2.err, /\r/);
  });
});
