/** A rendered email. Templates live in src/mail/templates.ts and read the message catalogue. */
export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

export interface OutgoingEmail extends EmailContent {
  to: string;
}

/** Where email goes: SMTP (nodemailer) when configured, else an outbox folder. */
export interface Mailer {
  send(message: OutgoingEmail): Promise<void>;
  close(): Promise<void>;
}

export type EmailKind =
  | 'receipt'
  | 'code'
  | 'withdrawal'
  | 'extension'
  | 'decision'
  | 'removal'
  | 'memorisation'
  | 'memorisation-answer';

export type RenderEmail = (
  kind: EmailKind,
  language: string,
  vars: Record<string, string | number>,
) => EmailContent;
