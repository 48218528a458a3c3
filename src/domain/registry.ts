import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { addCalendarMonths } from '../lib/calendar.ts';
import type { Clock } from '../lib/clock.ts';
import { newReference, uuidv7 } from '../lib/ids.ts';
import type { Mailer, RenderEmail } from '../mail/mailer.ts';
import type { RegistryStore } from '../store/registry-store.ts';
import { type ChainVerification, verifyChain } from './audit-chain.ts';
import { auditDigest, compareRegistryWithLog } from './audit-registry-check.ts';
import { AppError } from './errors.ts';
import { ObjectionIntake } from './objection-intake.ts';
import {
  type NotificationSettings,
  objectionEmail,
  statusTokenOf,
  statusUrlOf,
} from './objection-notices.ts';
import { checkSubject, emailHash, subjectKeyOf, subjectKindOf } from './subjects.ts';
import type { Channel, Objection, SubjectRef } from './types.ts';

export interface RegistrySettings {
  purposes: string[];
  defaultPurpose: string;
  /** Off by default: objections are honoured without review (GDPR Art. 21(1) as regulators read it). */
  reviewMode: boolean;
  languages: string[];
  defaultLanguage: string;
  publicUrl: string;
  maxBatch: number;
  /** More purposes whose objection no reviewer may override (the Global Privacy Control purpose). */
  absolutePurposes?: string[];
}

export interface RegistryDeps {
  store: RegistryStore;
  clock: Clock;
  secret: string;
  settings: RegistrySettings;
  mailer: Mailer;
  renderEmail: RenderEmail;
  /** Told what happened, for the operator's figures (`/metrics`); never decides anything. */
  events?: RegistryEvents;
}

/** What the registry reports as it works (src/app/metrics.ts counts it). */
export interface RegistryEvents {
  /** A new objection was committed (not a replay, not an existing one returned). */
  objectionRecorded(channel: string, purpose: string): void;
  /** A one-time code email: sent, or refused by the per-address limit. */
  codeEmail(outcome: 'sent' | 'refused'): void;
}

export interface ObjectCommand {
  subject: SubjectRef;
  purpose?: string;
  channel: Channel;
  reasonText?: string | null;
  appearsAt?: string[];
  language: string;
  /** Where to send the receipt (account holders: the platform token's email claim, if any). */
  email?: string | null;
  idempotencyKey?: string;
  requestHash?: string;
  /**
   * The person's IANA time zone when the platform's token gives one (OpenID Connect `zoneinfo`):
   * the receipt's times are given in it, else in UTC.
   */
  timeZone?: string | undefined;
}

export type Actor = { subjectKey: string } | { admin: string };

/**
 * Purposes whose objection is absolute: no reviewer may override it. Direct marketing by
 * Art. 21(3); sharing with third parties because it is what a Global Privacy Control signal
 * asks ("do not sell or share"), and a signal cannot be argued with case by case.
 */
const ABSOLUTE_PURPOSES = new Set(['direct-marketing', 'third-party-sharing']);

const CODE_TTL_MINUTES = 15;
const CODE_MAX_ATTEMPTS = 5;
const CODES_PER_HOUR = 5;
const MAX_REASON = 5000;
const MAX_APPEARS_AT = 50;

/**
 * The registry's use cases. HTTP, the CLI and jobs call these; only the store touches SQL.
 */
export class Registry {
  readonly settings: RegistrySettings;
  private readonly intake: ObjectionIntake;
  private readonly notifications: NotificationSettings;

  constructor(private readonly deps: RegistryDeps) {
    this.settings = deps.settings;
    this.notifications = { publicUrl: deps.settings.publicUrl, secret: deps.secret };
    this.intake = new ObjectionIntake({
      store: deps.store,
      clock: deps.clock,
      reviewMode: deps.settings.reviewMode,
      maxBatch: deps.settings.maxBatch,
      notifications: this.notifications,
    });
  }

  get store(): RegistryStore {
    return this.deps.store;
  }

  subjectKey(subject: SubjectRef): string {
    return subjectKeyOf(subject, this.deps.secret);
  }

  /**
   * Records an objection. Resolves once it is durably committed, i.e. effective: from then on no
   * dataset build may use the subject's content. Objecting again returns the effective one.
   */
  async object(
    cmd: ObjectCommand,
  ): Promise<{ objection: Objection; created: boolean; replayed: boolean }> {
    const subject = checkSubject(cmd.subject);
    const purpose = cmd.purpose ?? this.settings.defaultPurpose;
    if (!this.settings.purposes.includes(purpose)) {
      throw new AppError('validation', `unknown purpose "${purpose}"`, {
        issues: [
          { field: 'purpose', reason: `must be one of: ${this.settings.purposes.join(', ')}` },
        ],
      });
    }
    const reasonText = cmd.reasonText?.trim() || null;
    // U+0000 is valid JSON but not valid PostgreSQL text: refuse it here, for every adapter,
    // rather than let one request fail a whole group-committed batch.
    if (reasonText?.includes('\0') || cmd.appearsAt?.some((s) => s.includes('\0'))) {
      throw new AppError('validation', 'text contains a NUL character', {
        issues: [
          {
            field: reasonText?.includes('\0') ? 'reason' : 'appearsAt',
            reason: 'must not contain U+0000',
          },
        ],
      });
    }
    if (reasonText && reasonText.length > MAX_REASON) {
      throw new AppError('validation', 'reason is too long', {
        issues: [{ field: 'reason', reason: `at most ${MAX_REASON} characters` }],
      });
    }
    const appearsAt = (cmd.appearsAt ?? []).map((s) => s.trim()).filter(Boolean);
    if (appearsAt.length > MAX_APPEARS_AT || appearsAt.some((s) => s.length > 500)) {
      throw new AppError('validation', 'too many or too long handles/URLs', {
        issues: [
          { field: 'appearsAt', reason: `at most ${MAX_APPEARS_AT} entries of 500 characters` },
        ],
      });
    }
    const email = subject.kind === 'email' ? subject.email : cmd.email?.trim() || null;
    const result = await this.intake.record({
      subjectKey: this.subjectKey(subject),
      subjectKind: subjectKindOf(subject),
      purpose,
      channel: cmd.channel,
      reasonText,
      appearsAt,
      language: this.language(cmd.language),
      email,
      idempotencyKey: cmd.idempotencyKey ?? null,
      requestHash: cmd.requestHash ?? null,
      timeZone: cmd.timeZone ?? null,
      id: uuidv7(),
      reference: newReference(),
    });
    if (result.created) this.deps.events?.objectionRecorded(cmd.channel, purpose);
    return result;
  }

  /**
   * The person withdraws their objection; the history stays in the log. `timeZone`: as in
   * {@link ObjectCommand}, for the confirmation's times.
   */
  async withdraw(
    objectionId: string,
    by: Actor,
    options: { timeZone?: string | undefined } = {},
  ): Promise<Objection> {
    return this.change(objectionId, by, options.timeZone, (o, now) => {
      if (o.status !== 'effective') {
        throw new AppError('invalid-state', `objection is ${o.status}, not effective`, {
          messageKey: 'error.not-effective',
        });
      }
      return {
        next: { ...o, status: 'withdrawn', endedAt: now },
        event: { type: 'objection.withdrawn', data: { by: 'admin' in by ? 'admin' : 'subject' } },
        email: 'withdrawal',
      };
    });
  }

  /**
   * Review mode only: a reviewer upholds the objection, or overrides it with the compelling
   * legitimate grounds stated in `reason` (Art. 21(1)). The person is told, with the right to
   * complain to a supervisory authority (Art. 12(4)).
   */
  async decide(
    objectionId: string,
    decision: { outcome: 'upheld' | 'overridden'; reason: string; reviewer: string },
  ): Promise<Objection> {
    if (!this.settings.reviewMode) {
      throw new AppError('review-disabled', 'manual review is not enabled in this deployment');
    }
    const reason = decision.reason.trim();
    if (!reason) {
      throw new AppError('validation', 'a decision needs its reasons', {
        issues: [{ field: 'reason', reason: 'required: the person is owed the reasons' }],
      });
    }
    return this.change(objectionId, { admin: decision.reviewer }, undefined, (o, now) => {
      if (o.review !== 'pending' || o.status !== 'effective') {
        throw new AppError(
          'invalid-state',
          `objection is not pending review (review: ${o.review}, status: ${o.status})`,
        );
      }
      if (
        decision.outcome === 'overridden' &&
        (ABSOLUTE_PURPOSES.has(o.purpose) || this.settings.absolutePurposes?.includes(o.purpose))
      ) {
        throw new AppError(
          'invalid-state',
          `an objection to ${o.purpose} is absolute and cannot be overridden`,
        );
      }
      const overridden = decision.outcome === 'overridden';
      return {
        next: {
          ...o,
          review: decision.outcome,
          status: overridden ? 'overridden' : o.status,
          endedAt: overridden ? now : o.endedAt,
          decisionReason: reason,
          decidedAt: now,
          decidedBy: decision.reviewer,
        },
        event: {
          type: 'objection.decided',
          data: {
            outcome: decision.outcome,
            reviewer: decision.reviewer,
            reasonDigest: auditDigest(this.deps.secret, 'decision_reason', reason),
          },
        },
        email: 'decision',
      };
    });
  }

  /**
   * Extends the response deadline by one or two calendar months (Art. 12(3)); allowed once,
   * within the first month, with a reason the person is told.
   */
  async extend(
    objectionId: string,
    extension: { months: number; reason: string; reviewer: string },
  ): Promise<Objection> {
    if (!this.settings.reviewMode) {
      throw new AppError('review-disabled', 'manual review is not enabled in this deployment');
    }
    if (!Number.isInteger(extension.months) || extension.months < 1 || extension.months > 2) {
      throw new AppError('validation', 'months must be 1 or 2', {
        issues: [{ field: 'months', reason: 'must be 1 or 2' }],
      });
    }
    const reason = extension.reason.trim();
    if (!reason) {
      throw new AppError('validation', 'an extension needs a reason', {
        issues: [{ field: 'reason', reason: 'required (Art. 12(3))' }],
      });
    }
    return this.change(objectionId, { admin: extension.reviewer }, undefined, (o, now) => {
      if (o.review !== 'pending')
        throw new AppError('invalid-state', 'only a pending request can be extended');
      if (o.extensionReason)
        throw new AppError('invalid-state', 'the deadline was already extended');
      if (now > o.dueAt)
        throw new AppError('invalid-state', 'the extension must be decided within the first month');
      const dueAt = addCalendarMonths(o.receivedAt, 1 + extension.months);
      return {
        next: { ...o, dueAt, extensionReason: reason },
        event: {
          type: 'objection.extended',
          data: {
            months: extension.months,
            dueAt,
            reasonDigest: auditDigest(this.deps.secret, 'extension_reason', reason),
          },
        },
        email: 'extension',
      };
    });
  }

  getObjection(id: string): Promise<Objection | undefined> {
    return this.deps.store.getObjection(id);
  }

  getByReference(reference: string): Promise<Objection | undefined> {
    return this.deps.store.getObjectionByReference(reference.trim().toUpperCase());
  }

  objectionsOf(subject: SubjectRef): Promise<Objection[]> {
    return this.deps.store.objectionsOfSubject(this.subjectKey(subject));
  }

  /** Whether the subject currently objects to `purpose`. */
  async isObjecting(subject: SubjectRef, purpose = this.settings.defaultPurpose): Promise<boolean> {
    const all = await this.objectionsOf(subject);
    return all.some((o) => o.purpose === purpose && o.status === 'effective');
  }

  /** The secret part of a receipt's status link: only the receipt's holder can see the status. */
  statusToken(objection: Objection): string {
    return statusTokenOf(objection.id, this.deps.secret);
  }

  checkStatusToken(objection: Objection, token: string): boolean {
    const a = Buffer.from(this.statusToken(objection));
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  statusUrl(objection: Objection): string {
    return statusUrlOf(objection, this.notifications);
  }

  /**
   * Sends a six-digit one-time code to a non-user's address. Limits: 5 codes an hour per
   * address, 15 minutes' validity, 5 attempts per code. Identical answer whatever the address,
   * so the form reveals nothing about who objected.
   */
  async requestEmailCode(email: string, language: string): Promise<void> {
    const subject = checkSubject({ kind: 'email', email });
    if (subject.kind !== 'email') return;
    const hash = emailHash(subject.email, this.deps.secret);
    const now = this.deps.clock();
    const hourAgo = new Date(Date.parse(now) - 3_600_000).toISOString();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const id = uuidv7();
    // Counted and stored in one atomic step: parallel requests (on any instance) cannot send
    // more than CODES_PER_HOUR codes to one address.
    const stored = await this.deps.store.putVerificationCodeWithinLimit(
      {
        id,
        emailHash: hash,
        codeHash: this.codeHash(id, code),
        createdAt: now,
        expiresAt: new Date(Date.parse(now) + CODE_TTL_MINUTES * 60_000).toISOString(),
        attempts: 0,
        consumedAt: null,
      },
      hourAgo,
      CODES_PER_HOUR,
    );
    if (!stored) {
      this.deps.events?.codeEmail('refused');
      throw new AppError(
        'rate-limited',
        'too many codes requested for this address; try again later',
      );
    }
    const lang = this.language(language);
    const content = this.deps.renderEmail('code', lang, { code, minutes: CODE_TTL_MINUTES });
    await this.deps.mailer.send({ ...content, to: subject.email });
    this.deps.events?.codeEmail('sent');
  }

  /** Checks a one-time code; consumes it on success. */
  async verifyEmailCode(email: string, code: string): Promise<void> {
    const subject = checkSubject({ kind: 'email', email });
    if (subject.kind !== 'email') return;
    const hash = emailHash(subject.email, this.deps.secret);
    const row = await this.deps.store.latestVerificationCode(hash);
    const now = this.deps.clock();
    if (!row || row.consumedAt)
      throw new AppError('code-invalid', 'no code is pending for this address');
    if (row.attempts >= CODE_MAX_ATTEMPTS)
      throw new AppError('code-attempts', 'too many wrong codes; request a new one');
    if (now > row.expiresAt)
      throw new AppError('code-expired', 'the code has expired; request a new one');
    const given = Buffer.from(this.codeHash(row.id, code.replace(/\s/g, '')));
    const stored = Buffer.from(row.codeHash);
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) {
      await this.deps.store.updateVerificationCode(row.id, { attempts: row.attempts + 1 });
      if (row.attempts + 1 >= CODE_MAX_ATTEMPTS) {
        throw new AppError('code-attempts', 'too many wrong codes; request a new one');
      }
      throw new AppError('code-invalid', 'wrong code', {
        issues: [{ field: 'code', reason: 'does not match' }],
      });
    }
    await this.deps.store.updateVerificationCode(row.id, { consumedAt: now });
  }

  /**
   * Checks the audit chain (every edit, deletion or reordering of events) and that the
   * objections table agrees with the log, column by column (audit-registry-check.ts).
   */
  async verifyAudit(): Promise<AuditReport> {
    const store = this.deps.store;
    const chain = await verifyChain(store.readEvents(), await store.chainHead());
    if (!chain.ok) return { ok: false, chain, mismatches: [], notes: [] };
    const { mismatches, notes } = await compareRegistryWithLog(
      store,
      chain.head.seq,
      this.deps.secret,
    );
    return { ok: mismatches.length === 0, chain, mismatches, notes };
  }

  /** Waits until every submitted objection is committed (shutdown). */
  drain(): Promise<void> {
    return this.intake.drain();
  }

  language(requested: string | undefined): string {
    if (requested && this.settings.languages.includes(requested)) return requested;
    const base = requested?.split('-')[0];
    if (base && this.settings.languages.includes(base)) return base;
    return this.settings.defaultLanguage;
  }

  private codeHash(id: string, code: string): string {
    return createHmac('sha256', this.deps.secret).update(`code\0${id}\0${code}`).digest('hex');
  }

  /** Read-modify-write of one objection with its event and notification, in one transaction. */
  private change(
    objectionId: string,
    by: Actor,
    timeZone: string | undefined,
    apply: (
      o: Objection,
      now: string,
    ) => {
      next: Objection;
      event: { type: string; data: Record<string, unknown> };
      email: 'withdrawal' | 'extension' | 'decision';
    },
  ): Promise<Objection> {
    return this.deps.store.transaction(async (tx) => {
      const o = await tx.objectionForUpdate(objectionId);
      // The same answer for "does not exist" and "not yours": nobody learns about others.
      if (!o || ('subjectKey' in by && by.subjectKey !== o.subjectKey)) {
        throw new AppError('not-found', 'no such objection');
      }
      const now = this.deps.clock();
      const { next, event, email } = apply(o, now);
      await tx.updateObjection(next);
      await tx.appendEvents([
        {
          at: now,
          type: event.type,
          objectionId: o.id,
          subjectKey: o.subjectKey,
          data: event.data,
        },
      ]);
      const contact = await this.deps.store.getContact(o.subjectKey);
      if (contact)
        await tx.enqueueOutbox([
          objectionEmail(email, next, contact.email, this.notifications, now, timeZone),
        ]);
      return next;
    });
  }
}

export interface AuditReport {
  ok: boolean;
  chain: ChainVerification;
  mismatches: string[];
  /** What the comparison could not check, and why (objections older than a log field). */
  notes: string[];
}
