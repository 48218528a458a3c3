import { byteLines } from '../lib/byte-lines.ts';
import { type CsvCell, csvRecords } from '../lib/csv-records.ts';
import { invalidUtf8At } from '../lib/utf8.ts';

export type FileRow = { line: number; value: unknown } | { line: number; error: string };

/**
 * The longest row an import file may have. Far above a valid row (a reason of 5,000 characters
 * and 50 handles of 500), and low enough that a broken file cannot fill the memory.
 */
const MAX_ROW_BYTES = 1 << 20;

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function notUtf8(offset: number): string {
  return `not valid UTF-8 (byte ${offset} of the file); save the file as UTF-8`;
}

/**
 * Reads a JSONL file as rows with 1-based line numbers; blank lines are skipped. Bytes that are
 * not valid UTF-8 make their line an invalid row (with the byte's offset), never a silent U+FFFD.
 */
export async function* jsonlRows(file: string): AsyncIterable<FileRow> {
  for await (const { line, offset, bytes } of byteLines(file, MAX_ROW_BYTES)) {
    if (bytes === undefined) {
      yield { line, error: `longer than ${MAX_ROW_BYTES} bytes` };
      continue;
    }
    const bad = invalidUtf8At(bytes);
    if (bad >= 0) {
      yield { line, error: notUtf8(offset + bad) };
      continue;
    }
    const text = decoder.decode(bytes);
    if (!text.trim()) continue;
    try {
      yield { line, value: JSON.parse(text) };
    } catch (err) {
      yield { line, error: `not valid JSON: ${(err as Error).message}` };
    }
  }
}

/**
 * Reads a CSV file with a header row (csv-records.ts). Empty cells are absent fields. Each row is
 * judged on its own, and every row comes out, valid or with the reason it is not: a wrong number
 * of cells, a broken quote, bytes that are not valid UTF-8 (with the column and the offset).
 */
export async function* csvRows(file: string): AsyncIterable<FileRow> {
  let header: string[] | undefined;
  let headerProblem: string | undefined;
  for await (const rec of csvRecords(byteLines(file, MAX_ROW_BYTES), {
    maxRecordBytes: MAX_ROW_BYTES,
  })) {
    const { line } = rec;
    if (header === undefined && headerProblem === undefined) {
      if ('error' in rec) headerProblem = `header: ${rec.error}`;
      else {
        const names = readHeader(rec);
        if (typeof names === 'string') headerProblem = `header: ${names}`;
        else header = names;
      }
      if (headerProblem) yield { line, error: headerProblem };
      continue;
    }
    if (!header) {
      yield { line, error: 'not read: the header row is not valid' };
      continue;
    }
    if ('error' in rec) {
      yield { line, error: rec.error };
      continue;
    }
    if (rec.cells.length !== header.length) {
      yield {
        line,
        error: `${rec.cells.length} cells where the header has ${header.length} (wrong number of cells)`,
      };
      continue;
    }
    if (rec.invalidUtf8 !== undefined) {
      const at = rec.invalidUtf8;
      const column = rec.cells.findIndex((c) => c.start <= at && at < c.end);
      yield { line, error: `${header[column] ?? 'row'}: ${notUtf8(at)}` };
      continue;
    }
    const value: Record<string, string> = {};
    for (const [i, cell] of rec.cells.entries()) {
      const text = decoder.decode(cell.bytes);
      if (text !== '') value[header[i]!] = text;
    }
    yield { line, value };
  }
}

function readHeader(rec: { cells: CsvCell[]; invalidUtf8?: number }): string[] | string {
  if (rec.invalidUtf8 !== undefined) return notUtf8(rec.invalidUtf8);
  const names: string[] = [];
  for (const cell of rec.cells) {
    const name = decoder.decode(cell.bytes);
    if (name === '') return `column ${names.length + 1} has no name`;
    if (names.includes(name)) return `column "${name}" appears twice`;
    names.push(name);
  }
  return names;
}
