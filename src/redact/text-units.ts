/*
 * A text's UTF-16 units in a reused typed array, for the passes that read every unit (the scan
 * of `scan.ts`, the person tokeniser). Why: `charCodeAt` on a call site that sees one-byte and
 * two-byte strings checks the string's representation on every read; a typed array is one load.
 * The copy is kept for the last text, so the passes of one `redact` call share it.
 */

/** Zero units after the end: a read past the end sees a unit that is no letter, digit or separator. */
export const UNITS_PADDING = 8;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let units = new Uint16Array(4096);
let unitBytes = Buffer.from(units.buffer);
let lastText: string | undefined;
let lastUnits: Uint16Array = units;

/**
 * The units of `text`, followed by `UNITS_PADDING` zero units. Valid until the next call with
 * another text: read it, don't keep it.
 */
export function textUnits(text: string): Uint16Array {
  if (text === lastText) return lastUnits;
  const n = text.length;
  let u = units;
  let bytes = unitBytes;
  if (u.length < n + UNITS_PADDING) {
    u = new Uint16Array(2 * n + UNITS_PADDING);
    bytes = Buffer.from(u.buffer);
    // Kept for the next texts up to 1M units (2 MB); a longer one gets an array of its own.
    if (u.length <= 1 << 20) {
      units = u;
      unitBytes = bytes;
    }
  }
  if (LITTLE_ENDIAN) bytes.write(text, 0, 'utf16le');
  else for (let i = 0; i < n; i++) u[i] = text.charCodeAt(i);
  u.fill(0, n, n + UNITS_PADDING);
  lastText = text;
  lastUnits = u;
  return u;
}
