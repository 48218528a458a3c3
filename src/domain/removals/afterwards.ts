import { randomBytes } from 'node:crypto';
import { addCalendarMonths } from '../../lib/calendar.ts';
import type { Clock } from '../../lib/clock.ts';
import { newReference, uuidv7 } from '../../lib/ids.ts';
import {
  MEMORISATION_OUTCOMES,
  type MemorisationOutcome,
  type MemorisationReport,
  type ModelRecord,
  type RecipientBacklog,
  type RecipientRecord,
  type RemovalRecord,
  type RemovalStore,
  type SubjectDataset,
} from '../../store/removal-store.ts';
import {
  ExclusionTree,
  exclusionProof,
  exclusionProofText,
} from '../../transparency/dataset-exclusion.ts';
import type { ExclusionKeys } from '../../transparency/exclusion-keys.ts';
import { VRF_SUITE } from '../../transparency/rsa-fdh-vrf.ts';
import {
  sortedIndexOf,
  TermsTree,
  termsBlind,
  termsProof,
  termsProofText,
  termsValue,
} from '../../transparency/terms-commitment.ts';
import { AppError } from '../errors.ts';
import type { Contact } from '../types.ts';
import { type Clearance, datasetClearance } from './clearance.ts';
import type { ModelPolicy } from './removal-planner.ts';

/** A 400 naming the field and the reason. */
function invalid(field: string, reason: string): AppError {
  return new AppError('validation', `${field}: ${reason}`, { issues: [{ field, reason }] });
}

export interface NewRecipient {
  datasetId: string;
  name: string;
  webhookUrl?: string | undefined;
  natsSubject?: string | undefined;
  receivedAt?: string | undefined;
}

const NAME_MAX = 200;
const DESCRIPTION_MAX = 5000;
// A JetStream subject: dot-separated tokens, no wildcards or spaces.
const NATS_SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * Use cases after the build: models trained on a dataset, recipients of a dataset
 * version (GDPR Art. 19), "Am I in the dataset?", memorisation reports. The removal planner and
 * the recipient dispatcher are jobs next to it (removal-planner.ts, recipient-dispatcher.ts).
 */
export class Afterwards {
  constructor(
    readonly deps: {
      store: RemovalStore;
      clock: Clock;
      modelPolicy: ModelPolicy;
      publicUrl: string;
      /** The person's contact, for the memorisation receipt. */
      contactOf?: (subjectKey: string) => Promise<Contact | undefined>;
      /** The VRF keys of exclusion proofs, loaded (or generated) when first asked for. */
      exclusionKeys?: () => ExclusionKeys;
      /** The terms key (from VETO_SECRET): terms proofs are made with it. */
      termsKey?: () => Uint8Array;
    },
  ) {}

  /** Trees of recently asked datasets: building one hashes every leaf. */
  readonly #trees = new Map<string, ExclusionTree>();

  /** The VRF public key datasets are committed with now, for the public endpoint. */
  exclusionKey(): { suite: string; keyId: string; publicKey: string } {
    const keys = this.#exclusionKeys();
    return {
      suite: VRF_SUITE,
      keyId: keys.current.public.keyId,
      publicKey: keys.current.public.pem,
    };
  }

  /** Sealed datasets a person can ask an exclusion proof for. */
  exclusionDatasets(): Promise<{ datasetId: string; purpose: string; recordedAt: string }[]> {
    return this.deps.store.exclusionDatasets();
  }

  /**
   * The exclusion proof of `subjectKey` for a sealed dataset, as its canonical text: that the key
   * is, or is not, among the dataset's subjects (docs/transparency.md). The caller decides whose
   * key may be asked for: only the person's own, or the platform's.
   */
  async exclusionProof(datasetId: string, subjectKey: string): Promise<string> {
    const stored = await this.deps.store.datasetExclusion(datasetId);
    if (!stored)
      throw new AppError(
        'not-found',
        `dataset ${datasetId} is not sealed here or has no exclusion commitment`,
      );
    const key = this.#exclusionKeys().byId.get(stored.keyId);
    if (!key)
      throw new AppError(
        'unavailable',
        `dataset ${datasetId} was committed with VRF key ${stored.keyId}, which this deployment no longer holds (VETO_EXCLUSION_PREVIOUS_KEY_FILES)`,
      );
    let tree = this.#trees.get(datasetId);
    if (!tree) {
      tree = new ExclusionTree(datasetId, stored.leaves);
      // The stored row and its leaves must agree; a mismatch is refused, never served.
      if (tree.count !== stored.count || tree.commitment(stored.keyId).root !== stored.root)
        throw new Error(`dataset ${datasetId}: the stored exclusion leaves do not give its root`);
      if (this.#trees.size >= 4) this.#trees.delete(this.#trees.keys().next().value!);
      this.#trees.set(datasetId, tree);
    }
    return exclusionProofText(exclusionProof(key, tree, subjectKey));
  }

  /**
   * The proof, as its canonical text, that the terms objection with receipt `reference` was
   * among those a sealed dataset's redaction applied (docs/transparency.md "Terms objections
   * applied"). The caller decides who may ask: the person (their receipt's status link) or the
   * platform. A dataset without a terms commitment, or a reference not in it, answers 404.
   */
  async termsProof(datasetId: string, reference: string): Promise<string> {
    const tree = await this.#termsTree(datasetId);
    const proof = termsProof(this.#termsKey(), tree, reference);
    if (!proof)
      throw new AppError(
        'not-found',
        `the terms objection ${reference} is not among the ${tree.count} that dataset ${datasetId}'s redaction applied`,
      );
    return termsProofText(proof);
  }

  /**
   * The sealed datasets of `purpose` that commit to the terms objections they applied, each with
   * whether the objection `reference` is among them: what a person without an account can ask
   * proofs for, from their receipt.
   */
  async termsDatasetsOf(
    reference: string,
    purpose: string,
  ): Promise<{ datasetId: string; recordedAt: string; count: number; applied: boolean }[]> {
    const key = this.#termsKey();
    return (await this.deps.store.termsDatasets(purpose)).map((d) => {
      const value = termsValue(d.datasetId, reference, termsBlind(key, d.datasetId, reference));
      // Membership by binary search: no tree is built for a page listing many datasets.
      return {
        datasetId: d.datasetId,
        recordedAt: d.recordedAt,
        count: d.count,
        applied: d.leaves.length % 32 === 0 && sortedIndexOf(d.leaves, value) >= 0,
      };
    });
  }

  /** A sealed dataset's terms commitment as proofs are made from it (`veto audit verify`). */
  async storedTerms(datasetId: string): Promise<{ root: string; count: number } | undefined> {
    const stored = await this.deps.store.datasetTerms(datasetId);
    return stored && { root: stored.root, count: stored.count };
  }

  /** Trees of recently asked datasets' terms, by dataset and root (building one hashes every leaf). */
  readonly #termsTrees = new Map<string, TermsTree>();

  async #termsTree(datasetId: string): Promise<TermsTree> {
    const stored = await this.deps.store.datasetTerms(datasetId);
    if (!stored)
      throw new AppError(
        'not-found',
        `dataset ${datasetId} is not sealed here or has no terms commitment`,
      );
    const cacheKey = `${datasetId}\0${stored.root}`;
    const cached = this.#termsTrees.get(cacheKey);
    if (cached?.leaves.equals(stored.leaves)) return cached;
    const tree = new TermsTree(datasetId, stored.leaves);
    // The stored row and its values must agree; a mismatch is refused, never served.
    const c = tree.commitment();
    if (c.count !== stored.count || c.root !== stored.root)
      throw new Error(`dataset ${datasetId}: the stored terms values do not give its root`);
    if (this.#termsTrees.size >= 4) this.#termsTrees.delete(this.#termsTrees.keys().next().value!);
    this.#termsTrees.set(cacheKey, tree);
    return tree;
  }

  #termsKey(): Uint8Array {
    if (!this.deps.termsKey)
      throw new AppError('unavailable', 'this deployment makes no terms proofs');
    return this.deps.termsKey();
  }

  /** A sealed dataset's exclusion commitment as proofs are made from it (`veto audit verify`). */
  async storedExclusion(
    datasetId: string,
  ): Promise<{ keyId: string; root: string; count: number } | undefined> {
    const stored = await this.deps.store.datasetExclusion(datasetId);
    return stored && { keyId: stored.keyId, root: stored.root, count: stored.count };
  }

  #exclusionKeys(): ExclusionKeys {
    if (!this.deps.exclusionKeys)
      throw new AppError('unavailable', 'this deployment has no VRF key for exclusion proofs');
    return this.deps.exclusionKeys();
  }

  get modelPolicy(): ModelPolicy {
    return this.deps.modelPolicy;
  }

  private async requireDataset(datasetId: string): Promise<void> {
    if (!(await this.deps.store.datasetExists(datasetId)))
      throw new AppError('not-found', `no recorded dataset ${datasetId}`, {
        issues: [{ field: 'datasetId', reason: 'no such dataset' }],
      });
  }

  async addModel(input: {
    datasetId: string;
    name: string;
    trainedAt?: string | undefined;
  }): Promise<ModelRecord> {
    const name = input.name.trim();
    if (!name || name.length > NAME_MAX) throw invalid('name', `1 to ${NAME_MAX} characters`);
    if (input.trainedAt !== undefined && Number.isNaN(Date.parse(input.trainedAt)))
      throw invalid('trainedAt', 'not an ISO 8601 date');
    await this.requireDataset(input.datasetId);
    const now = this.deps.clock();
    const model: ModelRecord = {
      id: `mdl_${uuidv7(Date.parse(now))}`,
      datasetId: input.datasetId,
      name,
      trainedAt: input.trainedAt ? new Date(input.trainedAt).toISOString() : null,
      recordedAt: now,
    };
    await this.deps.store.addModel(model);
    return model;
  }

  listModels(datasetId?: string): Promise<ModelRecord[]> {
    return this.deps.store.listModels(datasetId);
  }

  getModel(id: string): Promise<ModelRecord | undefined> {
    return this.deps.store.getModel(id);
  }

  /**
   * Registers who received a dataset version. A webhook gets a fresh Standard Webhooks secret
   * (`whsec_...`), returned here once for the recipient to verify signatures with.
   */
  async addRecipient(input: NewRecipient): Promise<RecipientRecord> {
    const name = input.name.trim();
    if (!name || name.length > NAME_MAX) throw invalid('name', `1 to ${NAME_MAX} characters`);
    if (!input.webhookUrl && !input.natsSubject)
      throw invalid('webhookUrl', 'give a webhookUrl, a natsSubject, or both');
    if (input.webhookUrl) {
      let url: URL;
      try {
        url = new URL(input.webhookUrl);
      } catch {
        throw invalid('webhookUrl', 'not a URL');
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        throw invalid('webhookUrl', 'http or https only');
    }
    if (input.natsSubject && !NATS_SUBJECT.test(input.natsSubject))
      throw invalid(
        'natsSubject',
        'dot-separated tokens of letters, digits, _ and - (no wildcards)',
      );
    if (input.receivedAt !== undefined && Number.isNaN(Date.parse(input.receivedAt)))
      throw invalid('receivedAt', 'not an ISO 8601 date');
    await this.requireDataset(input.datasetId);
    const now = this.deps.clock();
    const recipient: RecipientRecord = {
      id: `rcp_${uuidv7(Date.parse(now))}`,
      datasetId: input.datasetId,
      name,
      webhookUrl: input.webhookUrl ?? null,
      webhookSecret: input.webhookUrl ? `whsec_${randomBytes(32).toString('base64')}` : null,
      natsSubject: input.natsSubject ?? null,
      receivedAt: input.receivedAt ? new Date(input.receivedAt).toISOString() : now,
      createdAt: now,
    };
    await this.deps.store.addRecipient(recipient);
    return recipient;
  }

  /**
   * Removal messages to recipients not delivered yet, and those failing for longer than
   * `failingForMinutes` (a recipient down, a NATS subject nobody serves): retries go on in the
   * background, but an operator must see that a removal is not reaching its recipient.
   */
  recipientBacklog(failingForMinutes: number, limit = 100): Promise<RecipientBacklog> {
    const since = new Date(Date.parse(this.deps.clock()) - failingForMinutes * 60_000);
    return this.deps.store.recipientBacklog(since.toISOString(), limit);
  }

  listRecipients(datasetId?: string): Promise<RecipientRecord[]> {
    return this.deps.store.listRecipients(datasetId);
  }

  removalsOf(datasetId: string): Promise<RemovalRecord[]> {
    return this.deps.store.removalsOf(datasetId);
  }

  /** What a training job must still remove from a dataset version (clearance.ts). */
  clearance(datasetId: string, appliedThrough?: string): Promise<Clearance> {
    return datasetClearance(this.deps.store, datasetId, {
      appliedThrough,
      now: this.deps.clock(),
    });
  }

  /** "Am I in the dataset?": datasets holding the subject's items, and their removal status. */
  datasetsOf(subjectKey: string): Promise<SubjectDataset[]> {
    return this.deps.store.subjectDatasets(subjectKey);
  }

  memorisationReportsOf(subjectKey: string): Promise<MemorisationReport[]> {
    return this.deps.store.memorisationReportsOf(subjectKey);
  }

  /**
   * A person reports that a model reproduced their personal data. Recorded against the model
   * and the person with a reference and a due date one calendar month away (Art. 12(3)), and a
   * receipt by email when Veto has an address (committed with the report: transactional outbox).
   */
  async reportMemorisation(input: {
    subjectKey: string;
    modelId: string;
    description: string;
    language: string;
    email?: string | null | undefined;
  }): Promise<MemorisationReport> {
    const description = input.description.trim();
    if (!description || description.length > DESCRIPTION_MAX)
      throw invalid('description', `1 to ${DESCRIPTION_MAX} characters`);
    const model = await this.deps.store.getModel(input.modelId);
    if (!model) throw invalid('modelId', `no model ${input.modelId}`);
    const now = this.deps.clock();
    const report: MemorisationReport = {
      id: uuidv7(Date.parse(now)),
      reference: newReference(),
      subjectKey: input.subjectKey,
      modelId: model.id,
      description,
      language: input.language,
      receivedAt: now,
      dueAt: addCalendarMonths(now, 1),
    };
    const email =
      input.email ?? (await this.deps.contactOf?.(input.subjectKey))?.email ?? undefined;
    await this.deps.store.addMemorisationReport(
      report,
      email
        ? {
            id: uuidv7(Date.parse(now)),
            kind: 'email',
            createdAt: now,
            payload: {
              template: 'memorisation',
              to: email,
              language: input.language,
              vars: {
                reference: report.reference,
                model: model.name,
                receivedAt: now,
                dueAt: report.dueAt,
                statusUrl: `${this.deps.publicUrl.replace(/\/$/, '')}/datasets`,
              },
            },
          }
        : null,
      input.email ?? null,
    );
    return report;
  }

  listMemorisationReports(): Promise<MemorisationReport[]> {
    return this.deps.store.listMemorisationReports();
  }

  memorisationReportByReference(reference: string): Promise<MemorisationReport | undefined> {
    return this.deps.store.memorisationReportByReference(reference);
  }

  /**
   * Staff answer a report (once): the outcome and the answer are recorded, and the answer is
   * emailed to the person in the language they reported in, to the address they gave or the
   * one Veto holds for them, committed with the answer (transactional outbox). Returns whether
   * an email was queued.
   */
  async answerMemorisation(input: {
    reference: string;
    outcome: string;
    text: string;
    answeredBy: string;
  }): Promise<{ report: MemorisationReport; emailed: boolean }> {
    const report = await this.deps.store.memorisationReportByReference(input.reference);
    if (!report) throw new AppError('not-found', `no memorisation report ${input.reference}`);
    if (!(MEMORISATION_OUTCOMES as readonly string[]).includes(input.outcome))
      throw invalid('outcome', `one of ${MEMORISATION_OUTCOMES.join(', ')}`);
    const text = input.text.trim();
    if (!text || text.length > DESCRIPTION_MAX)
      throw invalid('answer', `1 to ${DESCRIPTION_MAX} characters`);
    if (report.answer) throw alreadyAnswered(report.reference);
    const model = await this.deps.store.getModel(report.modelId);
    const now = this.deps.clock();
    const answer = {
      answeredAt: now,
      answeredBy: input.answeredBy,
      outcome: input.outcome as MemorisationOutcome,
      text,
    };
    const to =
      (await this.deps.store.memorisationContact(report.id)) ??
      (await this.deps.contactOf?.(report.subjectKey))?.email ??
      null;
    const changed = await this.deps.store.answerMemorisationReport(
      report.id,
      answer,
      to
        ? {
            id: uuidv7(Date.parse(now)),
            kind: 'email',
            createdAt: now,
            payload: {
              template: 'memorisation-answer',
              to,
              language: report.language,
              vars: {
                reference: report.reference,
                model: model?.name ?? report.modelId,
                receivedAt: report.receivedAt,
                outcome: answer.outcome,
                answer: text,
                statusUrl: `${this.deps.publicUrl.replace(/\/$/, '')}/datasets`,
              },
            },
          }
        : null,
    );
    if (!changed) throw alreadyAnswered(report.reference);
    return { report: { ...report, answer }, emailed: to !== null };
  }
}

function alreadyAnswered(reference: string): AppError {
  return new AppError('conflict', `memorisation report ${reference} is already answered`, {
    messageKey: 'console.report.already-answered',
  });
}

export type RemovalStatus = 'included' | 'removal-recorded' | 'recipients-told' | 'rebuilt';

/** Where a person's items in one dataset stand, in one word (API) or sentence (portal). */
export function removalStatus(d: SubjectDataset): RemovalStatus {
  if (!d.removal) return 'included';
  if (d.replacedBy) return 'rebuilt';
  return d.removal.deliveries.every((x) => x.deliveredAt !== null)
    ? 'recipients-told'
    : 'removal-recorded';
}
