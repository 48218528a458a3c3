import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';

export type FileRow = { line: number; value: unknown } | { line: number; error: string };

/** Reads a JSONL file as rows with 1-based line numbers; blank lines are skipped. */
export async function* jsonlRows(file: string): AsyncIterable<FileRow> {
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (!text.trim()) continue;
    try {
      yield { line, value: JSON.parse(text) };
    } catch (err) {
      yield { line, error: `not valid JSON: ${(err as Error).message}` };
    }
  }
}

/**
 * Reads a CSV file with a header row (csv-parse). Empty cells are absent fields. A row with the
 * wrong number of cells is reported, not dropped.
 */
export async function* csvRows(file: string): AsyncIterable<FileRow> {
  const parser = createReadStream(file).pipe(
    parse({
      columns: true,
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }),
  );
  for await (const rec of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number; invalid_field_length: number };
  }>) {
    const line = rec.info.lines;
    const value = Object.fromEntries(
      Object.entries(rec.record).filter(([, v]) => v !== '' && v !== undefined),
    );
    if (rec.info.invalid_field_length > 0) {
      yield { line, error: 'wrong number of cells for the header' };
      continue;
    }
    yield { line, value };
  }
}
