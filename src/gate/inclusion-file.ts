import { textChunks, textLines } from './line-files.ts';
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
 * `batches()`: the same rows in arrays of up to 8,192, which bulk writers should prefer (an async
 * iteration per row costs a promise per row: ~1 s for a few million rows).
 */
export function readInclusionFile(path: string, datasetId: string): InclusionRows {
  // Rows in arrays of ROWS_PER_BATCH, cut from each 4 MiB read with `indexOf` (no per-line
  // `split` arrays): arrays of ~100k rows per read outlived the young generation and were
  // promoted, which grew the heap to ~190 MB and cost ~0.35 s of a 3.3 s run at bench scale 0.3.
  async function* batches(): AsyncGenerator<InclusionRow[]> {
    let header = true;
    for await (const text of textChunks(path)) {
      let rows: InclusionRow[] = [];
      let pos = 0;
      if (header) {
        header = false;
        const nl = text.indexOf('\n');
        pos = nl < 0 ? text.length : nl + 1;
      }
      while (pos < text.length) {
        let nl = text.indexOf('\n', pos);
        if (nl < 0) nl = text.length;
        if (nl > pos) {
          const t1 = text.indexOf('\t', pos);
          const t2 = t1 < 0 ? -1 : text.indexOf('\t', t1 + 1);
          const t3 = t2 < 0 ? -1 : text.indexOf('\t', t2 + 1);
          // Same fields as `line.split('\t')` gave: a missing column reads as ''.
          const end1 = t1 < 0 || t1 > nl ? nl : t1;
          const end2 = t2 < 0 || t2 > nl ? nl : t2;
          const end3 = t3 < 0 || t3 > nl ? nl : t3;
          rows.push({
            datasetId,
            subjectKey: text.slice(pos, end1),
            itemId: end1 < nl ? text.slice(end1 + 1, end2) : (undefined as unknown as string),
            role: (end2 < nl ? text.slice(end2 + 1, end3) : undefined) as InclusionRow['role'],
          });
          if (rows.length >= ROWS_PER_BATCH) {
            yield rows;
            rows = [];
          }
        }
        pos = nl + 1;
      }
      if (rows.length > 0) yield rows;
    }
  }
  return {
    batches,
    async *[Symbol.asyncIterator]() {
      for await (const rows of batches()) yield* rows;
    },
  };
}

const ROWS_PER_BATCH = 8192;

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

/** One row of an inclusions file, with the number of the kept record it belongs to. */
export interface GroupedInclusionRow {
  /** The row as written, without its newline. */
  line: string;
  /** `subject_key`, `item_id`, `role`, `input`, `line`. */
  fields: string[];
  /** 0-based: the n-th record of the dataset's data file (rows of one record are consecutive). */
  record: number;
  /** `input \t line`: the record's place in the inputs, as the decision log names it. */
  place: string;
}

/**
 * The rows of an inclusions file (header skipped), numbered by record, per 4 MiB read: what the
 * removals before sealing and the rebuilds after it use to find the n-th data line of a record.
 */
export async function* groupedInclusionRows(path: string): AsyncGenerator<GroupedInclusionRow[]> {
  let record = -1;
  let previous = '';
  let header = true;
  for await (const lines of textLines(path)) {
    const rows: GroupedInclusionRow[] = [];
    for (const line of lines) {
      if (header || line.length === 0) {
        header = false;
        continue;
      }
      const fields = line.split('\t');
      const place = `${fields[3]}\t${fields[4]}`;
      if (place !== previous) {
        record++;
        previous = place;
      }
      rows.push({ line, fields, record, place });
    }
    yield rows;
  }
}
