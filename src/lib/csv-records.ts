import type { ByteLine } from './byte-lines.ts';
import { invalidUtf8At } from './utf8.ts';

/** One cell: its bytes (quotes removed, `""` unescaped, undecoded) and where it is in the file. */
export interface CsvCell {
  bytes: Buffer;
  /** Byte offsets in the file of the cell's first byte and of the byte after it (raw text). */
  start: number;
  end: number;
}

/**
 * A record (from its first line), or why the record starting on that line cannot be read.
 * `invalidUtf8` is the file offset of the record's first byte that is not valid UTF-8, if any
 * (the cell whose span holds it is the one to name).
 */
export type CsvItem =
  | { line: number; cells: CsvCell[]; invalidUtf8?: number }
  | { line: number; error: string };

const QUOTE = 0x22;
const COMMA = 0x2c;
const SPACE = 0x20;
const TAB = 0x09;
const NEWLINE = Buffer.from('\n');

/**
 * Splits lines of bytes into CSV records (RFC 4180: `,` between cells, `"` around a cell that
 * holds commas, quotes (doubled) or line breaks; spaces around a cell are layout and trimmed;
 * blank lines skipped). Each record is judged on its own: a malformed record is reported by its
 * first line and reading goes on with the next one, so one bad row never hides the rows after it.
 *
 * Written here rather than taken from csv-parse, which this replaces: csv-parse counts a wrong
 * number of cells cumulatively (every row after one bad row looked bad), stops at a quote that
 * is never closed (the rows after it neither read nor reported), loses its place after a stray
 * quote, and decodes before a caller can see bytes that are not valid UTF-8.
 *
 * A quoted cell may hold line breaks, so a quote that opens by mistake swallows the lines after
 * it. When such a record breaks (text after its closing quote, the end of the file, more than
 * `maxRecordBytes`), it is reported by its first line and the lines after that one are read
 * again as rows of their own. Only a record that spans lines is read again, at most
 * `maxRecordBytes` of it.
 */
export async function* csvRecords(
  lines: AsyncIterable<ByteLine>,
  options: { maxRecordBytes: number },
): AsyncIterable<CsvItem> {
  const source = lines[Symbol.asyncIterator]();
  // Lines to read again after a record that never closed, in order.
  let again: ByteLine[] = [];
  let open: ByteLine[] = [];
  let scan = new RecordScan();
  for (;;) {
    const next = again.length > 0 ? again.shift() : (await source.next()).value;
    if (next === undefined) {
      if (open.length === 0) return;
      // The file ended inside a quoted cell.
      yield { line: open[0]!.line, error: neverClosed(open[0]!.line) };
      again = open.slice(1);
      open = [];
      scan = new RecordScan();
      continue;
    }
    if (next.bytes === undefined) {
      // A line too long to be a row (its bytes were not kept).
      const first = open[0] ?? next;
      yield { line: first.line, error: `line ${next.line} is longer than any valid row` };
      open = [];
      scan = new RecordScan();
      continue;
    }
    if (open.length === 0 && isBlank(next.bytes)) continue;
    open.push(next);
    const state = scan.line(next);
    if (state === 'open') {
      if (scan.bytes <= options.maxRecordBytes) continue;
      yield { line: open[0]!.line, error: neverClosed(open[0]!.line) };
      again = [...open.slice(1), ...again];
    } else if (typeof state === 'string') {
      if (open.length === 1) yield { line: next.line, error: state };
      else {
        // A quoted cell ran over line ends and then broke: most likely its quote was never
        // meant to open a multi-line cell. The lines after the first are read again as rows.
        const first = open[0]!.line;
        yield {
          line: first,
          error: `line ${next.line}: ${state}; the quoted cell opened on line ${first} ran to it (read again from line ${first + 1})`,
        };
        again = [...open.slice(1), ...again];
      }
    } else {
      const invalidUtf8 = firstInvalidUtf8(open);
      yield invalidUtf8 === undefined
        ? { line: open[0]!.line, cells: state.cells }
        : { line: open[0]!.line, cells: state.cells, invalidUtf8 };
    }
    open = [];
    scan = new RecordScan();
  }
}

function neverClosed(line: number): string {
  return `the quoted cell opened on line ${line} is never closed (read again from line ${line + 1})`;
}

function firstInvalidUtf8(lines: ByteLine[]): number | undefined {
  for (const l of lines) {
    const at = invalidUtf8At(l.bytes!);
    if (at >= 0) return l.offset + at;
  }
  return undefined;
}

function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== SPACE && b !== TAB) return false;
  return true;
}

/** The scan of one record, a physical line at a time. */
class RecordScan {
  readonly cells: CsvCell[] = [];
  /** Bytes of the record so far. */
  bytes = 0;
  #quoted: Buffer[] | undefined;
  #cellStart = 0;

  /** Takes the next line: the record, `'open'` inside a quoted cell, or why it is malformed. */
  line(l: ByteLine): { cells: CsvCell[] } | 'open' | string {
    const buf = l.bytes!;
    const n = buf.length;
    this.bytes += n + 1;
    let i = 0;
    if (this.#quoted) this.#quoted.push(NEWLINE);
    for (;;) {
      if (!this.#quoted) {
        while (i < n && (buf[i] === SPACE || buf[i] === TAB)) i++;
        if (i < n && buf[i] === QUOTE) {
          this.#quoted = [];
          this.#cellStart = l.offset + i;
          i++;
        } else {
          const start = i;
          while (i < n && buf[i] !== COMMA) {
            if (buf[i] === QUOTE) {
              return 'a quote inside a cell that does not start with one (quote the whole cell and double the quote)';
            }
            i++;
          }
          let end = i;
          while (end > start && (buf[end - 1] === SPACE || buf[end - 1] === TAB)) end--;
          this.cells.push({
            bytes: buf.subarray(start, end),
            start: l.offset + start,
            end: l.offset + end,
          });
          if (i === n) return { cells: this.cells };
          i++;
          continue;
        }
      }
      const parts = this.#quoted!;
      let from = i;
      let closed = false;
      while (i < n) {
        if (buf[i] !== QUOTE) {
          i++;
          continue;
        }
        if (buf[i + 1] === QUOTE) {
          parts.push(buf.subarray(from, i + 1));
          i += 2;
          from = i;
          continue;
        }
        parts.push(buf.subarray(from, i));
        i++;
        closed = true;
        break;
      }
      if (!closed) {
        parts.push(buf.subarray(from, n));
        return 'open';
      }
      this.#quoted = undefined;
      this.cells.push({
        bytes: Buffer.concat(parts),
        start: this.#cellStart,
        end: l.offset + i,
      });
      while (i < n && (buf[i] === SPACE || buf[i] === TAB)) i++;
      if (i === n) return { cells: this.cells };
      if (buf[i] !== COMMA)
        return 'text after the closing quote of a cell (double a quote inside a quoted cell)';
      i++;
    }
  }
}
