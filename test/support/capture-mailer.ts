import type { Mailer, OutgoingEmail } from '../../src/mail/mailer.ts';

/** A mailer that keeps messages in memory, for tests that don't need real SMTP. */
export class CaptureMailer implements Mailer {
  readonly sent: OutgoingEmail[] = [];
  failNext = 0;

  async send(m: OutgoingEmail): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('SMTP unavailable (test)');
    }
    this.sent.push(m);
  }

  async close(): Promise<void> {}

  to(address: string): OutgoingEmail[] {
    return this.sent.filter((m) => m.to === address);
  }
}
