import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HI, hashKey64, hashPrintableKeyBytes64, keyHash, LO } from '../registry-files/key-hash.ts';
import { IdHashes } from './id-hashes.ts';
import { groupedInclusionRows } from './inclusion-file.ts';
import { forEachLine } from './line-files.ts';
import type { Reason } from './reasons.ts';
import { type FieldMapping, getterFor } from './record-fields.ts';
import { type Removal, rewriteStaged, type StagedFiles } from './removal.ts';

export interface DuplicateIdsOutcome {
  removal: Removal;
  /** Ids that more than one judged record carries. */
  ids: number;
  /** Of them, ids whose copies name different authors (or an author that cannot be read). */
  authorsDiffer: number;
  /** `rejects.jsonl` rows for the copies excluded, one per copy. */
  rejects: string;
}

interface Copy {
  input: number;
  line: number;
  reason: string;
  author?: string;
}

/**
 * Repeated record ids, after judging and before any other removal: a later copy of an id is
 * excluded (`duplicate-id`) and the first kept; when the copies name different authors, no copy
 * is kept (which one is real cannot be told, and keeping one could keep an objector's record
 * under another's name). Copies already excluded for another reason keep that reason.
 *
 * Works from the staged decision log, which names every judged record's id: their 64-bit hashes
 * are sorted once to find repeats (nothing more when there are none, the usual case); only then
 * are the repeated ids confirmed by their text and their copies' authors read back from the
 * inputs.
 */
export async function excludeDuplicateIds(
  staged: StagedFiles,
  inputs: readonly { path: string; format: 'jsonl' | 'parquet' }[],
  mapping: FieldMapping,
  scratchDir: string,
  /** The ids' hashes taken while the decision log was written; else the log is read for them. */
  seen?: DecisionIds,
): Promise<DuplicateIdsOutcome> {
  const none: DuplicateIdsOutcome = {
    removal: { removed: 0, byReason: {} },
    ids: 0,
    authorsDiffer: 0,
    rejects: '',
  };
  let hashes = seen;
  if (!hashes) {
    const ids = new DecisionIds();
    let header = true;
    await forEachChunkOfLines(staged.decisions, (buf, start, end) => {
      if (header) {
        header = false;
        start = buf.indexOf(10, start) + 1;
      }
      ids.scan(buf, start, end);
    });
    hashes = ids;
  }
  const repeated = hashes.hashes.repeated();
  if (repeated.size === 0) return none;

  const copiesOf = new Map<string, Copy[]>();
  await forEachDecision(staged.decisions, (buf, idStart, idEnd, input, line, reason) => {
    hashId(buf, idStart, idEnd);
    if (!repeated.has(keyHash[HI]!, keyHash[LO]!)) return;
    const id = buf.toString('utf8', idStart, idEnd);
    const copies = copiesOf.get(id);
    const copy = { input, line, reason };
    if (copies) copies.push(copy);
    else copiesOf.set(id, [copy]);
  });
  for (const [id, copies] of copiesOf) if (copies.length < 2) copiesOf.delete(id);
  if (copiesOf.size === 0) return none;

  // The copies' authors, read back from the inputs (only the lines that hold a repeated id).
  const wanted = new Map<number, Map<number, Copy>>();
  for (const copies of copiesOf.values()) {
    for (const c of copies) {
      let lines = wanted.get(c.input);
      if (!lines) {
        lines = new Map();
        wanted.set(c.input, lines);
      }
      lines.set(c.line, c);
    }
  }
  const authorOf = getterFor(mapping, 'author_id');
  for (const [input, lines] of wanted) {
    const source = inputs[input];
    if (!source)
      throw new Error(`decision log names input ${input}, which the build does not have`);
    let path = source.path;
    if (source.format === 'parquet') {
      path = join(scratchDir, `duplicates-${input}.jsonl`);
      await (await import('./parquet.ts')).parquetToJsonl(source.path, path);
    }
    try {
      let line = 0;
      await forEachLine(path, (buf, start, end) => {
        const copy = lines.get(++line);
        if (!copy) return;
        try {
          const author = authorOf(JSON.parse(buf.toString('utf8', start, end)));
          if (
            typeof author === 'string' ||
            (typeof author === 'number' && Number.isSafeInteger(author))
          )
            copy.author = String(author);
        } catch {
          // Left without an author: counted as differing, so no copy is kept.
        }
      });
    } finally {
      if (path !== source.path) await rm(path, { force: true });
    }
  }

  const excluded = new Map<string, Reason>();
  let rejects = '';
  let authorsDiffer = 0;
  for (const [id, copies] of copiesOf) {
    copies.sort((a, b) => a.input - b.input || a.line - b.line);
    const first = copies[0]!;
    const differ = copies.some((c) => c.author === undefined || c.author !== first.author);
    if (differ) authorsDiffer++;
    copies.forEach((c, i) => {
      if (c.reason !== 'kept' || (i === 0 && !differ)) return;
      excluded.set(`${c.input}\t${c.line}`, 'duplicate-id');
      const why = differ
        ? `id ${JSON.stringify(id)} is carried by ${copies.length} records naming different authors: none is kept`
        : `id ${JSON.stringify(id)} repeated (first on ${inputs[first.input]!.path} line ${first.line})`;
      rejects += `${JSON.stringify({ input: inputs[c.input]!.path, line: c.line, reason: 'duplicate-id', error: why })}\n`;
    });
  }
  // Kept copies to take out of the data, by their position in it.
  const marked = new Map<number, Reason>();
  if (excluded.size > 0) {
    for await (const rows of groupedInclusionRows(staged.inclusions)) {
      for (const { record, place } of rows)
        if (excluded.has(place)) marked.set(record, 'duplicate-id');
    }
  }
  if (marked.size !== excluded.size) {
    throw new Error(
      `duplicate ids: ${excluded.size} kept copies to exclude, ${marked.size} found in the inclusion index`,
    );
  }
  const removal = marked.size > 0 ? await rewriteStaged(staged, marked, excluded) : none.removal;
  return { removal, ids: copiesOf.size, authorsDiffer, rejects };
}

/** Hashes an id's bytes into `keyHash` (the string's hash when it is not printable ASCII). */
function hashId(buf: Buffer, start: number, end: number): void {
  if (!hashPrintableKeyBytes64(buf, start, end)) hashKey64(buf.toString('utf8', start, end));
}

/**
 * Each decision row `input \t line \t reason \t item_id` of a judged record that has an id
 * (malformed records are left out: their id, if any, was not judged).
 */
async function forEachDecision(
  path: string,
  onRow: (
    buf: Buffer,
    idStart: number,
    idEnd: number,
    input: number,
    line: number,
    reason: string,
  ) => void,
): Promise<void> {
  let header = true;
  await forEachLine(path, (buf, start, end) => {
    if (header) {
      header = false;
      return;
    }
    const t1 = buf.indexOf(9, start);
    const t2 = t1 < 0 ? -1 : buf.indexOf(9, t1 + 1);
    const t3 = t2 < 0 ? -1 : buf.indexOf(9, t2 + 1);
    if (t3 < 0 || t3 >= end || t3 + 1 === end) return;
    const reason = buf.toString('latin1', t2 + 1, t3);
    if (reason === 'malformed') return;
    onRow(
      buf,
      t3 + 1,
      end,
      Number(buf.toString('latin1', start, t1)),
      Number(buf.toString('latin1', t1 + 1, t2)),
      reason,
    );
  });
}

const MALFORMED = Buffer.from('malformed', 'latin1');

/** Whether `buf[start, end)` is the reason `malformed`. */
function isMalformed(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start !== MALFORMED.length) return false;
  for (let k = 0; k < MALFORMED.length; k++) if (buf[start + k] !== MALFORMED[k]) return false;
  return true;
}

/**
 * The 64-bit hashes of the ids in decision rows (`input \t line \t reason \t item_id \n`), malformed
 * records left out. The thread that judged a batch hashes its rows (batch-summary.ts; a runner's
 * worker, for its shard), and the build gathers the hashes as results are written, so finding
 * repeats costs one sort at the end.
 */
export class DecisionIds {
  readonly hashes: IdHashes;

  /** `expected`: how many ids to size for (it grows past that). */
  constructor(expected = 1 << 16) {
    this.hashes = new IdHashes(expected);
  }

  /** Whole rows in `buf[start, end)`. Walks the bytes once, allocating nothing. */
  scan(buf: Uint8Array, start: number, end: number): void {
    let i = start;
    while (i < end) {
      // Skip input and line, then the reason, the whole word compared: `minor` and `media-flag`
      // start as `malformed` does, and their records' ids count.
      let tabs = 0;
      while (i < end && tabs < 2) if (buf[i++] === 9) tabs++;
      const reasonStart = i;
      while (i < end && buf[i] !== 9) i++;
      const malformed = isMalformed(buf, reasonStart, i);
      const idStart = ++i;
      while (i < end && buf[i] !== 10) i++;
      if (!malformed && i > idStart) {
        if (!hashPrintableKeyBytes64(buf, idStart, i))
          hashKey64(
            Buffer.from(buf.buffer, buf.byteOffset + idStart, i - idStart).toString('utf8'),
          );
        this.hashes.push(keyHash[HI]!, keyHash[LO]!);
      }
      i++;
    }
  }
}

/** Calls `onChunk` with runs of whole lines of a file, 4 MiB at a time. */
async function forEachChunkOfLines(
  path: string,
  onChunk: (buf: Buffer, start: number, end: number) => void,
): Promise<void> {
  const { open } = await import('node:fs/promises');
  const file = await open(path, 'r');
  try {
    let carry = Buffer.alloc(0);
    for (;;) {
      const chunk = Buffer.allocUnsafe(4 << 20);
      const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
      const data =
        carry.length > 0
          ? Buffer.concat([carry, chunk.subarray(0, bytesRead)])
          : chunk.subarray(0, bytesRead);
      if (bytesRead === 0) {
        if (data.length > 0) onChunk(data, 0, data.length);
        return;
      }
      const last = data.lastIndexOf(10);
      if (last < 0) {
        carry = Buffer.from(data);
        continue;
      }
      onChunk(data, 0, last + 1);
      carry = Buffer.from(data.subarray(last + 1));
    }
  } finally {
    await file.close();
  }
}
