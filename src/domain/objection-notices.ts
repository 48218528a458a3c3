import { createHmac } from 'node:crypto';
import { uuidv7 } from '../lib/ids.ts';
import type { Objection, OutboxMessage } from './types.ts';

/** What it takes to write the emails about an objection: pure data, usable on any thread. */
export interface NotificationSettings {
  publicUrl: string;
  /** The HMAC secret behind status links. */
  secret: string;
}

export type ObjectionEmailKind = 'receipt' | 'withdrawal' | 'extension' | 'decision';

/** The secret part of a receipt's status link: only the receipt's holder can see the status. */
export function statusTokenOf(objectionId: string, secret: string): string {
  return createHmac('sha256', secret)
    .update(`status\0${objectionId}`)
    .digest('base64url')
    .slice(0, 32);
}

export function statusUrlOf(o: Objection, settings: NotificationSettings): string {
  // The language goes with the link: a French receipt's link opens the page in French, even in
  // a browser that asks for English.
  return `${settings.publicUrl}/status/${o.reference}?t=${statusTokenOf(o.id, settings.secret)}&lang=${encodeURIComponent(o.language)}`;
}

/**
 * The outbox message for an email about an objection (rendered and sent later by the outbox
 * dispatcher). Committed in the same transaction as the change it reports, so it cannot be
 * lost between the two.
 */
export function objectionEmail(
  kind: ObjectionEmailKind,
  o: Objection,
  to: string,
  settings: NotificationSettings,
  now: string,
  /** The person's IANA time zone (from the platform's token): the email's times are in it. */
  timeZone?: string | null,
): OutboxMessage {
  return {
    id: uuidv7(Date.parse(now)),
    kind: 'email',
    payload: {
      template: kind,
      to,
      language: o.language,
      vars: {
        reference: o.reference,
        purpose: o.purpose,
        subjectKind: o.subjectKind,
        receivedAt: o.receivedAt,
        dueAt: o.dueAt,
        statusUrl: statusUrlOf(o, settings),
        reason: o.decisionReason ?? o.extensionReason ?? '',
        outcome: o.review,
        endedAt: o.endedAt ?? '',
        ...(timeZone ? { timeZone } : {}),
      },
    },
    createdAt: now,
  };
}
