import { type Kysely, sql } from 'kysely';
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
import { appendChainedEvents } from './postgres-registry-store.ts';

/** What the dataset store needs from the registry store it shares a database with. */
export interface PostgresDatasetHost {
  readonly kysely: Kysely<any>;
  objectorsAddedSince(purpose: string, asOf: string): Promise<string[]>;
  thirdPartyTermsAsOf(purpose: string, asOf: string): Promise<string[]>;
  thirdPartyTermReferencesAsOf(purpose: string, asOf: string): Promise<string[]>;
}

const ROWS_PER_STATEMENT = 20_000;

export interface DatasetSummary {
  datasetId: string;
  purpose: string;
  recordedAt: string;
  items: number;
}

/**
 * The gate's registry port over PostgreSQL (migration 003-datasets). One transaction per
 * dataset: the dataset row and every inclusion row commit together or not at all. Inclusion rows
 * go in 20,000 at a time as four arrays through `unnest` (one statement, four parameters:
 * 46k-103k rows/s measured with node-postgres, see the performance notes).
 */
export class PostgresDatasetStore implements GateDatasetStore {
  constructor(private readonly host: PostgresDatasetHost) {}

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
    const exclusion = exclusionRow(manifest, exclusionLeaves);
    const terms = termsRow(manifest, termsLeaves);
    await this.host.kysely.transaction().execute(async (trx) => {
      await trx
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
        .execute();
      if (exclusion) await trx.insertInto('dataset_exclusions').values(exclusion).execute();
      if (terms) await trx.insertInto('dataset_terms').values(terms).execute();
      let subjects: string[] = [];
      let items: string[] = [];
      let roles: string[] = [];
      const flush = async () => {
        if (subjects.length === 0) return;
        const datasetIds = subjects.map(() => manifest.datasetId);
        await sql`INSERT INTO dataset_inclusions (subject_key, dataset_id, item_id, role)
          SELECT * FROM unnest(${subjects}::text[], ${datasetIds}::text[], ${items}::text[], ${roles}::text[])`.execute(
          trx,
        );
        subjects = [];
        items = [];
        roles = [];
      };
      for await (const group of inclusionBatches(inclusions)) {
        for (const row of group) {
          if (row.datasetId !== manifest.datasetId) {
            throw new Error(
              `inclusion row for ${row.datasetId} while recording ${manifest.datasetId}`,
            );
          }
          subjects.push(row.subjectKey);
          items.push(row.itemId);
          roles.push(row.role);
          if (subjects.length >= ROWS_PER_STATEMENT) await flush();
        }
      }
      await flush();
      // Last, like the SQLite twin (there it is a separate transaction): see migration 005. The
      // `dataset.sealed` audit event commits with it; the chain head is locked only now, so the
      // intake waits for this short step, never for the inclusion rows.
      const head = (
        await sql<{ seq: string; hash: string }>`
          SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE`.execute(trx)
      ).rows[0];
      if (!head) throw new Error('chain_head row is missing: the registry schema is damaged');
      const sealedAt = new Date().toISOString();
      await sql`UPDATE datasets SET sealed_at = ${sealedAt} WHERE id = ${manifest.datasetId}`.execute(
        trx,
      );
      await appendChainedEvents(trx, { seq: Number(head.seq), hash: head.hash }, [
        {
          at: sealedAt,
          type: DATASET_SEALED_EVENT,
          objectionId: null,
          subjectKey: null,
          data: datasetSealedData(manifest),
        },
      ]);
    });
  }

  /** One verification's outcome (migration 016-dataset-verifications). */
  async recordVerification(v: DatasetVerification): Promise<void> {
    await this.host.kysely
      .insertInto('dataset_verifications')
      .values({
        dataset_id: v.datasetId,
        verified_at: v.verifiedAt,
        passed: v.passed,
        verified_by: v.by,
        failures: JSON.stringify(v.failures),
      })
      .execute();
  }

  async datasetsForSubject(subjectKey: string): Promise<DatasetSummary[]> {
    const rows = await this.host.kysely
      .selectFrom('dataset_inclusions as i')
      .innerJoin('datasets as d', 'd.id', 'i.dataset_id')
      .select(['d.id as datasetId', 'd.purpose as purpose', 'd.recorded_at as recordedAt'])
      .select((eb) => eb.fn.countAll<string>().as('items'))
      .where('i.subject_key', '=', subjectKey)
      .groupBy(['d.id', 'd.purpose', 'd.recorded_at'])
      .orderBy('d.recorded_at')
      .execute();
    return rows.map((r) => ({
      datasetId: r.datasetId,
      purpose: r.purpose,
      recordedAt: new Date(r.recordedAt).toISOString(),
      items: Number(r.items),
    }));
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

  /**
   * Deletes the rows of a recording that did not finish (on PostgreSQL one transaction records a
   * dataset, so this finds none there unless an older build left them); sealed ones stay.
   */
  async discardUnsealedDataset(id: string): Promise<void> {
    await this.host.kysely.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('datasets')
        .select('sealed_at')
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!row || row.sealed_at) return;
      await trx.deleteFrom('dataset_inclusions').where('dataset_id', '=', id).execute();
      await trx.deleteFrom('dataset_exclusions').where('dataset_id', '=', id).execute();
      await trx.deleteFrom('dataset_terms').where('dataset_id', '=', id).execute();
      await trx.deleteFrom('datasets').where('id', '=', id).execute();
    });
  }

  async getDataset(id: string): Promise<DatasetManifest | undefined> {
    const row = await this.host.kysely
      .selectFrom('datasets')
      .select('manifest')
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    return (
      typeof row.manifest === 'string' ? JSON.parse(row.manifest) : row.manifest
    ) as DatasetManifest;
  }
}
