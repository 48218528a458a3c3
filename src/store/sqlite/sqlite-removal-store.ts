import type Database from 'better-sqlite3';
import type { Contact, NewEvent, OutboxMessage } from '../../domain/types.ts';
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
import { appendAuditEvents, prepareAuditAppend } from './sqlite-connection.ts';
import type { SqliteRegistryStore } from './sqlite-registry-store.ts';

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
  item_ids: string;
  items: number;
  recorded_at: string;
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
  itemIds: JSON.parse(r.item_ids) as string[],
  recordedAt: r.recorded_at,
});

/** Lookups per statement, far below SQLite's 32,766 parameters. */
const IN_CHUNK = 500;

function chunks<T>(values: readonly T[], size = IN_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

const marks = (n: number) => Array.from({ length: n }, () => '?').join(',');

/**
 * The issue-6 tables in the registry's SQLite file. Every write goes through the registry
 * store's `write()` (this thread's connection, serialised with the writer thread's transactions
 * and fdatasync'ed before it resolves), so the planner's whole unit of work — reading the audit
 * log after its cursor, the inclusion index, then writing removals, outbox rows, audit events
 * and the cursor — is one IMMEDIATE transaction: nothing else writes in between.
 */
export class SqliteRemovalStore implements RemovalStore {
  private readonly db: Database.Database;

  constructor(private readonly registry: SqliteRegistryStore) {
    this.db = registry.db;
  }

  planRemovals(
    job: string,
    limit: number,
    plan: (input: PlanningInput) => RemovalPlan,
  ): Promise<{ scanned: number; removals: number; cursor: number }> {
    return this.registry.write((db) => {
      const cursorRow = db.prepare('SELECT seq FROM job_cursors WHERE name = ?').get(job) as
        | { seq: number }
        | undefined;
      const from = cursorRow?.seq ?? 0;
      // The events this pass covers: only their last seq is needed here.
      const last = db
        .prepare(
          'SELECT max(seq) AS seq, count(*) AS n FROM (SELECT seq FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?)',
        )
        .get(from, limit) as { seq: number | null; n: number };
      // Datasets sealed since the job last looked (migration 005): caught up below.
      const sealedSince = db
        .prepare(
          `SELECT d.id, d.purpose FROM datasets d
            WHERE d.sealed_at IS NOT NULL AND NOT EXISTS
              (SELECT 1 FROM removal_catchups c WHERE c.job = ? AND c.dataset_id = d.id)
            ORDER BY d.sealed_at, d.id`,
        )
        .all(job) as { id: string; purpose: string }[];
      if (last.n === 0 && sealedSince.length === 0)
        return { scanned: 0, removals: 0, cursor: from };
      const cursor = last.seq ?? from;

      // Matching objections against the inclusion index is one join inside SQLite: at intake
      // rates (~14k objections/s) a per-event lookup from JavaScript cost ~5 % of the server's
      // main thread (profiled). Unsealed datasets are still being recorded: their index may be
      // partial (005), so only sealed ones count.
      const hits = db
        .prepare(
          `SELECT e.seq, e.at, e.objection_id AS o, e.subject_key AS k, ds.purpose, i.dataset_id AS d, i.item_id AS item
             FROM audit_events e
             JOIN dataset_inclusions i ON i.subject_key = e.subject_key
             JOIN datasets ds ON ds.id = i.dataset_id
            WHERE e.seq > ? AND e.seq <= ? AND e.type = 'objection.recorded' AND e.objection_id IS NOT NULL
              AND ds.sealed_at IS NOT NULL AND ds.purpose = json_extract(e.data, '$.purpose')
            ORDER BY e.seq, i.dataset_id, i.item_id`,
        )
        .all(from, cursor) as {
        seq: number;
        at: string;
        o: string;
        k: string;
        purpose: string;
        d: string;
        item: string;
      }[];
      const found: PlanningEvent[] = [];
      const datasets = new Set<string>();
      const subjects = new Set<string>();
      let current: (PlanningEvent & { byDataset: Map<string, Set<string>> }) | undefined;
      const flush = () => {
        if (!current) return;
        const { byDataset, ...e } = current;
        found.push({
          ...e,
          hits: [...byDataset].map(([datasetId, items]) => ({ datasetId, itemIds: [...items] })),
        });
      };
      for (const h of hits) {
        if (current?.seq !== h.seq) {
          flush();
          current = {
            seq: h.seq,
            at: h.at,
            objectionId: h.o,
            subjectKey: h.k,
            purpose: h.purpose,
            hits: [],
            byDataset: new Map(),
          };
        }
        const items = current.byDataset.get(h.d) ?? new Set<string>();
        items.add(h.item);
        current.byDataset.set(h.d, items);
      }
      flush();
      // The catch-up: every objection effective now, against each newly sealed dataset.
      const catchUpOf = db.prepare(
        `SELECT o.id AS o, o.subject_key AS k, o.received_at AS at, i.item_id AS item
           FROM objections o JOIN dataset_inclusions i ON i.subject_key = o.subject_key
          WHERE i.dataset_id = ? AND o.purpose = ? AND o.status = 'effective'
          ORDER BY o.received_at, o.id, i.item_id`,
      );
      const catchUp: PlanningEvent[] = [];
      for (const d of sealedSince) {
        const byObjection = new Map<string, PlanningEvent & { items: Set<string> }>();
        for (const h of catchUpOf.all(d.id, d.purpose) as {
          o: string;
          k: string;
          at: string;
          item: string;
        }[]) {
          let e = byObjection.get(h.o);
          if (!e) {
            e = {
              seq: 0,
              at: h.at,
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
      const events = withCatchUp(found, catchUp);
      for (const e of events) {
        subjects.add(e.subjectKey);
        for (const h of e.hits) datasets.add(h.datasetId);
      }

      const input: PlanningInput = {
        events,
        recipients: new Map(),
        models: new Map(),
        contacts: new Map(),
        planned: new Set(),
      };
      for (const ids of chunks([...datasets])) {
        for (const r of db
          .prepare(
            `SELECT * FROM recipients WHERE dataset_id IN (${marks(ids.length)}) ORDER BY id`,
          )
          .all(...ids) as RecipientRow[]) {
          const list = input.recipients.get(r.dataset_id) ?? [];
          list.push(recipientFromRow(r));
          input.recipients.set(r.dataset_id, list);
        }
        for (const m of db
          .prepare(`SELECT * FROM models WHERE dataset_id IN (${marks(ids.length)}) ORDER BY id`)
          .all(...ids) as ModelRow[]) {
          const list = input.models.get(m.dataset_id) ?? [];
          list.push(modelFromRow(m));
          input.models.set(m.dataset_id, list);
        }
      }
      for (const keys of chunks([...subjects])) {
        for (const c of db
          .prepare(`SELECT * FROM contacts WHERE subject_key IN (${marks(keys.length)})`)
          .all(...keys) as { subject_key: string; email: string; language: string }[]) {
          const contact: Contact = {
            subjectKey: c.subject_key,
            email: c.email,
            language: c.language,
          };
          input.contacts.set(c.subject_key, contact);
        }
      }
      const objectionIds = [...new Set(events.map((e) => e.objectionId))];
      for (const ids of chunks(objectionIds)) {
        for (const p of db
          .prepare(
            `SELECT objection_id AS o, dataset_id AS d FROM removals WHERE objection_id IN (${marks(ids.length)})`,
          )
          .all(...ids) as { o: string; d: string }[]) {
          input.planned.add(`${p.o}\t${p.d}`);
        }
      }

      const out = plan(input);
      const insertRemoval = db.prepare(
        `INSERT INTO removals (id, dataset_id, subject_key, objection_id, purpose, item_ids, items, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const r of out.removals) {
        insertRemoval.run(
          r.id,
          r.datasetId,
          r.subjectKey,
          r.objectionId,
          r.purpose,
          JSON.stringify(r.itemIds),
          r.itemIds.length,
          r.recordedAt,
        );
      }
      const insertMessage = db.prepare(
        `INSERT INTO recipient_outbox (id, recipient_id, removal_id, channel, payload, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const m of out.messages) {
        insertMessage.run(
          m.id,
          m.recipientId,
          m.removalId,
          m.channel,
          JSON.stringify(m.payload),
          m.createdAt,
          m.createdAt,
        );
      }
      insertEmails(db, out.emails);
      appendAuditEvents(prepareAuditAppend(db), out.events);
      const now = out.events[0]?.at ?? hits.at(-1)?.at ?? new Date().toISOString();
      db.prepare(
        `INSERT INTO job_cursors (name, seq, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`,
      ).run(job, cursor, now);
      const caughtUp = db.prepare(
        'INSERT INTO removal_catchups (job, dataset_id, checked_at) VALUES (?, ?, ?)',
      );
      for (const d of sealedSince) caughtUp.run(job, d.id, now);
      return { scanned: last.n, removals: out.removals.length, cursor };
    });
  }

  async dueRecipientMessages(now: string, limit: number): Promise<DueRecipientMessage[]> {
    const rows = this.db
      .prepare(
        `SELECT m.id, m.recipient_id, m.removal_id, m.channel, m.payload, m.created_at, m.attempts,
                r.id AS r_id, r.dataset_id, r.name, r.webhook_url, r.webhook_secret, r.nats_subject,
                r.received_at, r.created_at AS r_created_at
           FROM recipient_outbox m JOIN recipients r ON r.id = m.recipient_id
          WHERE m.delivered_at IS NULL AND m.next_attempt_at <= ?
          ORDER BY m.next_attempt_at, m.id LIMIT ?`,
      )
      .all(now, limit) as (RecipientRow & {
      recipient_id: string;
      removal_id: string;
      channel: 'webhook' | 'nats';
      payload: string;
      attempts: number;
      r_id: string;
      r_created_at: string;
    })[];
    return rows.map((r) => ({
      id: r.id,
      recipientId: r.recipient_id,
      removalId: r.removal_id,
      channel: r.channel,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
      createdAt: r.created_at,
      attempts: r.attempts,
      recipient: recipientFromRow({ ...r, id: r.r_id, created_at: r.r_created_at }),
    }));
  }

  async markRecipientMessagesDelivered(ids: readonly string[], at: string): Promise<void> {
    await this.registry.write((db) => {
      const pending = db.prepare(
        `SELECT m.id, m.removal_id, m.recipient_id, m.channel, c.dataset_id, r.objection_id,
                r.subject_key
           FROM recipient_outbox m
           JOIN removals r ON r.id = m.removal_id
           JOIN recipients c ON c.id = m.recipient_id
          WHERE m.id = ? AND m.delivered_at IS NULL`,
      );
      const mark = db.prepare(
        'UPDATE recipient_outbox SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?',
      );
      const events: NewEvent[] = [];
      for (const id of ids) {
        // Once per message: a repeated acknowledgement finds it delivered, changes nothing and
        // logs nothing.
        const row = pending.get(id) as AcknowledgedRow | undefined;
        if (!row) continue;
        mark.run(at, id);
        events.push(removalAcknowledgedEvent(row, at));
      }
      appendAuditEvents(prepareAuditAppend(db), events);
    });
  }

  async recipientBacklog(failingSince: string, limit: number): Promise<RecipientBacklog> {
    const head = this.db
      .prepare(
        'SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM recipient_outbox WHERE delivered_at IS NULL',
      )
      .get() as { pending: number; oldest: string | null } | undefined;
    const rows = this.db
      .prepare(
        `SELECT m.id, m.recipient_id, r.name, r.dataset_id, m.removal_id, m.channel, m.attempts,
                m.last_error, m.created_at, m.next_attempt_at
           FROM recipient_outbox m JOIN recipients r ON r.id = m.recipient_id
          WHERE m.delivered_at IS NULL AND m.attempts > 0 AND m.created_at <= ?
          ORDER BY m.created_at, m.id LIMIT ?`,
      )
      .all(failingSince, limit) as {
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
    }[];
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

  async markRecipientMessageFailed(
    id: string,
    error: string,
    nextAttemptAt: string,
  ): Promise<void> {
    await this.registry.write((db) =>
      db
        .prepare(
          'UPDATE recipient_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?',
        )
        .run(error.slice(0, 500), nextAttemptAt, id),
    );
  }

  async datasetExclusion(datasetId: string): Promise<StoredExclusion | undefined> {
    const row = this.db
      .prepare(
        `SELECT e.key_id, e.root, e.subjects, e.leaves FROM dataset_exclusions e
         JOIN datasets d ON d.id = e.dataset_id WHERE e.dataset_id = ? AND d.sealed_at IS NOT NULL`,
      )
      .get(datasetId) as
      | { key_id: string; root: string; subjects: number; leaves: Buffer }
      | undefined;
    return (
      row && {
        datasetId,
        keyId: row.key_id,
        root: row.root,
        count: row.subjects,
        leaves: Buffer.from(row.leaves),
      }
    );
  }

  async exclusionDatasets(): Promise<{ datasetId: string; purpose: string; recordedAt: string }[]> {
    return this.db
      .prepare(
        `SELECT d.id AS datasetId, d.purpose AS purpose, d.recorded_at AS recordedAt
         FROM dataset_exclusions e JOIN datasets d ON d.id = e.dataset_id
         WHERE d.sealed_at IS NOT NULL ORDER BY d.recorded_at DESC, d.id`,
      )
      .all() as { datasetId: string; purpose: string; recordedAt: string }[];
  }

  async datasetTerms(datasetId: string): Promise<StoredTerms | undefined> {
    return (await this.#terms('t.dataset_id = ?', datasetId))[0];
  }

  async termsDatasets(purpose: string): Promise<StoredTerms[]> {
    return this.#terms('d.purpose = ?', purpose);
  }

  async #terms(where: string, value: string): Promise<StoredTerms[]> {
    const rows = this.db
      .prepare(
        `SELECT t.dataset_id, d.purpose, d.recorded_at, t.root, t.objections, t.leaves
         FROM dataset_terms t JOIN datasets d ON d.id = t.dataset_id
         WHERE ${where} AND d.sealed_at IS NOT NULL ORDER BY d.recorded_at DESC, d.id`,
      )
      .all(value) as {
      dataset_id: string;
      purpose: string;
      recorded_at: string;
      root: string;
      objections: number;
      leaves: Buffer;
    }[];
    return rows.map((r) => ({
      datasetId: r.dataset_id,
      purpose: r.purpose,
      recordedAt: r.recorded_at,
      root: r.root,
      count: r.objections,
      leaves: Buffer.from(r.leaves),
    }));
  }

  async datasetExists(datasetId: string): Promise<boolean> {
    // Sealed only: a dataset whose index is still being recorded is not there yet.
    return (
      this.db
        .prepare('SELECT 1 FROM datasets WHERE id = ? AND sealed_at IS NOT NULL')
        .get(datasetId) !== undefined
    );
  }

  async addModel(m: ModelRecord): Promise<void> {
    await this.registry.write((db) =>
      db
        .prepare(
          'INSERT INTO models (id, dataset_id, name, trained_at, recorded_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(m.id, m.datasetId, m.name, m.trainedAt, m.recordedAt),
    );
  }

  async listModels(datasetId?: string): Promise<ModelRecord[]> {
    const rows = datasetId
      ? this.db.prepare('SELECT * FROM models WHERE dataset_id = ? ORDER BY id').all(datasetId)
      : this.db.prepare('SELECT * FROM models ORDER BY id').all();
    return (rows as ModelRow[]).map(modelFromRow);
  }

  async getModel(id: string): Promise<ModelRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
    return r ? modelFromRow(r) : undefined;
  }

  async addRecipient(r: RecipientRecord): Promise<void> {
    await this.registry.write((db) =>
      db
        .prepare(
          `INSERT INTO recipients (id, dataset_id, name, webhook_url, webhook_secret, nats_subject, received_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          r.id,
          r.datasetId,
          r.name,
          r.webhookUrl,
          r.webhookSecret,
          r.natsSubject,
          r.receivedAt,
          r.createdAt,
        ),
    );
  }

  async listRecipients(datasetId?: string): Promise<RecipientRecord[]> {
    const rows = datasetId
      ? this.db.prepare('SELECT * FROM recipients WHERE dataset_id = ? ORDER BY id').all(datasetId)
      : this.db.prepare('SELECT * FROM recipients ORDER BY id').all();
    return (rows as RecipientRow[]).map(recipientFromRow);
  }

  async removalsOf(datasetId: string): Promise<RemovalRecord[]> {
    return (
      this.db
        .prepare('SELECT * FROM removals WHERE dataset_id = ? ORDER BY recorded_at, id')
        .all(datasetId) as RemovalRow[]
    ).map(removalFromRow);
  }

  async sealedLocationsWithRemovals(): Promise<{ datasetId: string; location: string }[]> {
    return this.db
      .prepare(
        `SELECT d.id AS datasetId, d.location AS location FROM datasets d
         WHERE d.sealed_at IS NOT NULL AND d.location IS NOT NULL
           AND EXISTS (SELECT 1 FROM removals r WHERE r.dataset_id = d.id)
         ORDER BY d.id`,
      )
      .all() as { datasetId: string; location: string }[];
  }

  async enqueueRecipientMessages(messages: readonly RecipientMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.registry.write((db) => {
      const insert = db.prepare(
        `INSERT INTO recipient_outbox (id, recipient_id, removal_id, channel, payload, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const m of messages)
        insert.run(
          m.id,
          m.recipientId,
          m.removalId,
          m.channel,
          JSON.stringify(m.payload),
          m.createdAt,
          m.createdAt,
        );
    });
  }

  async objectedItemsOf(datasetId: string): Promise<string[]> {
    return (
      this.db
        .prepare(
          `SELECT DISTINCT i.item_id AS item
             FROM dataset_inclusions i
             JOIN datasets d ON d.id = i.dataset_id
             JOIN objections o ON o.subject_key = i.subject_key
            WHERE i.dataset_id = ? AND d.sealed_at IS NOT NULL
              AND o.purpose = d.purpose AND o.status = 'effective'
            ORDER BY i.item_id`,
        )
        .all(datasetId) as { item: string }[]
    ).map((r) => r.item);
  }

  async subjectDatasets(subjectKey: string): Promise<SubjectDataset[]> {
    const db = this.db;
    const held = db
      .prepare(
        `SELECT d.id, d.purpose, d.recorded_at, count(DISTINCT i.item_id) AS items
           FROM dataset_inclusions i JOIN datasets d ON d.id = i.dataset_id
          WHERE i.subject_key = ? AND d.sealed_at IS NOT NULL
          GROUP BY d.id, d.purpose, d.recorded_at ORDER BY d.recorded_at, d.id`,
      )
      .all(subjectKey) as { id: string; purpose: string; recorded_at: string; items: number }[];
    const removal = db.prepare(
      'SELECT * FROM removals WHERE subject_key = ? AND dataset_id = ? ORDER BY recorded_at, id LIMIT 1',
    );
    const deliveries = db.prepare(
      `SELECT r.name, m.channel, m.delivered_at FROM recipient_outbox m
         JOIN recipients r ON r.id = m.recipient_id WHERE m.removal_id = ? ORDER BY r.name, m.channel`,
    );
    const replacedBy = db.prepare(
      `SELECT id FROM datasets WHERE json_extract(manifest, '$.removal.replaces.datasetId') = ?
        ORDER BY recorded_at DESC LIMIT 1`,
    );
    const recipients = db.prepare(
      'SELECT name, received_at FROM recipients WHERE dataset_id = ? ORDER BY name',
    );
    const models = db.prepare('SELECT id, name FROM models WHERE dataset_id = ? ORDER BY name');
    return held.map((d) => {
      const r = removal.get(subjectKey, d.id) as RemovalRow | undefined;
      const next = replacedBy.get(d.id) as { id: string } | undefined;
      return {
        datasetId: d.id,
        purpose: d.purpose,
        recordedAt: d.recorded_at,
        items: d.items,
        removal: r
          ? {
              id: r.id,
              items: r.items,
              recordedAt: r.recorded_at,
              deliveries: (
                deliveries.all(r.id) as {
                  name: string;
                  channel: 'webhook' | 'nats';
                  delivered_at: string | null;
                }[]
              ).map((x) => ({
                recipient: x.name,
                channel: x.channel,
                deliveredAt: x.delivered_at,
              })),
            }
          : null,
        replacedBy: r && next ? next.id : null,
        recipients: (recipients.all(d.id) as { name: string; received_at: string }[]).map((x) => ({
          name: x.name,
          receivedAt: x.received_at,
        })),
        models: models.all(d.id) as { id: string; name: string }[],
      };
    });
  }

  async addMemorisationReport(
    r: MemorisationReport,
    email: OutboxMessage | null,
    contactEmail: string | null = null,
  ): Promise<void> {
    await this.registry.write((db) => {
      db.prepare(
        `INSERT INTO memorisation_reports (id, reference, subject_key, model_id, description, language, received_at, due_at, contact_email)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        r.id,
        r.reference,
        r.subjectKey,
        r.modelId,
        r.description,
        r.language,
        r.receivedAt,
        r.dueAt,
        contactEmail,
      );
      if (email) insertEmails(db, [email]);
    });
  }

  async memorisationReportsOf(subjectKey: string): Promise<MemorisationReport[]> {
    const rows = this.db
      .prepare(
        `SELECT ${REPORT_COLUMNS} FROM memorisation_reports WHERE subject_key = ? ORDER BY received_at`,
      )
      .all(subjectKey) as ReportRow[];
    return rows.map(reportFromRow);
  }

  async listMemorisationReports(): Promise<MemorisationReport[]> {
    const rows = this.db
      .prepare(`SELECT ${REPORT_COLUMNS} FROM memorisation_reports ORDER BY due_at, id`)
      .all() as ReportRow[];
    return rows.map(reportFromRow);
  }

  async memorisationReportByReference(reference: string): Promise<MemorisationReport | undefined> {
    const row = this.db
      .prepare(`SELECT ${REPORT_COLUMNS} FROM memorisation_reports WHERE reference = ?`)
      .get(reference) as ReportRow | undefined;
    return row ? reportFromRow(row) : undefined;
  }

  async memorisationContact(id: string): Promise<string | null> {
    const row = this.db
      .prepare('SELECT contact_email FROM memorisation_reports WHERE id = ?')
      .get(id) as { contact_email: string | null } | undefined;
    return row?.contact_email ?? null;
  }

  async answerMemorisationReport(
    id: string,
    a: MemorisationAnswer,
    email: OutboxMessage | null,
  ): Promise<boolean> {
    return this.registry.write((db) => {
      const changed = db
        .prepare(
          `UPDATE memorisation_reports SET answered_at = ?, answered_by = ?, outcome = ?, answer = ?
           WHERE id = ? AND answered_at IS NULL`,
        )
        .run(a.answeredAt, a.answeredBy, a.outcome, a.text, id).changes;
      if (changed === 0) return false;
      if (email) insertEmails(db, [email]);
      return true;
    });
  }
}

const REPORT_COLUMNS =
  'id, reference, subject_key, model_id, description, language, received_at, due_at, answered_at, answered_by, outcome, answer';

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

/** Emails to the person go to the registry's own outbox, delivered by `OutboxDispatcher`. */
function insertEmails(db: Database.Database, emails: readonly OutboxMessage[]): void {
  if (emails.length === 0) return;
  const insert = db.prepare(
    'INSERT INTO outbox (id, kind, payload, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)',
  );
  for (const m of emails)
    insert.run(m.id, m.kind, JSON.stringify(m.payload), m.createdAt, m.createdAt);
}
