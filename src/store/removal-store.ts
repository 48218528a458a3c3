import type { Contact, NewEvent, OutboxMessage } from '../domain/types.ts';

/**
 * Storage for what happens after a dataset is built: removals planned from later
 * objections, models, recipients (GDPR Art. 19) and their outbox, memorisation reports.
 * SQLite: src/store/sqlite/sqlite-removal-store.ts. Tables: migrations/004-removals.ts.
 */
export interface RemovalStore {
  /**
   * The removal planner's unit of work, in ONE transaction: reads the `objection.recorded`
   * events after the job's cursor (at most `limit`), the inclusion index hits of their subjects,
   * the recipients, models and contacts involved; calls `plan` (pure); writes its removals,
   * recipient messages, emails and audit events, and advances the cursor. A crash before COMMIT
   * loses nothing (the events are read again); after it, nothing is planned twice.
   *
   * Only datasets whose recording has finished (`datasets.sealed_at`, migration 005) are looked
   * at. In the same transaction, every dataset sealed since the job last looked (tracked in
   * `removal_catchups`) is checked once against ALL objections effective now: an objection whose
   * event the cursor passed while that dataset was still being recorded is caught there.
   */
  planRemovals(
    job: string,
    limit: number,
    plan: (input: PlanningInput) => RemovalPlan,
  ): Promise<{ scanned: number; removals: number; cursor: number }>;

  dueRecipientMessages(now: string, limit: number): Promise<DueRecipientMessage[]>;
  markRecipientMessagesDelivered(ids: readonly string[], at: string): Promise<void>;
  markRecipientMessageFailed(id: string, error: string, nextAttemptAt: string): Promise<void>;
  /**
   * Messages not yet delivered: how many, the oldest one's creation time, and those that have
   * failed at least once and were created before `failingSince` (failing for too long).
   */
  recipientBacklog(failingSince: string, limit: number): Promise<RecipientBacklog>;

  /** Whether the dataset is recorded and sealed (its inclusion index complete). */
  datasetExists(datasetId: string): Promise<boolean>;
  addModel(model: ModelRecord): Promise<void>;
  listModels(datasetId?: string): Promise<ModelRecord[]>;
  getModel(id: string): Promise<ModelRecord | undefined>;
  addRecipient(recipient: RecipientRecord): Promise<void>;
  listRecipients(datasetId?: string): Promise<RecipientRecord[]>;

  /** Queues messages to recipients outside a planning pass (a version superseded, say). */
  enqueueRecipientMessages(messages: readonly RecipientMessage[]): Promise<void>;
  /** The removals recorded against a dataset, oldest first. */
  removalsOf(datasetId: string): Promise<RemovalRecord[]>;
  /**
   * Sealed datasets that have removals and a recorded location (the absolute directory each was
   * sealed into, migration 015), by id: where `serve`'s erasure job looks beyond its folders.
   */
  sealedLocationsWithRemovals(): Promise<{ datasetId: string; location: string }[]>;
  /**
   * Item ids of the dataset (sealed, by its inclusion index) whose subject has an objection
   * effective now for the dataset's purpose, sorted: what training on it must leave out, whether
   * or not the removal planner has recorded the removal yet. Never who objected.
   */
  objectedItemsOf(datasetId: string): Promise<string[]>;
  /** What a person can be told: datasets holding their items and what became of them. */
  subjectDatasets(subjectKey: string): Promise<SubjectDataset[]>;
  /**
   * A sealed dataset's exclusion commitment and its sorted VRF outputs (migration
   * 014-dataset-exclusion), or undefined when the dataset is not sealed or has none.
   */
  datasetExclusion(datasetId: string): Promise<StoredExclusion | undefined>;
  /** Sealed datasets that have an exclusion commitment, the newest first. */
  exclusionDatasets(): Promise<{ datasetId: string; purpose: string; recordedAt: string }[]>;
  /**
   * A sealed dataset's terms commitment and its sorted values (migration 020-dataset-terms), or
   * undefined when the dataset is not sealed or has none.
   */
  datasetTerms(datasetId: string): Promise<StoredTerms | undefined>;
  /** Sealed datasets of `purpose` that have a terms commitment, the newest first. */
  termsDatasets(purpose: string): Promise<StoredTerms[]>;

  /**
   * Records a report, with the address the person gave for answers (kept apart from the report:
   * lists and exports never carry it) and the receipt email, in one transaction.
   */
  addMemorisationReport(
    report: MemorisationReport,
    email: OutboxMessage | null,
    contactEmail?: string | null,
  ): Promise<void>;
  memorisationReportsOf(subjectKey: string): Promise<MemorisationReport[]>;
  /** Every report, the earliest due first (the console's list). */
  listMemorisationReports(): Promise<MemorisationReport[]>;
  memorisationReportByReference(reference: string): Promise<MemorisationReport | undefined>;
  /** The address the person gave with the report, if any. */
  memorisationContact(id: string): Promise<string | null>;
  /**
   * Records the answer and queues its email in one transaction; false (nothing changed) when the
   * report was already answered: a report is answered once.
   */
  answerMemorisationReport(
    id: string,
    answer: MemorisationAnswer,
    email: OutboxMessage | null,
  ): Promise<boolean>;
}

export interface StoredTerms {
  datasetId: string;
  purpose: string;
  recordedAt: string;
  /** Hex commitment root. */
  root: string;
  count: number;
  /** `count` sorted keyed values of 32 octets. */
  leaves: Buffer;
}

export interface StoredExclusion {
  datasetId: string;
  keyId: string;
  /** Hex Merkle root. */
  root: string;
  count: number;
  /** `count` sorted VRF outputs of 32 octets. */
  leaves: Buffer;
}

export interface PlanningEvent {
  /** The `objection.recorded` event's sequence number; 0 for a catch-up (see `withCatchUp`). */
  seq: number;
  at: string;
  objectionId: string;
  subjectKey: string;
  purpose: string;
  /** Sealed datasets of the same purpose holding the subject's items (as author or mentioned). */
  hits: { datasetId: string; itemIds: string[] }[];
}

export interface PlanningInput {
  events: PlanningEvent[];
  recipients: Map<string, RecipientRecord[]>;
  models: Map<string, ModelRecord[]>;
  contacts: Map<string, Contact>;
  /** `objectionId \t datasetId` pairs already planned (a replay after a lost cursor update). */
  planned: Set<string>;
}

export interface RemovalPlan {
  removals: RemovalRecord[];
  messages: RecipientMessage[];
  emails: OutboxMessage[];
  events: NewEvent[];
}

export interface RemovalRecord {
  id: string;
  datasetId: string;
  subjectKey: string;
  objectionId: string;
  purpose: string;
  itemIds: string[];
  recordedAt: string;
}

export interface RecipientMessage {
  id: string;
  recipientId: string;
  removalId: string;
  channel: 'webhook' | 'nats';
  payload: Record<string, unknown>;
  createdAt: string;
}

export interface FailingRecipientMessage {
  id: string;
  recipientId: string;
  recipientName: string;
  datasetId: string;
  removalId: string;
  channel: 'webhook' | 'nats';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  nextAttemptAt: string;
}

export interface RecipientBacklog {
  pending: number;
  oldestCreatedAt: string | null;
  failing: FailingRecipientMessage[];
}

export interface DueRecipientMessage extends RecipientMessage {
  attempts: number;
  recipient: RecipientRecord;
}

export interface ModelRecord {
  id: string;
  datasetId: string;
  name: string;
  trainedAt: string | null;
  recordedAt: string;
}

export interface RecipientRecord {
  id: string;
  datasetId: string;
  name: string;
  webhookUrl: string | null;
  webhookSecret: string | null;
  natsSubject: string | null;
  /** When the recipient received the dataset version. */
  receivedAt: string;
  createdAt: string;
}

export interface SubjectDataset {
  datasetId: string;
  purpose: string;
  recordedAt: string;
  items: number;
  removal: {
    id: string;
    items: number;
    recordedAt: string;
    /** Per recipient: when the removal was acknowledged (null: still being delivered). */
    deliveries: { recipient: string; channel: 'webhook' | 'nats'; deliveredAt: string | null }[];
  } | null;
  /** A later version of this dataset built without the removed items (`veto dataset rebuild`). */
  replacedBy: string | null;
  recipients: { name: string; receivedAt: string }[];
  models: { id: string; name: string }[];
}

export interface MemorisationReport {
  id: string;
  reference: string;
  subjectKey: string;
  modelId: string;
  description: string;
  language: string;
  receivedAt: string;
  dueAt: string;
  /** Staff's answer, once given (the console). */
  answer?: MemorisationAnswer | null;
}

/**
 * What staff found: the model's output was filtered or the model retrained (mitigated), the
 * output could not be reproduced, or it holds no personal data of the person.
 */
export const MEMORISATION_OUTCOMES = ['mitigated', 'not-reproduced', 'no-personal-data'] as const;
export type MemorisationOutcome = (typeof MEMORISATION_OUTCOMES)[number];

export interface MemorisationAnswer {
  answeredAt: string;
  /** The staff member, as `staff:<subject>`. */
  answeredBy: string;
  outcome: MemorisationOutcome;
  text: string;
}

/**
 * Joins the catch-up hits (effective objections checked against datasets sealed since the last
 * pass) to a batch's events: one event per objection, so each person gets one email per pass,
 * and an (objection, dataset) pair found both ways is planned once. Pure; used by both adapters.
 */
export function withCatchUp(
  events: readonly PlanningEvent[],
  catchUp: readonly PlanningEvent[],
): PlanningEvent[] {
  const out = events.map((e) => ({ ...e, hits: [...e.hits] }));
  const byObjection = new Map(out.map((e) => [e.objectionId, e]));
  for (const c of catchUp) {
    const known = byObjection.get(c.objectionId);
    if (!known) {
      const added = { ...c, hits: [...c.hits] };
      out.push(added);
      byObjection.set(c.objectionId, added);
      continue;
    }
    for (const hit of c.hits) {
      if (!known.hits.some((h) => h.datasetId === hit.datasetId)) known.hits.push(hit);
    }
  }
  return out;
}

/** A recipient message being marked delivered, with what its audit event names. */
export interface AcknowledgedRow {
  id: string;
  removal_id: string;
  recipient_id: string;
  channel: string;
  dataset_id: string;
  objection_id: string;
  subject_key: string;
}

/**
 * The `removal.acknowledged` audit event of a recipient message delivered (the recipient's
 * acknowledgement): written in the transaction that marks it, once per message, so the log shows
 * which recipient confirmed which removal and when. Used by both adapters.
 */
export function removalAcknowledgedEvent(row: AcknowledgedRow, at: string): NewEvent {
  return {
    at,
    type: 'removal.acknowledged',
    objectionId: row.objection_id,
    subjectKey: row.subject_key,
    data: {
      messageId: row.id,
      removalId: row.removal_id,
      recipientId: row.recipient_id,
      datasetId: row.dataset_id,
      channel: row.channel,
    },
  };
}
