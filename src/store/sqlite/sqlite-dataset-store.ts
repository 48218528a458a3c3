import type Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { inclusionBatches } from '../../gate/inclusion-file.ts';
import {
  DATASET_SEALED_EVENT,
  type DatasetManifest,
  datasetSealedData,
} from '../../gate/manifest.ts';
import {
  exclusionRow,
  type GateDatasetStore,
  type InclusionRow,
  termsRow,
} from '../../gate/registry-port.ts';
import type { DatasetVerification } from '../../gate/verification-outcome.ts';
import { appendAuditEvents, prepareAuditAppend } from './sqlite-connection.ts';

/** What the dataset store needs from the registry store it shares a database with. */
export interface SqliteDatasetHost {
  readonly kysely: Kysely<any>;
  write<T>(fn: (db: Database.Database) => T): Promise<T>;
  objectorsAddedSince(purpose: string, asOf: string): Promise<string[]>;
  thirdPartyTermsAsOf(purpose: string, asOf: string): Promise<string[]>;
  thirdPartyTermReferencesAsOf(purpose: string, asOf: string): Promise<string[]>;
}

/** Rows per INSERT statement (4 parameters each, far below SQLite's 32,766) and per transaction. */
const ROWS_PER_STATEMENT = 500;
const ROWS_PER_TRANSACTION = 50_000;
/** Rows sorted by key before they are written (~40 MB of strings at most). */
const ROWS_SORTED_TOGETHER = 200_000;

export interface DatasetSummary {
  datasetId: string;
  purpose: string;
  recordedAt: string;
  items: number;
}

/**
 * The gate's registry port over the SQLite registry file: datasets and their inclusion index
 * (migration 003-datasets). Queries are built with Kysely; the bulk insert compiles one
 * 500-row statement once and runs it through the registry's serialised `write()`, 50,000 rows per
 * transaction, so an index of millions of rows goes in at disk speed without holding the
 * writer lock for long (the intake keeps running between transactions).
 *
 * The dataset row goes first and the inclusion rows after, in several transactions; if recording
 * fails half-way, the rows written so far are deleted before the error is passed on, and the gate
 * seals nothing. `sealed_at` is set last: readers that must see the whole index wait for it.
 */
export class SqliteDatasetStore implements GateDatasetStore {
  constructor(private readonly host: SqliteDatasetHost) {}

  objectorsAddedSince(purpose: string, asOf: string): Promise<string[]> {
    return this.host.objectorsAddedSince(purpose, asOf);
  }

  objectorTerms(purpose: string, asOf: string): Promise<string[]> {
    return this.host.thirdPartyTermsAsOf(purpose, asOf);
  }

  objectorTermReferences(purpose: string, asOf: string): Promise<string[]> {
    return this.host.thirdPartyTermReferencesAsOf(purpose, asOf);
  }

  async recordDataset(
    manifest: DatasetManifest,
    inclusions: Iterable<InclusionRow> | AsyncIterable<InclusionRow>,
    exclusionLeaves?: Uint8Array,
    location?: string,
    termsLeaves?: Uint8Array,
  ): Promise<void> {
    const { kysely } = this.host;
    const exclusion = exclusionRow(manifest, exclusionLeaves);
    const exclusionInsert =
      exclusion && kysely.insertInto('dataset_exclusions').values(exclusion).compile();
    const terms = termsRow(manifest, termsLeaves);
    const termsInsert = terms && kysely.insertInto('dataset_terms').values(terms).compile();
    const datasetRow = kysely
      .insertInto('datasets')
      .values({
        id: manifest.datasetId,
        purpose: manifest.purpose,
        policy_id: manifest.policy.id,
        policy_sha256: manifest.policy.sha256,
        snapshot_id: manifest.snapshot.id,
        snapshot_sha256: manifest.snapshot.sha256,
        output_sha256: manifest.output.sha256,
        records: manifest.output.records,
        manifest: JSON.stringify(manifest),
        // Migration 015: where the erasure job finds the version (NULL when not given).
        location: location ?? null,
        recorded_at: new Date().toISOString(),
      })
      .compile();
    await this.host.write((db) => {
      db.prepare(datasetRow.sql).run(...datasetRow.parameters);
      if (exclusionInsert) db.prepare(exclusionInsert.sql).run(...exclusionInsert.parameters);
      if (termsInsert) db.prepare(termsInsert.sql).run(...termsInsert.parameters);
    });

    const full = this.#insertSql(ROWS_PER_STATEMENT);
    const datasetId = manifest.datasetId;
    /** Rows waiting to be sorted and written: subject key, item id, role, three by three. */
    let window: string[] = [];
    const insert = (params: unknown[]) =>
      this.host.write((db) => {
        const statement = db.prepare(full);
        const per = ROWS_PER_STATEMENT * 4;
        let at = 0;
        for (; at + per <= params.length; at += per) statement.run(params.slice(at, at + per));
        if (at < params.length) {
          db.prepare(this.#insertSql((params.length - at) / 4)).run(params.slice(at));
        }
      });
    // The window's rows in key order, then written in transactions of ROWS_PER_TRANSACTION:
    // consecutive keys land on the same pages of the primary key's B-tree. In file order each
    // row touched a page of its own. Measured, 400,000 rows of the gate benchmark's index into a
    // table holding 1.4M: 35-37k rows/s in file order, 53k sorted per transaction of 50,000,
    // 98-100k sorted per 200,000 (113k per 400,000).
    const flush = async () => {
      const n = window.length / 3;
      if (n === 0) return;
      const rows = window;
      window = [];
      const order = Array.from({ length: n }, (_, i) => i * 3);
      order.sort((a, b) => {
        for (let k = 0; k < 3; k++) {
          const x = rows[a + k]!;
          const y = rows[b + k]!;
          if (x !== y) return x < y ? -1 : 1;
        }
        return 0;
      });
      for (let from = 0; from < n; from += ROWS_PER_TRANSACTION) {
        const params: unknown[] = [];
        for (const at of order.slice(from, from + ROWS_PER_TRANSACTION))
          params.push(rows[at], datasetId, rows[at + 1], rows[at + 2]);
        await insert(params);
      }
    };
    try {
      for await (const group of inclusionBatches(inclusions)) {
        for (const row of group) {
          if (row.datasetId !== datasetId) {
            throw new Error(`inclusion row for ${row.datasetId} while recording ${datasetId}`);
          }
          window.push(row.subjectKey, row.itemId, row.role);
          if (window.length >= ROWS_SORTED_TOGETHER * 3) await flush();
        }
      }
      await flush();
      // The last step: only now may the removal planner read this dataset's index (005). The
      // `dataset.sealed` audit event commits with it, so the log names exactly the sealed ones.
      const sealedAt = new Date().toISOString();
      await this.host.write((db) => {
        db.prepare('UPDATE datasets SET sealed_at = ? WHERE id = ?').run(
          sealedAt,
          manifest.datasetId,
        );
        appendAuditEvents(prepareAuditAppend(db), [
          {
            at: sealedAt,
            type: DATASET_SEALED_EVENT,
            objectionId: null,
            subjectKey: null,
            data: datasetSealedData(manifest),
          },
        ]);
      });
    } catch (err) {
      const id = manifest.datasetId;
      await this.host
        .write((db) => {
          db.prepare('DELETE FROM dataset_inclusions WHERE dataset_id = ?').run(id);
          db.prepare('DELETE FROM dataset_exclusions WHERE dataset_id = ?').run(id);
          db.prepare('DELETE FROM dataset_terms WHERE dataset_id = ?').run(id);
          db.prepare('DELETE FROM datasets WHERE id = ?').run(id);
        })
        .catch(() => {});
      throw err;
    }
  }

  /** One verification's outcome (migration 016-dataset-verifications). */
  async recordVerification(v: DatasetVerification): Promise<void> {
    const insert = this.host.kysely
      .insertInto('dataset_verifications')
      .values({
        dataset_id: v.datasetId,
        verified_at: v.verifiedAt,
        passed: v.passed ? 1 : 0,
        verified_by: v.by,
        failures: JSON.stringify(v.failures),
      })
      .compile();
    await this.host.write((db) => {
      db.prepare(insert.sql).run(...insert.parameters);
    });
  }

  /** Recovery after a crash (src/gate/dataset-recovery.ts): whether the recording finished. */
  async datasetState(id: string): Promise<'sealed' | 'unsealed' | undefined> {
    const row = await this.host.kysely
      .selectFrom('datasets')
      .select('sealed_at')
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    return row.sealed_at ? 'sealed' : 'unsealed';
  }

  /** Deletes the rows of a recording that did not finish; a sealed dataset is left alone. */
  async discardUnsealedDataset(id: string): Promise<void> {
    await this.host.write((db) => {
      const sealed = db.prepare('SELECT sealed_at FROM datasets WHERE id = ?').get(id) as
        | { sealed_at: string | null }
        | undefined;
      if (!sealed || sealed.sealed_at) return;
      db.prepare('DELETE FROM dataset_inclusions WHERE dataset_id = ?').run(id);
      db.prepare('DELETE FROM dataset_exclusions WHERE dataset_id = ?').run(id);
      db.prepare('DELETE FROM dataset_terms WHERE dataset_id = ?').run(id);
      db.prepare('DELETE FROM datasets WHERE id = ?').run(id);
    });
  }

  /** The datasets holding items of `subjectKey` (as author or as a person mentioned). */
  async datasetsForSubject(subjectKey: string): Promise<DatasetSummary[]> {
    const rows = await this.host.kysely
      .selectFrom('dataset_inclusions as i')
      .innerJoin('datasets as d', 'd.id', 'i.dataset_id')
      .select(['d.id as datasetId', 'd.purpose as purpose', 'd.recorded_at as recordedAt'])
      .select((eb) => eb.fn.countAll<number>().as('items'))
      .where('i.subject_key', '=', subjectKey)
      .groupBy(['d.id', 'd.purpose', 'd.recorded_at'])
      .orderBy('d.recorded_at')
      .execute();
    return rows.map((r) => ({ ...r, items: Number(r.items) }));
  }

  /** The manifest of a recorded dataset. */
  async getDataset(id: string): Promise<DatasetManifest | undefined> {
    const row = await this.host.kysely
      .selectFrom('datasets')
      .select('manifest')
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? (JSON.parse(row.manifest as string) as DatasetManifest) : undefined;
  }

  #insertSql(rows: number): string {
    const values = Array.from({ length: rows }, () => ({
      subject_key: '',
      dataset_id: '',
      item_id: '',
      role: '',
    }));
    return this.host.kysely.insertInto('dataset_inclusions').values(values).compile().sql;
  }
}
