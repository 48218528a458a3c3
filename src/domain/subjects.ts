import { createHmac } from 'node:crypto';
import { z } from 'zod';
import {
  ACCOUNT_ID_MAX_LENGTH,
  ACCOUNT_ID_PATTERN,
  ACCOUNT_ID_RULE,
  ACCOUNT_KEY_PREFIX,
  accountIdProblem,
} from '../registry-files/subject-key-rule.ts';
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
  if (subject.kind === 'account') return `${ACCOUNT_KEY_PREFIX}${subject.accountId}`;
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

/**
 * An account id in a zod schema (the API, the import): the intake's one rule
 * (`accountIdProblem`), with the rule's length and pattern published in /openapi.json.
 */
export function accountIdSchema(description: string) {
  return z
    .string()
    .superRefine((id, ctx) => {
      const problem = accountIdProblem(id);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .meta({
      minLength: 1,
      maxLength: ACCOUNT_ID_MAX_LENGTH,
      pattern: ACCOUNT_ID_PATTERN,
      description: `${description}: ${ACCOUNT_ID_RULE}`,
    });
}

/** The AppError for an account id the intake refuses, naming the field. */
export function accountIdError(field: string, reason: string): AppError {
  return new AppError('validation', `${field}: ${reason}`, { issues: [{ field, reason }] });
}

/**
 * Validates a subject reference; errors name the field. An account id is taken exactly as given
 * (never trimmed): what is accepted here can always be written to a snapshot and a filter file.
 */
export function checkSubject(subject: SubjectRef, field = 'subject'): SubjectRef {
  if (subject.kind === 'account') {
    const problem = accountIdProblem(subject.accountId);
    if (problem) throw accountIdError(`${field}.accountId`, problem);
    return { kind: 'account', accountId: subject.accountId };
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
