import { rename } from 'node:fs/promises';
import { groupedInclusionRows, INCLUSIONS_HEADER } from './inclusion-file.ts';
import { forEachLine, HashedWriter, textLines } from './line-files.ts';
import type { Reason } from './reasons.ts';

/** The staged files of a run that a removal rewrites. */
export interface StagedFiles {
  data: string;
  inclusions: string;
  decisions: string;
}

export interface Removal {
  removed: number;
  byReason: Partial<Record<Reason, number>>;
  /** The rewritten data file's hash and size, when it was rewritten. */
  data?: { sha256: string; bytes: number };
}

/**
 * Removes, before sealing, every kept record that has one of `subjects` in the given roles: late
 * objectors found by the re-check, people not shown the notice long enough. Works from the
 * staged inclusion index (rows of one record are consecutive and in output order, so the n-th
 * group is the n-th data line), then rewrites the data, the index and the decision log. The data
 * is copied as bytes, so what stays is byte for byte what the judge wrote.
 */
export async function removeSubjects(
  files: StagedFiles,
  subjects: ReadonlySet<string>,
  reasonFor: (role: string) => Reason | undefined,
): Promise<Removal> {
  if (subjects.size === 0) return { removed: 0, byReason: {} };
  const marked = new Map<number, Reason>();
  const byRecord = new Map<string, Reason>();
  for await (const rows of groupedInclusionRows(files.inclusions)) {
    for (const { fields, record, place } of rows) {
      if (!subjects.has(fields[0]!)) continue;
      const reason = reasonFor(fields[2]!);
      if (!reason) continue;
      const already = marked.get(record);
      if (already === undefined || (already === 'objected-mention' && reason === 'objected')) {
        marked.set(record, reason);
        byRecord.set(place, reason);
      }
    }
  }
  if (marked.size === 0) return { removed: 0, byReason: {} };
  return rewriteStaged(files, marked, byRecord);
}

/**
 * Rewrites the staged files without the kept records `marked` (by output position, the n-th
 * inclusion group being the n-th data line), and gives the records `byPlace` names (`input\tline`,
 * kept or not) their new reason in the decision log.
 */
export async function rewriteStaged(
  files: StagedFiles,
  marked: ReadonlyMap<number, Reason>,
  byPlace: ReadonlyMap<string, Reason>,
): Promise<Removal> {
  const byRecord = byPlace;
  const byReason: Partial<Record<Reason, number>> = {};
  for (const reason of marked.values()) byReason[reason] = (byReason[reason] ?? 0) + 1;

  const dataOut = await HashedWriter.create(`${files.data}.rewrite`);
  let index = 0;
  await forEachLine(
    files.data,
    (buf, start, end) => {
      if (!marked.has(index++)) {
        dataOut.push(buf, start, end);
        dataOut.push(NEWLINE);
      }
    },
    () => dataOut.flushIfFull(),
  );
  const sha256 = await dataOut.close();
  await rename(`${files.data}.rewrite`, files.data);

  // Only the data's digest is returned (the manifest names no other).
  const inclusionsOut = await HashedWriter.create(`${files.inclusions}.rewrite`, { hash: false });
  inclusionsOut.pushString(INCLUSIONS_HEADER);
  for await (const rows of groupedInclusionRows(files.inclusions)) {
    let kept = '';
    for (const { line, record } of rows) if (!marked.has(record)) kept += `${line}\n`;
    inclusionsOut.pushString(kept);
    await inclusionsOut.flushIfFull();
  }
  await inclusionsOut.close();
  await rename(`${files.inclusions}.rewrite`, files.inclusions);

  const decisionsOut = await HashedWriter.create(`${files.decisions}.rewrite`, { hash: false });
  let header = true;
  for await (const lines of textLines(files.decisions)) {
    let out = '';
    for (const line of lines) {
      if (header || line.length === 0) {
        if (header) out += `${line}\n`;
        header = false;
        continue;
      }
      const tab1 = line.indexOf('\t');
      const tab2 = line.indexOf('\t', tab1 + 1);
      const tab3 = line.indexOf('\t', tab2 + 1);
      const reason = byRecord.get(line.slice(0, tab2));
      out += reason ? `${line.slice(0, tab2 + 1)}${reason}${line.slice(tab3)}\n` : `${line}\n`;
    }
    decisionsOut.pushString(out);
    await decisionsOut.flushIfFull();
  }
  await decisionsOut.close();
  await rename(`${files.decisions}.rewrite`, files.decisions);

  return { removed: marked.size, byReason, data: { sha256, bytes: dataOut.bytes } };
}

const NEWLINE = Buffer.from('\n');
