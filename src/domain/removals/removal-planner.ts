import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { type JobSupervision, PeriodicJob } from '../../lib/periodic-job.ts';
import type {
  PlanningInput,
  RecipientMessage,
  RemovalPlan,
  RemovalRecord,
  RemovalStore,
} from '../../store/removal-store.ts';
import type { OutboxMessage } from '../types.ts';

/** The deployment's stated policy for models already trained (VETO_MODEL_POLICY). */
export type ModelPolicy = 'retrain-next' | 'unlearning' | 'output-filter';
export const MODEL_POLICIES: readonly ModelPolicy[] = [
  'retrain-next',
  'unlearning',
  'output-filter',
];

export const REMOVAL_MESSAGE_TYPE = 'dataset.removal';

export interface PlannerSettings {
  publicUrl: string;
  modelPolicy: ModelPolicy;
}

/** `ds_x.v3` → `ds_x`: the dataset a rebuilt version replaces (`nextVersionId`'s inverse). */
function baseDatasetId(id: string): string {
  return id.replace(/\.v\d+$/, '');
}

/**
 * Pure: turns the objections found after the cursor into removals (one per objection and dataset
 * holding the subject's items), one outgoing message per recipient channel (webhook and/or NATS
 * subject), one email to the person when Veto has their address (not again for a rebuilt version
 * of a dataset they were told about), and one audit event per
 * removal. Recipients get item ids only: the subject key stays in Veto.
 */
export function planRemovalBatch(
  input: PlanningInput,
  now: string,
  settings: PlannerSettings,
): RemovalPlan {
  const plan: RemovalPlan = { removals: [], messages: [], emails: [], events: [] };
  // Also the pairs planned in this batch: one removal per objection and dataset, always.
  const planned = new Set(input.planned);
  // The datasets each objection's person was already told about, by base id (a rebuilt version
  // `ds.v2` is the same dataset as `ds`): the erasure job's new version can hold items of a
  // person whose objection arrived while it was being made, and its removal is no news to them.
  const told = new Map<string, Set<string>>();
  const toldOf = (objectionId: string) => {
    let set = told.get(objectionId);
    if (!set) {
      set = new Set();
      told.set(objectionId, set);
    }
    return set;
  };
  for (const pair of input.planned) {
    const [objectionId, datasetId] = pair.split('\t') as [string, string];
    toldOf(objectionId).add(baseDatasetId(datasetId));
  }
  for (const event of input.events) {
    const made: RemovalRecord[] = [];
    for (const hit of event.hits) {
      const pair = `${event.objectionId}\t${hit.datasetId}`;
      if (planned.has(pair)) continue;
      planned.add(pair);
      const removal: RemovalRecord = {
        id: `rm_${uuidv7(Date.parse(now))}`,
        datasetId: hit.datasetId,
        subjectKey: event.subjectKey,
        objectionId: event.objectionId,
        purpose: event.purpose,
        itemIds: [...hit.itemIds].sort(),
        recordedAt: now,
      };
      made.push(removal);
      plan.removals.push(removal);
      const recipients = input.recipients.get(hit.datasetId) ?? [];
      const messages: RecipientMessage[] = [];
      for (const r of recipients) {
        const channels: ('webhook' | 'nats')[] = [];
        if (r.webhookUrl) channels.push('webhook');
        if (r.natsSubject) channels.push('nats');
        for (const channel of channels) {
          const id = `msg_${uuidv7(Date.parse(now))}`;
          messages.push({
            id,
            recipientId: r.id,
            removalId: removal.id,
            channel,
            createdAt: now,
            payload: removalPayload(id, removal, settings.publicUrl),
          });
        }
      }
      plan.messages.push(...messages);
      const models = input.models.get(hit.datasetId) ?? [];
      plan.events.push({
        at: now,
        type: 'removal.recorded',
        objectionId: event.objectionId,
        subjectKey: event.subjectKey,
        data: {
          removalId: removal.id,
          datasetId: removal.datasetId,
          items: removal.itemIds.length,
          recipients: recipients.map((r) => r.id),
          messages: messages.length,
          models: models.map((m) => m.id),
          modelPolicy: settings.modelPolicy,
        },
      });
    }
    const contact = input.contacts.get(event.subjectKey);
    const already = toldOf(event.objectionId);
    const news = made.filter((r) => !already.has(baseDatasetId(r.datasetId)));
    for (const r of made) already.add(baseDatasetId(r.datasetId));
    if (news.length > 0 && contact) {
      const models = new Set<string>();
      for (const r of news) for (const m of input.models.get(r.datasetId) ?? []) models.add(m.id);
      const email: OutboxMessage = {
        id: uuidv7(Date.parse(now)),
        kind: 'email',
        createdAt: now,
        payload: {
          template: 'removal',
          to: contact.email,
          language: contact.language,
          vars: {
            datasets: news.length,
            items: news.reduce((n, r) => n + r.itemIds.length, 0),
            models: models.size,
            modelPolicy: settings.modelPolicy,
            statusUrl: `${settings.publicUrl.replace(/\/$/, '')}/datasets`,
          },
        },
      };
      plan.emails.push(email);
    }
  }
  return plan;
}

/**
 * The body delivered to a recipient, in the Standard Webhooks shape (`type`, `timestamp`,
 * `data`); the same bytes go to NATS. `id` is the message id: receivers deduplicate on it.
 */
export function removalPayload(
  messageId: string,
  removal: RemovalRecord,
  publicUrl: string,
): Record<string, unknown> {
  return {
    id: messageId,
    type: REMOVAL_MESSAGE_TYPE,
    timestamp: removal.recordedAt,
    data: {
      removalId: removal.id,
      datasetId: removal.datasetId,
      itemIds: removal.itemIds,
      recordedAt: removal.recordedAt,
      instructions:
        'Delete these items from every copy of this dataset version you hold, and use the next version for any further training.',
      removalList: `${publicUrl.replace(/\/$/, '')}/v1/admin/datasets/${encodeURIComponent(removal.datasetId)}/removals`,
    },
  };
}

/**
 * The removal planner job: uses the audit log as a durable queue. Every `intervalMs` it reads the
 * `objection.recorded` events after its persisted cursor and, in one transaction, records the
 * removals, their outgoing messages (transactional outbox) and the next cursor. The intake's hot
 * path is untouched: it only appends the event it already appended.
 */
export class RemovalPlanner {
  private readonly loop: PeriodicJob;

  constructor(
    private readonly deps: {
      store: RemovalStore;
      clock: Clock;
      logger: Logger;
      /** Leader election and storage-outage reporting when `serve` runs the job. */
      supervision?: JobSupervision;
      settings: PlannerSettings;
    },
    intervalMs = 1000,
    // Events per pass: matching is one join in the store, so a large pass is cheap, and every
    // pass is a short write transaction that waits for the intake's writer lock.
    private readonly batchEvents = 50_000,
    readonly job = 'removal-planner',
  ) {
    this.loop = new PeriodicJob(
      () => this.drain(),
      intervalMs,
      (err) => this.deps.logger.error({ err }, 'removal planning pass failed'),
      this.deps.supervision && { job: this.job, by: this.deps.supervision },
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One batch of events after the cursor; returns what it did. */
  runOnce(): Promise<{ scanned: number; removals: number; cursor: number }> {
    const { store, clock, settings } = this.deps;
    return store.planRemovals(this.job, this.batchEvents, (input) =>
      planRemovalBatch(input, clock(), settings),
    );
  }

  /** Batches until the cursor reaches the head of the log; returns the removals recorded. */
  async drain(): Promise<number> {
    let removals = 0;
    for (;;) {
      const pass = await this.runOnce();
      removals += pass.removals;
      if (pass.removals > 0)
        this.deps.logger.info(
          { removals: pass.removals, cursor: pass.cursor },
          'removals recorded',
        );
      if (pass.scanned < this.batchEvents) return removals;
    }
  }
}
