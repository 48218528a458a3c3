import { sql } from 'kysely';
import type { OutboxMessage } from '../../domain/types.ts';
import {
  type AcknowledgedRow,
  type DueRecipientMessage,
  type MemorisationAnswer,
  type MemorisationOutcome,
  type MemorisationReport,
  type ModelRecord,
  type PlanningEvent,
  type PlanningInput,
  type RecipientBacklog,
  type RecipientMessage,
  type RecipientRecord,
  type RemovalPlan,
  type RemovalRecord,
  type RemovalStore,
  removalAcknowledgedEvent,
  type StoredExclusion,
  type StoredTerms,
  type SubjectDataset,
  withCatchUp,
} from '../removal-store.ts';
import { iso } from '../rows.ts';
import {
  appendChainedEvents,
  insertOutboxRows,
  type PostgresRegistryStore,
  unnestInsert,
} from './postgres-registry-store.ts';

interface RecipientRow {
  id: string;
  dataset_id: string;
  name: string;
  webhook_url: string | null;
  webhook_secret: string | null;
  nats_subject: string | null;
  received_at: string;
  created_at: string;
}

interface ModelRow {
  id: string;
  dataset_id: string;
  name: string;
  trained_at: string | null;
  recorded_at: string;
}

interface RemovalRow {
  id: string;
  dataset_id: string;
  subject_key: string;
  objection_id: string;
  purpose: string;
  item_ids: string[];
  items: string;
  recorded_at: string;
}

interface ReportRow {
  id: string;
  reference: string;
  subject_key: string;
  model_id: string;
  description: string;
  language: string;
  received_at: string;
  due_at: string;
  answered_at: string | null;
  answered_by: string | null;
  outcome: string | null;
  answer: string | null;
}

const recipientFromRow = (r: RecipientRow): RecipientRecord => ({
  id: r.id,
  datasetId: r.dataset_id,
  name: r.name,
  webhookUrl: r.webhook_url,
  webhookSecret: r.webhook_secret,
  natsSubject: r.nats_subject,
  receivedAt: r.received_at,
  createdAt: r.created_at,
});

const modelFromRow = (r: ModelRow): ModelRecord => ({
  id: r.id,
  datasetId: r.dataset_id,
  name: r.name,
  trainedAt: r.trained_at,
  recordedAt: r.recorded_at,
});

const removalFromRow = (r: RemovalRow): RemovalRecord => ({
  id: r.id,
  datasetId: r.dataset_id,
  subjectKey: r.subject_key,
  objectionId: r.objection_id,
  purpose: r.purpose,
  itemIds: r.item_ids,
  recordedAt: r.recorded_at,
});

const reportFromRow = (r: ReportRow): MemorisationReport => ({
  id: r.id,
  reference: r.reference,
  subjectKey: r.subject_key,
  modelId: r.model_id,
  description: r.description,
  language: r.language,
  receivedAt: r.received_at,
  dueAt: r.due_at,
  answer:
    r.answered_at === null
      ? null
      : {
          answeredAt: r.answered_at,
          answeredBy: r.answered_by ?? '',
          outcome: r.outcome as MemorisationOutcome,
          text: r.answer ?? '',
        },
});

function groupBy<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

/**
 * The issue-6 tables in the registry's PostgreSQL database (twin of
 * src/store/sqlite/sqlite-removal-store.ts, same behaviour). The planner's unit of work is one
 * transaction that first locks the chain head (`FOR UPDATE`), like every registry write: the
 * intake cannot append an objection while a pass reads the log and the inclusion index, and the
 * pass's own `removal.recorded` events continue the chain. Every bulk step is one statement
 * (`= ANY($1)` lookups, `unnest` inserts), so a pass costs the same ~17 round trips whatever
 * its size. The ISO-text time columns of migration 004 are compared and sorted with
 * `COLLATE "C"` (byte order, like SQLite); `datasets.recorded_at` is a timestamptz, read back as
 * an ISO string.
 */
export class PostgresRemovalStore implements RemovalStore {
  constructor(private readonly registry: PostgresRegistryStore) {}

  private get db() {
    return this.registry.kysely;
  }

  planRemovals(
    job: string,
    limit: number,
    plan: (input: PlanningInput) => RemovalPlan,
  ): Promise<{ scanned: number; removals: number; cursor: number }> {
    return this.db.transaction().execute(async (trx) => {
      const head = (
        await sql<{ seq: string; hash: string }>`
          SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE`.execute(trx)
      ).rows[0];
      if (!head) throw new Error('chain_head row is missing: the registry schema is damaged');
      const cursorRow = (
        await sql<{ seq: string }>`SELECT seq FROM job_cursors WHERE name = ${job}`.execute(trx)
      ).rows[0];
      const from = cursorRow ? Number(cursorRow.seq) : 0;
      const { rows } = await sql<{
        seq: string;
        at: Date;
        type: string;
        objection_id: string | null;
        subject_key: string | null;
        data: { purpose?: unknown };
      }>`SELECT seq, at, type, objection_id, subject_key, data FROM audit_events
          WHERE seq > ${from} ORDER BY seq LIMIT ${limit}`.execute(trx);
      // Datasets sealed since the job last looked (migration 005): caught up below.
      const sealedSince = (
        await sql<{ id: string; purpose: string }>`
          SELECT d.id, d.purpose FROM datasets d
           WHERE d.sealed_at IS NOT NULL AND NOT EXISTS
             (SELECT 1 FROM removal_catchups c WHERE c.job = ${job} AND c.dataset_id = d.id)
           ORDER BY d.sealed_at, d.id`.execute(trx)
      ).rows;
      if (rows.length === 0 && sealedSince.length === 0)
        return { scanned: 0, removals: 0, cursor: from };
      const cursor = rows.length > 0 ? Number(rows[rows.length - 1]!.seq) : from;

      const objections = rows.flatMap((r) =>
        r.type === 'objection.recorded' && r.objection_id && r.subject_key
          ? [
              {
                seq: Number(r.seq),
                at: iso(r.at),
                objectionId: r.objection_id,
                subjectKey: r.subject_key,
                purpose: String(r.data?.purpose ?? ''),
              },
            ]
          : [],
      );
      // Every subject's hits in one statement; unsealed datasets may still be partial (005).
      const hitRows = objections.length
        ? (
            await sql<{ k: string; p: string; d: string; item: string }>`
              SELECT i.subject_key AS k, ds.purpose AS p, i.dataset_id AS d, i.item_id AS item
                FROM dataset_inclusions i JOIN datasets ds ON ds.id = i.dataset_id
               WHERE i.subject_key = ANY(${[...new Set(objections.map((o) => o.subjectKey))]}::text[])
                 AND ds.sealed_at IS NOT NULL
               ORDER BY i.dataset_id, i.item_id COLLATE "C"`.execute(trx)
          ).rows
        : [];
      const hitsBySubject = new Map<string, Map<string, Set<string>>>();
      for (const h of hitRows) {
        const key = `${h.k}\t${h.p}`;
        const byDataset = hitsBySubject.get(key) ?? new Map<string, Set<string>>();
        const items = byDataset.get(h.d) ?? new Set<string>();
        items.add(h.item);
        byDataset.set(h.d, items);
        hitsBySubject.set(key, byDataset);
      }
      const found: PlanningEvent[] = [];
      for (const o of objections) {
        const byDataset = hitsBySubject.get(`${o.subjectKey}\t${o.purpose}`);
        if (!byDataset) continue;
        found.push({
          ...o,
          hits: [...byDataset].map(([datasetId, items]) => ({ datasetId, itemIds: [...items] })),
        });
      }

      // The catch-up: every objection effective now, against each newly sealed dataset.
      const catchUp: PlanningEvent[] = [];
      if (sealedSince.length > 0) {
        const { rows: caught } = await sql<{
          d: string;
          o: string;
          k: string;
          at: Date;
          item: string;
        }>`SELECT d.id AS d, o.id AS o, o.subject_key AS k, o.received_at AS at, i.item_id AS item
             FROM datasets d
             JOIN dataset_inclusions i ON i.dataset_id = d.id
             JOIN objections o ON o.subject_key = i.subject_key AND o.purpose = d.purpose
            WHERE d.id = ANY(${sealedSince.map((d) => d.id)}::text[]) AND o.status = 'effective'
            ORDER BY o.received_at, o.id COLLATE "C", i.item_id COLLATE "C"`.execute(trx);
        const byDataset = groupBy(caught, (r) => r.d);
        for (const d of sealedSince) {
          const byObjection = new Map<string, PlanningEvent & { items: Set<string> }>();
          for (const h of byDataset.get(d.id) ?? []) {
            let e = byObjection.get(h.o);
            if (!e) {
              e = {
                seq: 0,
                at: iso(h.at),
                objectionId: h.o,
                subjectKey: h.k,
                purpose: d.purpose,
                hits: [],
                items: new Set(),
              };
              byObjection.set(h.o, e);
            }
            e.items.add(h.item);
          }
          for (const { items, ...e } of byObjection.values()) {
            catchUp.push({ ...e, hits: [{ datasetId: d.id, itemIds: [...items] }] });
          }
        }
      }
      const events = withCatchUp(found, catchUp);

      const datasets = [...new Set(events.flatMap((e) => e.hits.map((h) => h.datasetId)))];
      const subjects = [...new Set(events.map((e) => e.subjectKey))];
      const objectionIds = [...new Set(events.map((e) => e.objectionId))];
      const input: PlanningInput = {
        events,
        recipients: new Map(),
        models: new Map(),
        contacts: new Map(),
        planned: new Set(),
      };
      if (events.length > 0) {
        const recipients = await sql<RecipientRow>`SELECT * FROM recipients
            WHERE dataset_id = ANY(${datasets}::text[]) ORDER BY id COLLATE "C"`.execute(trx);
        for (const [d, list] of groupBy(recipients.rows, (r) => r.dataset_id))
          input.recipients.set(d, list.map(recipientFromRow));
        const models = await sql<ModelRow>`SELECT * FROM models
            WHERE dataset_id = ANY(${datasets}::text[]) ORDER BY id COLLATE "C"`.execute(trx);
        for (const [d, list] of groupBy(models.rows, (m) => m.dataset_id))
          input.models.set(d, list.map(modelFromRow));
        const contacts = await sql<{ subject_key: string; email: string; language: string }>`
            SELECT subject_key, email, language FROM contacts
             WHERE subject_key = ANY(${subjects}::text[])`.execute(trx);
        for (const c of contacts.rows)
          input.contacts.set(c.subject_key, {
            subjectKey: c.subject_key,
            email: c.email,
            language: c.language,
          });
        const planned = await sql<{ o: string; d: string }>`
            SELECT objection_id AS o, dataset_id AS d FROM removals
             WHERE objection_id = ANY(${objectionIds}::text[])`.execute(trx);
        for (const p of planned.rows) input.planned.add(`${p.o}\t${p.d}`);
      }

      const out = plan(input);
      if (out.removals.length > 0) {
        await unnestInsert(
          'removals',
          [
            ['id', 'text'],
            ['dataset_id', 'text'],
            ['subject_key', 'text'],
            ['objection_id', 'text'],
            ['purpose', 'text'],
            ['item_ids', 'jsonb'],
            ['items', 'bigint'],
            ['recorded_at', 'text'],
          ],
          out.removals.map((r) => [
            r.id,
            r.datasetId,
            r.subjectKey,
            r.objectionId,
            r.purpose,
            JSON.stringify(r.itemIds),
            r.itemIds.length,
            r.recordedAt,
          ]),
        ).execute(trx);
      }
      if (out.messages.length > 0) {
        await unnestInsert(
          'recipient_outbox',
          [
            ['id', 'text'],
            ['recipient_id', 'text'],
            ['removal_id', 'text'],
            ['channel', 'text'],
            ['payload', 'text'],
            ['created_at', 'text'],
            ['next_attempt_at', 'text'],
          ],
          out.messages.map((m) => [
            m.id,
            m.recipientId,
            m.removalId,
            m.channel,
            JSON.stringify(m.payload),
            m.createdAt,
            m.createdAt,
          ]),
        ).execute(trx);
      }
      await insertOutboxRows(trx, out.emails);
      if (out.events.length > 0) {
        await appendChainedEvents(trx, { seq: Number(head.seq), hash: head.hash }, out.events);
      }
      const now = out.events[0]?.at ?? lastAt(rows) ?? nowIso();
      await sql`INSERT INTO job_cursors (name, seq, updated_at) VALUES (${job}, ${cursor}, ${now})
          ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`.execute(
        trx,
      );
      if (sealedSince.length > 0) {
        await unnestInsert(
          'removal_catchups',
          [
            ['job', 'text'],
            ['dataset_id', 'text'],
            ['checked_at', 'text'],
          ],
          sealedSince.map((d) => [job, d.id, now]),
        ).execute(trx);
      }
      return { scanned: rows.length, removals: out.removals.length, cursor };
    });
  }

  async recipientBacklog(failingSince: string, limit: number): Promise<RecipientBacklog> {
    const { rows: heads } = await sql<{ pending: string; oldest: string | null }>`
      SELECT COUNT(*) AS pending, MIN(created_at COLLATE "C") AS oldest
        FROM recipient_outbox WHERE delivered_at IS NULL`.execute(this.db);
    const head = heads[0];
    const { rows } = await sql<{
      id: string;
      recipient_id: string;
      name: string;
      dataset_id: string;
      removal_id: string;
      channel: 'webhook' | 'nats';
      attempts: number | string;
      last_error: string | null;
      created_at: string;
      next_attempt_at: string;
    }>`
      SELECT m.id, m.recipient_id, r.name, r.dataset_id, m.removal_id, m.channel, m.attempts,
             m.last_error, m.created_at, m.next_attempt_at
        FROM recipient_outbox m JOIN recipients r ON r.id = m.recipient_id
       WHERE m.delivered_at IS NULL AND m.attempts > 0 AND m.created_at COLLATE "C" <= ${failingSince}
       ORDER BY m.created_at COLLATE "C", m.id COLLATE "C" LIMIT ${limit}`.execute(this.db);
    return {
      pending: Number(head?.pending ?? 0),
      oldestCreatedAt: head?.oldest ?? null,
      failing: rows.map((r) => ({
        id: r.id,
        recipientId: r.recipient_id,
        recipientName: r.name,
        datasetId: r.dataset_id,
        removalId: r.removal_id,
        channel: r.channel,
        attempts: Number(r.attempts),
        lastError: r.last_error,
        createdAt: r.created_at,
        nextAttemptAt: r.next_attempt_at,
      })),
    };
  }

  async dueRecipientMessages(now: string, limit: number): Promise<DueRecipientMessage[]> {
    const { rows } = await sql<
      RecipientRow & {
        recipient_id: string;
        removal_id: string;
        channel: 'webhook' | 'nats';
        payload: string;
        attempts: string;
        r_id: string;
        r_created_at: string;
      }
    >`SELECT m.id, m.recipient_id, m.removal_id, m.channel, m.payload, m.created_at, m.attempts,
             r.id AS r_id, r.dataset_id, r.name, r.webhook_url, r.webhook_secret, r.nats_subject,
             r.received_at, r.created_at AS r_created_at
        FROM recipient_outbox m JOIN recipients r ON r.id = m.recipient_id
       WHERE m.delivered_at IS NULL AND m.next_attempt_at COLLATE "C" <= ${now}
       ORDER BY m.next_attempt_at COLLATE "C", m.id COLLATE "C" LIMIT ${limit}`.execute(this.db);
    return rows.map((r) => ({
      id: r.id,
      recipientId: r.recipient_id,
      removalId: r.removal_id,
      channel: r.channel,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
      createdAt: r.created_at,
      attempts: Number(r.attempts),
      recipient: recipientFromRow({ ...r, id: r.r_id, created_at: r.r_created_at }),
    }));
  }

  async markRecipientMessagesDelivered(ids: readonly string[], at: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      const head = (
        await sql<{ seq: string; hash: string }>`
          SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE`.execute(trx)
      ).rows[0];
      if (!head) throw new Error('chain_head row is missing: the registry schema is damaged');
      // Once per message: one already delivered (a repeated acknowledgement) is left as it is and
      // logs nothing.
      const { rows } = await sql<AcknowledgedRow>`
        SELECT m.id, m.removal_id, m.recipient_id, m.channel, c.dataset_id, r.objection_id,
               r.subject_key
          FROM recipient_outbox m
          JOIN removals r ON r.id = m.removal_id
          JOIN recipients c ON c.id = m.recipient_id
         WHERE m.id = ANY(${[...ids]}::text[]) AND m.delivered_at IS NULL
         ORDER BY m.id
           FOR UPDATE OF m`.execute(trx);
      if (rows.length === 0) return;
      await sql`UPDATE recipient_outbox SET delivered_at = ${at}, attempts = attempts + 1
          WHERE id = ANY(${rows.map((r) => r.id)}::text[])`.execute(trx);
      const order = new Map(ids.map((id, i) => [id, i]));
      rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      await appendChainedEvents(
        trx,
        { seq: Number(head.seq), hash: head.hash },
        rows.map((r) => removalAcknowledgedEvent(r, at)),
      );
    });
  }

  async markRecipientMessageFailed(
    id: string,
    error: string,
    nextAttemptAt: string,
  ): Promise<void> {
    await sql`UPDATE recipient_outbox
         SET attempts = attempts + 1, last_error = ${error.slice(0, 500)},
             next_attempt_at = ${nextAttemptAt}
       WHERE id = ${id}`.execute(this.db);
  }

  async datasetExclusion(datasetId: string): Promise<StoredExclusion | undefined> {
    const { rows } = await sql<{ key_id: string; root: string; subjects: number; leaves: Buffer }>`
      SELECT e.key_id, e.root, e.subjects, e.leaves FROM dataset_exclusions e
      JOIN datasets d ON d.id = e.dataset_id
      WHERE e.dataset_id = ${datasetId} AND d.sealed_at IS NOT NULL`.execute(this.db);
    const row = rows[0];
    return (
      row && {
        datasetId,
        keyId: row.key_id,
        root: row.root,
        count: Number(row.subjects),
        leaves: Buffer.from(row.leaves),
      }
    );
  }

  async exclusionDatasets(): Promise<{ datasetId: string; purpose: string; recordedAt: string }[]> {
    const { rows } = await sql<{ dataset_id: string; purpose: string; recorded_at: string | Date }>`
      SELECT d.id AS dataset_id, d.purpose, d.recorded_at
      FROM dataset_exclusions e JOIN datasets d ON d.id = e.dataset_id
      WHERE d.sealed_at IS NOT NULL ORDER BY d.recorded_at DESC, d.id`.execute(this.db);
    return rows.map((r) => ({
      datasetId: r.dataset_id,
      purpose: r.purpose,
      recordedAt: iso(r.recorded_at),
    }));
  }

  async datasetTerms(datasetId: string): Promise<StoredTerms | undefined> {
    return (await this.#terms(sql`t.dataset_id = ${datasetId}`))[0];
  }

  async termsDatasets(purpose: string): Promise<StoredTerms[]> {
    return this.#terms(sql`d.purpose = ${purpose}`);
  }

  async #terms(where: ReturnType<typeof sql>): Promise<StoredTerms[]> {
    const { rows } = await sql<{
      dataset_id: string;
      purpose: string;
      recorded_at: string | Date;
      root: string;
      objections: number;
      leaves: Buffer;
    }>`
      SELECT t.dataset_id, d.purpose, d.recorded_at, t.root, t.objections, t.leaves
      FROM dataset_terms t JOIN datasets d ON d.id = t.dataset_id
      WHERE ${where} AND d.sealed_at IS NOT NULL ORDER BY d.recorded_at DESC, d.id`.execute(
      this.db,
    );
    return rows.map((r) => ({
      datasetId: r.dataset_id,
      purpose: r.purpose,
      recordedAt: iso(r.recorded_at),
      root: r.root,
      count: Number(r.objections),
      leaves: Buffer.from(r.leaves),
    }));
  }

  async datasetExists(datasetId: string): Promise<boolean> {
    // Sealed only: a dataset whose index is still being recorded is not there yet.
    const { rows } =
      await sql`SELECT 1 FROM datasets WHERE id = ${datasetId} AND sealed_at IS NOT NULL`.execute(
        this.db,
      );
    return rows.length > 0;
  }

  async addModel(m: ModelRecord): Promise<void> {
    await sql`INSERT INTO models (id, dataset_id, name, trained_at, recorded_at)
        VALUES (${m.id}, ${m.datasetId}, ${m.name}, ${m.trainedAt}, ${m.recordedAt})`.execute(
      this.db,
    );
  }

  async listModels(datasetId?: string): Promise<ModelRecord[]> {
    const { rows } = datasetId
      ? await sql<ModelRow>`SELECT * FROM models WHERE dataset_id = ${datasetId}
          ORDER BY id COLLATE "C"`.execute(this.db)
      : await sql<ModelRow>`SELECT * FROM models ORDER BY id COLLATE "C"`.execute(this.db);
    return rows.map(modelFromRow);
  }

  async getModel(id: string): Promise<ModelRecord | undefined> {
    const { rows } = await sql<ModelRow>`SELECT * FROM models WHERE id = ${id}`.execute(this.db);
    return rows[0] ? modelFromRow(rows[0]) : undefined;
  }

  async addRecipient(r: RecipientRecord): Promise<void> {
    await sql`INSERT INTO recipients
        (id, dataset_id, name, webhook_url, webhook_secret, nats_subject, received_at, created_at)
        VALUES (${r.id}, ${r.datasetId}, ${r.name}, ${r.webhookUrl}, ${r.webhookSecret},
                ${r.natsSubject}, ${r.receivedAt}, ${r.createdAt})`.execute(this.db);
  }

  async listRecipients(datasetId?: string): Promise<RecipientRecord[]> {
    const { rows } = datasetId
      ? await sql<RecipientRow>`SELECT * FROM recipients WHERE dataset_id = ${datasetId}
          ORDER BY id COLLATE "C"`.execute(this.db)
      : await sql<RecipientRow>`SELECT * FROM recipients ORDER BY id COLLATE "C"`.execute(this.db);
    return rows.map(recipientFromRow);
  }

  async removalsOf(datasetId: string): Promise<RemovalRecord[]> {
    const { rows } = await sql<RemovalRow>`SELECT * FROM removals WHERE dataset_id = ${datasetId}
        ORDER BY recorded_at COLLATE "C", id COLLATE "C"`.execute(this.db);
    return rows.map(removalFromRow);
  }

  async sealedLocationsWithRemovals(): Promise<{ datasetId: string; location: string }[]> {
    const { rows } = await sql<{ dataset_id: string; location: string }>`
      SELECT d.id AS dataset_id, d.location FROM datasets d
      WHERE d.sealed_at IS NOT NULL AND d.location IS NOT NULL
        AND EXISTS (SELECT 1 FROM removals r WHERE r.dataset_id = d.id)
      ORDER BY d.id COLLATE "C"`.execute(this.db);
    return rows.map((r) => ({ datasetId: r.dataset_id, location: r.location }));
  }

  async enqueueRecipientMessages(messages: readonly RecipientMessage[]): Promise<void> {
    for (const m of messages)
      await sql`INSERT INTO recipient_outbox (id, recipient_id, removal_id, channel, payload, created_at, next_attempt_at)
        VALUES (${m.id}, ${m.recipientId}, ${m.removalId}, ${m.channel}, ${JSON.stringify(m.payload)}, ${m.createdAt}, ${m.createdAt})`.execute(
        this.db,
      );
  }

  async objectedItemsOf(datasetId: string): Promise<string[]> {
    const { rows } = await sql<{ item: string }>`SELECT DISTINCT i.item_id COLLATE "C" AS item
         FROM dataset_inclusions i
         JOIN datasets d ON d.id = i.dataset_id
         JOIN objections o ON o.subject_key = i.subject_key
        WHERE i.dataset_id = ${datasetId} AND d.sealed_at IS NOT NULL
          AND o.purpose = d.purpose AND o.status = 'effective'
        ORDER BY item`.execute(this.db);
    return rows.map((r) => r.item);
  }

  /** Six statements whatever the number of datasets (the SQLite twin runs them per dataset). */
  async subjectDatasets(subjectKey: string): Promise<SubjectDataset[]> {
    const db = this.db;
    const { rows: held } = await sql<{
      id: string;
      purpose: string;
      recorded_at: Date;
      items: string;
    }>`SELECT d.id, d.purpose, d.recorded_at, count(DISTINCT i.item_id) AS items
         FROM dataset_inclusions i JOIN datasets d ON d.id = i.dataset_id
        WHERE i.subject_key = ${subjectKey} AND d.sealed_at IS NOT NULL
        GROUP BY d.id, d.purpose, d.recorded_at ORDER BY d.recorded_at, d.id`.execute(db);
    if (held.length === 0) return [];
    const ids = held.map((d) => d.id);
    // The first removal per dataset, as the SQLite twin's ORDER BY recorded_at, id LIMIT 1.
    const { rows: removals } = await sql<RemovalRow>`
        SELECT DISTINCT ON (dataset_id) * FROM removals
         WHERE subject_key = ${subjectKey} AND dataset_id = ANY(${ids}::text[])
         ORDER BY dataset_id, recorded_at COLLATE "C", id COLLATE "C"`.execute(db);
    const removalOf = new Map(removals.map((r) => [r.dataset_id, r]));
    const removalIds = removals.map((r) => r.id);
    const { rows: deliveries } = removalIds.length
      ? await sql<{
          removal_id: string;
          name: string;
          channel: 'webhook' | 'nats';
          delivered_at: string | null;
        }>`SELECT m.removal_id, r.name, m.channel, m.delivered_at FROM recipient_outbox m
             JOIN recipients r ON r.id = m.recipient_id
            WHERE m.removal_id = ANY(${removalIds}::text[])
            ORDER BY r.name COLLATE "C", m.channel COLLATE "C"`.execute(db)
      : { rows: [] };
    const deliveriesOf = groupBy(deliveries, (x) => x.removal_id);
    // The latest version built to replace each dataset (`veto dataset rebuild`).
    const { rows: next } = await sql<{ replaces: string; id: string }>`
        SELECT DISTINCT ON (replaces) manifest->'removal'->'replaces'->>'datasetId' AS replaces, id
          FROM datasets
         WHERE manifest->'removal'->'replaces'->>'datasetId' = ANY(${ids}::text[])
         ORDER BY replaces, recorded_at DESC`.execute(db);
    const nextOf = new Map(next.map((n) => [n.replaces, n.id]));
    const { rows: recipients } = await sql<{
      dataset_id: string;
      name: string;
      received_at: string;
    }>`SELECT dataset_id, name, received_at FROM recipients
        WHERE dataset_id = ANY(${ids}::text[]) ORDER BY name COLLATE "C"`.execute(db);
    const recipientsOf = groupBy(recipients, (x) => x.dataset_id);
    const { rows: models } = await sql<{ dataset_id: string; id: string; name: string }>`
        SELECT dataset_id, id, name FROM models
         WHERE dataset_id = ANY(${ids}::text[]) ORDER BY name COLLATE "C"`.execute(db);
    const modelsOf = groupBy(models, (x) => x.dataset_id);
    return held.map((d) => {
      const r = removalOf.get(d.id);
      const replacement = nextOf.get(d.id);
      return {
        datasetId: d.id,
        purpose: d.purpose,
        recordedAt: iso(d.recorded_at),
        items: Number(d.items),
        removal: r
          ? {
              id: r.id,
              items: Number(r.items),
              recordedAt: r.recorded_at,
              deliveries: (deliveriesOf.get(r.id) ?? []).map((x) => ({
                recipient: x.name,
                channel: x.channel,
                deliveredAt: x.delivered_at,
              })),
            }
          : null,
        replacedBy: r && replacement ? replacement : null,
        recipients: (recipientsOf.get(d.id) ?? []).map((x) => ({
          name: x.name,
          receivedAt: x.received_at,
        })),
        models: (modelsOf.get(d.id) ?? []).map((m) => ({ id: m.id, name: m.name })),
      };
    });
  }

  async addMemorisationReport(
    r: MemorisationReport,
    email: OutboxMessage | null,
    contactEmail: string | null = null,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await sql`INSERT INTO memorisation_reports
          (id, reference, subject_key, model_id, description, language, received_at, due_at,
           contact_email)
          VALUES (${r.id}, ${r.reference}, ${r.subjectKey}, ${r.modelId}, ${r.description},
                  ${r.language}, ${r.receivedAt}, ${r.dueAt}, ${contactEmail})`.execute(trx);
      if (email) await insertOutboxRows(trx, [email]);
    });
  }

  async memorisationReportsOf(subjectKey: string): Promise<MemorisationReport[]> {
    const { rows } =
      await sql<ReportRow>`SELECT ${sql.raw(REPORT_COLUMNS)} FROM memorisation_reports
        WHERE subject_key = ${subjectKey}
        ORDER BY received_at COLLATE "C", id COLLATE "C"`.execute(this.db);
    return rows.map(reportFromRow);
  }

  async listMemorisationReports(): Promise<MemorisationReport[]> {
    const { rows } =
      await sql<ReportRow>`SELECT ${sql.raw(REPORT_COLUMNS)} FROM memorisation_reports
        ORDER BY due_at COLLATE "C", id COLLATE "C"`.execute(this.db);
    return rows.map(reportFromRow);
  }

  async memorisationReportByReference(reference: string): Promise<MemorisationReport | undefined> {
    const { rows } =
      await sql<ReportRow>`SELECT ${sql.raw(REPORT_COLUMNS)} FROM memorisation_reports
        WHERE reference = ${reference}`.execute(this.db);
    return rows[0] ? reportFromRow(rows[0]) : undefined;
  }

  async memorisationContact(id: string): Promise<string | null> {
    const { rows } = await sql<{ contact_email: string | null }>`SELECT contact_email
        FROM memorisation_reports WHERE id = ${id}`.execute(this.db);
    return rows[0]?.contact_email ?? null;
  }

  async answerMemorisationReport(
    id: string,
    a: MemorisationAnswer,
    email: OutboxMessage | null,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ id: string }>`UPDATE memorisation_reports
          SET answered_at = ${a.answeredAt}, answered_by = ${a.answeredBy},
              outcome = ${a.outcome}, answer = ${a.text}
          WHERE id = ${id} AND answered_at IS NULL RETURNING id`.execute(trx);
      if (rows.length === 0) return false;
      if (email) await insertOutboxRows(trx, [email]);
      return true;
    });
  }
}

const REPORT_COLUMNS =
  'id, reference, subject_key, model_id, description, language, received_at, due_at, answered_at, answered_by, outcome, answer';

const nowIso = () => new Date().toISOString();
const lastAt = (rows: readonly { at: Date }[]) => {
  const last = rows[rows.length - 1];
  return last ? iso(last.at) : undefined;
};
