import { textLines } from './line-files.ts';
import type { InclusionRow } from './registry-port.ts';

/**
 * `inclusions.tsv` of a dataset directory: the inclusion index as a file, so a dataset built
 * offline can be recorded in the registry later. A header line, then one row per subject of each
 * kept record: `subject_key \t item_id \t role \t input \t line` (input = index in the manifest's
 * `inputs`, line = 1-based line or Parquet row). Rows of one record are consecutive, in output
 * order. Keys and ids never contain tabs or newlines (the gate rejects records whose ids do).
 */
export const INCLUSIONS_HEADER = 'subject_key\titem_id\trole\tinput\tline\n';

/**
 * The rows of an inclusions file, streamed, for `GateRegistry.recordDataset`. Also offers
 * `batches()`: the same rows one array per 4 MiB read, which bulk writers should prefer (an async
 * iteration per row costs a promise per row: ~1 s for a few million rows).
 */
export function readInclusionFile(path: string, datasetId: string): InclusionRows {
  async function* batches(): AsyncGenerator<InclusionRow[]> {
    let header = true;
    for await (const lines of textLines(path)) {
      const rows: InclusionRow[] = [];
      for (const line of lines) {
        if (header) {
          header = false;
          continue;
        }
        if (line.length === 0) continue;
        const [subjectKey, itemId, role] = line.split('\t');
        rows.push({
          datasetId,
          subjectKey: subjectKey!,
          itemId: itemId!,
          role: role as InclusionRow['role'],
        });
      }
      yield rows;
    }
  }
  return {
    batches,
    async *[Symbol.asyncIterator]() {
      for await (const rows of batches()) yield* rows;
    },
  };
}

/** Inclusion rows one at a time, or in arrays through `batches()`. */
export interface InclusionRows extends AsyncIterable<InclusionRow> {
  batches(): AsyncIterable<InclusionRow[]>;
}

/** Row arrays from any inclusion source: `batches()` when offered, else groups of 10,000. */
export async function* inclusionBatches(
  rows: Iterable<InclusionRow> | AsyncIterable<InclusionRow>,
): AsyncGenerator<InclusionRow[]> {
  const batched = rows as Partial<InclusionRows>;
  if (typeof batched.batches === 'function') {
    yield* batched.batches();
    return;
  }
  let batch: InclusionRow[] = [];
  for await (const row of rows) {
    batch.push(row);
    if (batch.length >= 10_000) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
