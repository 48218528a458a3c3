import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { byteLines } from '../../src/lib/byte-lines.ts';
import { csvRecords } from '../../src/lib/csv-records.ts';
import { invalidUtf8At } from '../../src/lib/utf8.ts';
import { tempDir } from '../support/temp.ts';

const fatal = new TextDecoder('utf-8', { fatal: true });

function decodes(bytes: Uint8Array): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

test('invalidUtf8At agrees with a strict decoder, and what precedes the offset is valid', () => {
  const chunks = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 6 }).map((s) => [...Buffer.from(s)]),
    fc.array(fc.integer({ min: 0x80, max: 0xff }), { maxLength: 4 }),
    fc.constantFrom([0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]),
  );
  fc.assert(
    fc.property(fc.array(chunks, { maxLength: 8 }), (parts) => {
      const bytes = Uint8Array.from(parts.flat());
      const at = invalidUtf8At(bytes);
      assert.equal(at === -1, decodes(bytes));
      if (at >= 0) {
        assert.ok(decodes(bytes.subarray(0, at)), 'the prefix decodes');
        assert.ok(!decodes(bytes.subarray(at, at + 4)) || at + 4 > bytes.length);
      }
    }),
    { numRuns: 2000 },
  );
});

/** RFC 4180 text of one record. */
function csvLine(cells: string[]): string {
  return cells
    .map((c) => (/[",\r\n]|^[ \t]|[ \t]$/.test(c) ? `"${c.replace(/"/g, '""')}"` : c))
    .join(',');
}

test('csvRecords reads back any cells written as CSV, and a bad row never hides the rows after it', async (t) => {
  const dir = tempDir(t);
  let n = 0;
  const cell = fc.string({ unit: 'grapheme', maxLength: 8 });
  const bad = fc.constantFrom('x"y,1,2', 'a,b,"c" d', '"never closed at the end');
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(cell, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 6 }),
      fc.option(fc.tuple(bad, fc.nat())),
      async (rows, broken) => {
        // Rows that would read as blank lines are not rows.
        const kept = rows.filter((r) => !r.every((c) => c === ''));
        const lines = kept.map(csvLine);
        let badAt = -1;
        if (broken) {
          const [text, where] = broken;
          // An unclosed quote can only be told from a multi-line cell at the end of the file.
          badAt = text.startsWith('"never') ? lines.length : where % (lines.length + 1);
          lines.splice(badAt, 0, text);
        }
        const file = path.join(dir, `f${n++}.csv`);
        writeFileSync(file, lines.join('\r\n'));
        const got: { cells?: string[]; error?: string }[] = [];
        for await (const item of csvRecords(byteLines(file, 1 << 20), {
          maxRecordBytes: 1 << 20,
        })) {
          got.push(
            'error' in item
              ? { error: item.error }
              : { cells: item.cells.map((c) => c.bytes.toString('utf8')) },
          );
        }
        const expected: { cells?: string[]; error?: boolean }[] = kept.map((cells) => ({ cells }));
        if (badAt >= 0) expected.splice(badAt, 0, { error: true });
        assert.equal(got.length, expected.length, JSON.stringify({ lines, got }));
        for (const [i, e] of expected.entries()) {
          if (e.error) assert.ok(got[i]!.error, JSON.stringify(got[i]));
          else assert.deepEqual(got[i]!.cells, e.cells);
        }
      },
    ),
    { numRuns: 300 },
  );
});
