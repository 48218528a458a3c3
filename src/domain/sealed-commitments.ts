import type { DatasetManifest } from '../gate/manifest.ts';
import { loggedExclusion, loggedTerms } from '../transparency/sealed-event-proof.ts';
import type { AuditEvent } from './types.ts';

/** A commitment as the registry keeps it beside a dataset (its own table). */
export interface StoredCommitment {
  keyId?: string;
  root: string;
  count: number;
}

/** What `veto audit verify` reads of each sealed dataset. */
export interface SealedDatasetRecords {
  /** The manifest recorded with the dataset's row. */
  datasetManifest(id: string): Promise<DatasetManifest | undefined>;
  /** The exclusion commitment recorded beside it (`dataset_exclusions`), if any. */
  datasetExclusion(id: string): Promise<StoredCommitment | undefined>;
  /** The terms commitment recorded beside it (`dataset_terms`), if any. */
  datasetTerms(id: string): Promise<StoredCommitment | undefined>;
}

function differs(a: StoredCommitment, b: StoredCommitment): boolean {
  return (
    a.root !== b.root ||
    a.count !== b.count ||
    (a.keyId !== undefined && b.keyId !== undefined && a.keyId !== b.keyId)
  );
}

const show = (c: StoredCommitment) => `root ${c.root}, count ${c.count}`;

/**
 * `veto audit verify`'s check of the commitments the log holds for datasets: each
 * `dataset.sealed` event that names an exclusion or terms commitment must name the one the
 * registry keeps for the dataset, in its manifest and in the commitment's own table, because the
 * proofs people are given are made from those tables. An edited root or count on either side, or
 * a table row removed, fails here, naming the dataset and the event. Events logged before the
 * commitments had their own fields name none and are not compared (counted in `notes`).
 */
export async function verifySealedCommitments(
  events: AsyncIterable<AuditEvent>,
  records: SealedDatasetRecords,
): Promise<{ problems: string[]; notes: string[] }> {
  const problems: string[] = [];
  let compared = 0;
  let unnamed = 0;
  for await (const e of events) {
    if (e.type !== 'dataset.sealed') continue;
    const datasetId = String(e.data.datasetId);
    const where = `dataset ${datasetId} (dataset.sealed #${e.seq})`;
    const logged = { exclusion: loggedExclusion(e.data), terms: loggedTerms(e.data) };
    const manifest = await records.datasetManifest(datasetId);
    if (!manifest) {
      if (logged.exclusion || logged.terms)
        problems.push(`${where}: the log names its commitments, the registry has no such dataset`);
      continue;
    }
    const kinds = [
      [
        'exclusion',
        logged.exclusion,
        manifest.exclusion,
        () => records.datasetExclusion(datasetId),
      ],
      ['terms', logged.terms, manifest.terms, () => records.datasetTerms(datasetId)],
    ] as const;
    for (const [kind, inLog, inManifest, inTable] of kinds) {
      const stored = await inTable();
      if (!inLog) {
        if (inManifest || stored) unnamed++;
        continue;
      }
      compared++;
      if (!inManifest) {
        problems.push(`${where}: the log names a ${kind} commitment, the recorded manifest none`);
      } else if (differs(inLog, inManifest)) {
        problems.push(
          `${where}: the log's ${kind} commitment (${show(inLog)}) differs from the recorded manifest's (${show(inManifest)})`,
        );
      }
      if (!stored) {
        problems.push(
          `${where}: the log names a ${kind} commitment, the registry keeps none for proofs`,
        );
      } else if (differs(inLog, stored)) {
        problems.push(
          `${where}: the log's ${kind} commitment (${show(inLog)}) differs from the one proofs are made from (${show(stored)})`,
        );
      }
    }
  }
  const notes: string[] = [];
  if (compared > 0) notes.push(`${compared} dataset commitments compared with the log`);
  if (unnamed > 0)
    notes.push(
      `${unnamed} dataset commitments logged before the sealed event named them: compared through the manifest's sha256 only`,
    );
  return { problems, notes };
}
