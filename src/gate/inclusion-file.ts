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

/** The rows of an inclusions file, streamed, for `GateRegistry.recordDataset`. */
export async function* readInclusionFile(
  path: string,
  datasetId: string,
): AsyncGenerator<InclusionRow> {
  let header = true;
  for await (const lines of textLines(path)) {
    for (const line of lines) {
      if (header) {
        header = false;
        continue;
      }
      if (line.length === 0) continue;
      const [subjectKey, itemId, role] = line.split('\t');
      yield {
        datasetId,
        subjectKey: subjectKey!,
        itemId: itemId!,
        role: role as InclusionRow['role'],
      };
    }
  }
}
