import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { OutboxDispatcher } from '../../src/domain/outbox-dispatcher.ts';
import { createSmtpMailer } from '../../src/mail/nodemailer-mailer.ts';
import { createEmailRenderer } from '../../src/mail/templates.ts';
import { testVeto } from '../support/test-veto.ts';

/** A real SMTP server in this process that keeps every message it accepts. */
async function smtpSink(t: { after: (fn: () => Promise<void>) => void }) {
  const messages: { to: string[]; raw: string }[] = [];
  let refuse = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (d) => {
        raw += d;
      });
      stream.on('end', () => {
        if (refuse > 0) {
          refuse -= 1;
          return callback(new Error('451 try again later'));
        }
        messages.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, messages, refuseNext: (n: number) => (refuse = n) };
}

test('a receipt reaches the person over SMTP, after a transient refusal', async (t) => {
  const smtp = await smtpSink(t);
  const mailer = createSmtpMailer(`${smtp.url}?ignoreTLS=true`, 'Veto <veto@example.org>');
  const { veto } = await testVeto(t, {}, { mailer });
  const { objection } = await veto.registry.object({
    subject: { kind: 'email', email: 'lea@example.org' },
    channel: 'portal',
    language: 'fr',
  });
  smtp.refuseNext(1);
  assert.equal(await veto.dispatcher.deliverDue(), 0, 'the refused message is kept for a retry');
  const [pending] = await veto.store.dueOutbox('9999-01-01T00:00:00.000Z', 10);
  assert.equal(pending?.attempts, 1);
  // The retry is scheduled with backoff; deliver it as if that time had come.
  const later = Date.now() + 60_000;
  const due = await veto.store.dueOutbox(new Date(later).toISOString(), 10);
  assert.equal(due.length, 1);
  const dispatcher = new OutboxDispatcher({
    ...veto,
    clock: () => new Date(later).toISOString(),
    renderEmail: createEmailRenderer(),
  });
  assert.equal(await dispatcher.deliverDue(), 1);
  assert.equal(smtp.messages.length, 1);
  const [m] = smtp.messages;
  assert.deepEqual(m!.to, ['lea@example.org']);
  assert.match(m!.raw, new RegExp(objection.reference));
  assert.match(m!.raw, /Content-Type: text\/html/);
  assert.equal(
    (await veto.store.dueOutbox('9999-01-01T00:00:00.000Z', 10)).length,
    0,
    'delivered once',
  );
});
