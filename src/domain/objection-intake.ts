import { addCalendarMonths } from '../lib/calendar.ts';
import type { Clock } from '../lib/clock.ts';
import { GroupCommitter } from '../lib/group-commit.ts';
import type { RegistryStore, RegistryTx } from '../store/registry-store.ts';
import { recordedAuditData } from './audit-registry-check.ts';
import { AppError } from './errors.ts';
import { type NotificationSettings, objectionEmail } from './objection-notices.ts';
import type {
  Channel,
  Contact,
  IdempotencyRecord,
  NewEvent,
  Objection,
  OutboxMessage,
  SubjectKind,
} from './types.ts';

/** An objection request, already validated and resolved to a subject key. */
export interface IntakeCommand {
  subjectKey: string;
  subjectKind: SubjectKind;
  purpose: string;
  channel: Channel;
  reasonText: string | null;
  appearsAt: string[];
  language: string;
  /** Where to send the receipt, if anywhere. Kept in `contacts`, never in events or logs. */
  email: string | null;
  /** Scoped `<client>:<key>`; with `requestHash`, makes retries return the first answer. */
  idempotencyKey: string | null;
  requestHash: string | null;
  /** The person's IANA time zone, for the receipt's times (null: UTC). */
  timeZone: string | null;
  /**
   * The id and receipt reference the objection gets if this command creates one, drawn by the
   * caller: the writer can then answer "created" without sending the whole row back.
   */
  id: string;
  reference: string;
}

export interface IntakeOutcome {
  objection: Objection;
  /** False when the subject already objected (double submit) or the request is a retry. */
  created: boolean;
  /** True when the answer is the stored answer to an earlier request with the same key. */
  replayed: boolean;
}

/** Everything a batch needs besides the commands: plain data, so it can cross threads. */
export interface IntakeContext {
  /** The instant every objection of the batch is stamped with, taken at the serialisation point. */
  now: string;
  reviewMode: boolean;
  notifications: NotificationSettings;
}

export interface IntakeOptions {
  store: RegistryStore;
  clock: Clock;
  reviewMode: boolean;
  maxBatch: number;
  notifications: NotificationSettings;
}

/**
 * Records objections. Every objection is effective the instant its transaction commits, and
 * `record` resolves only then. Concurrent requests are grouped into one transaction (group
 * commit) by the store's `recordIntake`, which runs `applyIntakeBatch` where the data lives.
 */
export class ObjectionIntake {
  private readonly committer: GroupCommitter<IntakeCommand, IntakeOutcome>;

  constructor(options: IntakeOptions) {
    this.committer = new GroupCommitter<IntakeCommand, IntakeOutcome>(
      (batch) =>
        options.store.recordIntake(batch, () => ({
          now: options.clock(),
          reviewMode: options.reviewMode,
          notifications: options.notifications,
        })),
      options.maxBatch,
    );
  }

  record(command: IntakeCommand): Promise<IntakeOutcome> {
    return this.committer.submit(command);
  }

  drain(): Promise<void> {
    return this.committer.drain();
  }
}

/**
 * The intake's unit of work, applied inside one write transaction. Within a batch the rules are
 * applied in arrival order: an idempotency key replays its first answer (or is refused with a
 * different body); a subject who already objects to the purpose gets the effective objection
 * back; anyone else gets a new objection, its event, and a receipt in the outbox. Returns one
 * outcome per command; an item-level refusal is an AppError in its slot.
 */
export async function applyIntakeBatch(
  tx: RegistryTx,
  batch: readonly IntakeCommand[],
  ctx: IntakeContext,
): Promise<(IntakeOutcome | AppError)[]> {
  const { now } = ctx;
  const keys = batch.flatMap((c) => (c.idempotencyKey ? [c.idempotencyKey] : []));
  const idem = new Map(
    (keys.length ? await tx.idempotencyRecords(keys) : []).map((r) => [r.key, r]),
  );
  const subjects = [...new Set(batch.map((c) => c.subjectKey))];
  const active = new Map<string, Objection>();
  for (const o of await tx.effectiveObjections(subjects))
    active.set(`${o.subjectKey}\0${o.purpose}`, o);
  const byId = new Map<string, Objection>();

  const created: Objection[] = [];
  const newIdem: IdempotencyRecord[] = [];
  const contacts: Contact[] = [];
  const outbox: OutboxMessage[] = [];
  const events: NewEvent[] = [];
  const outcomes: (IntakeOutcome | AppError)[] = [];

  for (const c of batch) {
    if (c.idempotencyKey) {
      const prior = idem.get(c.idempotencyKey);
      if (prior) {
        if (prior.requestHash !== c.requestHash) {
          outcomes.push(
            new AppError(
              'idempotency-mismatch',
              'this Idempotency-Key was used with a different request body',
              {
                issues: [
                  {
                    field: 'Idempotency-Key',
                    reason: 'already used with a different request body',
                  },
                ],
              },
            ),
          );
          continue;
        }
        const objection =
          byId.get(prior.objectionId) ?? (await tx.objectionForUpdate(prior.objectionId));
        if (!objection) {
          outcomes.push(
            new AppError('conflict', 'the objection recorded under this key no longer exists'),
          );
          continue;
        }
        outcomes.push({ objection, created: false, replayed: true });
        continue;
      }
    }
    const slot = `${c.subjectKey}\0${c.purpose}`;
    let objection = active.get(slot);
    let isNew = false;
    if (!objection) {
      objection = newObjection(c, now, ctx.reviewMode);
      isNew = true;
      active.set(slot, objection);
      byId.set(objection.id, objection);
      created.push(objection);
      events.push({
        at: now,
        type: 'objection.recorded',
        objectionId: objection.id,
        subjectKey: objection.subjectKey,
        data: {
          reference: objection.reference,
          purpose: objection.purpose,
          scope: objection.scope,
          channel: objection.channel,
          subjectKind: objection.subjectKind,
          review: objection.review,
          dueAt: objection.dueAt,
          withReason: objection.reasonText !== null,
          // Language and digests of the free text and handles: audit verify compares them.
          ...recordedAuditData(objection, ctx.notifications.secret),
        },
      });
      if (c.email) {
        contacts.push({ subjectKey: c.subjectKey, email: c.email, language: c.language });
        outbox.push(
          objectionEmail('receipt', objection, c.email, ctx.notifications, now, c.timeZone),
        );
      }
    }
    if (c.idempotencyKey) {
      const rec = {
        key: c.idempotencyKey,
        requestHash: c.requestHash ?? '',
        objectionId: objection.id,
        createdAt: now,
      };
      idem.set(rec.key, rec);
      newIdem.push(rec);
    }
    outcomes.push({ objection, created: isNew, replayed: false });
  }

  if (created.length) await tx.insertObjections(created);
  if (newIdem.length) await tx.insertIdempotency(newIdem);
  if (contacts.length) await tx.upsertContacts(contacts);
  if (outbox.length) await tx.enqueueOutbox(outbox);
  if (events.length) await tx.appendEvents(events);
  return outcomes;
}

/** The objection a command creates: a pure function of the command and the batch context. */
export function newObjection(c: IntakeCommand, now: string, reviewMode: boolean): Objection {
  return {
    id: c.id,
    reference: c.reference,
    subjectKey: c.subjectKey,
    subjectKind: c.subjectKind,
    purpose: c.purpose,
    scope: 'account',
    channel: c.channel,
    status: 'effective',
    review: reviewMode ? 'pending' : 'none',
    reasonText: c.reasonText,
    appearsAt: c.appearsAt,
    language: c.language,
    receivedAt: now,
    dueAt: addCalendarMonths(now, 1),
    extensionReason: null,
    decisionReason: null,
    decidedAt: null,
    decidedBy: null,
    endedAt: null,
  };
}
