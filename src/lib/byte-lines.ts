import { createReadStream } from 'node:fs';

/** One physical line of a file: its bytes (without `\n` and a `\r` before it), number and offset. */
export interface ByteLine {
  /** 1-based line number. */
  line: number;
  /** Byte offset of the line's first byte in the file. */
  offset: number;
  /** The line's bytes; undefined when the line is longer than the reader's limit. */
  bytes: Buffer | undefined;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * Reads a file as lines of bytes, undecoded, so that a reader can report bytes that are not
 * valid UTF-8 by line and offset instead of letting a decoder replace them. A UTF-8 byte order
 * mark at the start is skipped. A line longer than `maxLineBytes` comes without its bytes (they
 * are skipped, not kept in memory), so that the caller reports it and goes on with the next.
 */
export async function* byteLines(file: string, maxLineBytes: number): AsyncIterable<ByteLine> {
  let line = 0;
  let offset = 0;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let tooLong = false;
  let first = true;
  const emit = (tail: Buffer): ByteLine => {
    let bytes: Buffer | undefined;
    if (!tooLong) {
      bytes = parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
      if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    }
    const out = { line: ++line, offset, bytes };
    offset += partBytes + tail.length + 1;
    parts = [];
    partBytes = 0;
    tooLong = false;
    return out;
  };
  for await (const chunk of createReadStream(file, {
    highWaterMark: 1 << 20,
  }) as AsyncIterable<Buffer>) {
    let data = chunk;
    if (first) {
      first = false;
      if (UTF8_BOM.every((b, i) => data[i] === b)) {
        data = data.subarray(3);
        offset = 3;
      }
    }
    let from = 0;
    for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, from)) {
      const tail = data.subarray(from, nl);
      if (partBytes + tail.length > maxLineBytes) tooLong = true;
      yield emit(tail);
      from = nl + 1;
    }
    const rest = data.subarray(from);
    if (rest.length > 0) {
      partBytes += rest.length;
      if (partBytes > maxLineBytes) {
        tooLong = true;
        parts = [];
      } else if (!tooLong) parts.push(Buffer.from(rest));
    }
  }
  if (partBytes > 0 || tooLong) yield emit(Buffer.alloc(0));
}
