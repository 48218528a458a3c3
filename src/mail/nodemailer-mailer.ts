import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import { uuidv7 } from '../lib/ids.ts';
import type { Mailer, OutgoingEmail } from './mailer.ts';

/** Sends through an SMTP server, e.g. `smtp://user:pass@mail.example:587`. */
export function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(m: OutgoingEmail) {
      await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text, html: m.html });
    },
    async close() {
      transport.close();
    },
  };
}

/**
 * With no SMTP server configured (the demo, offline machines) every message is rendered by
 * nodemailer as a real RFC 5322 .eml file in a folder. The log line names the file, never the
 * recipient: addresses must not reach logs.
 */
export function createFolderMailer(folder: string, from: string, logger: Logger): Mailer {
  mkdirSync(folder, { recursive: true });
  const transport = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });
  return {
    async send(m: OutgoingEmail) {
      const info = await transport.sendMail({
        from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
      });
      const file = path.join(folder, `${uuidv7()}.eml`);
      writeFileSync(file, info.message as Buffer);
      logger.info({ file }, 'email written to the outbox folder (no SMTP configured)');
    },
    async close() {
      transport.close();
    },
  };
}
