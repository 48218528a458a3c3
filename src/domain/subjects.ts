import { createHmac } from 'node:crypto';
import { AppError } from './errors.ts';
import type { SubjectKind, SubjectRef } from './types.ts';

/** Trimmed and lower-cased: one address, one subject, however it is typed. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * The registry's key for a subject. Accounts keep the platform's id (the gate matches it against
 * authors). Non-users are keyed by a keyed hash of their address, so the registry, snapshots and
 * logs never carry the address itself; it lives only in `contacts`, to send receipts.
 */
export function subjectKeyOf(subject: SubjectRef, secret: string): string {
  if (subject.kind === 'account') return `acct:${subject.accountId}`;
  return `email:${emailHash(subject.email, secret)}`;
}

export function emailHash(email: string, secret: string): string {
  return createHmac('sha256', secret)
    .update(`email\0${normalizeEmail(email)}`)
    .digest('hex')
    .slice(0, 40);
}

export function subjectKindOf(subject: SubjectRef): SubjectKind {
  return subject.kind === 'account' ? 'account' : 'non-user';
}

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]{2,}$/;

/** Validates a subject reference; errors name the field. */
export function checkSubject(subject: SubjectRef, field = 'subject'): SubjectRef {
  if (subject.kind === 'account') {
    const id = subject.accountId.trim();
    if (id.length === 0 || id.length > 200 || /[\s\0]/.test(id)) {
      throw new AppError('validation', 'account id must be 1-200 characters without spaces', {
        issues: [
          { field: `${field}.accountId`, reason: 'must be 1-200 characters without spaces' },
        ],
      });
    }
    return { kind: 'account', accountId: id };
  }
  const email = normalizeEmail(subject.email);
  if (email.length > 254 || !EMAIL.test(email)) {
    throw new AppError('validation', 'not an email address', {
      issues: [{ field: `${field}.email`, reason: 'not an email address' }],
      messageKey: 'error.email-invalid',
    });
  }
  return { kind: 'email', email };
}
