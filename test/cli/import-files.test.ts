import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { csvRows, jsonlRows } from '../../src/cli/file-rows.ts';
import { AppError } from '../../src/domain/errors.ts';
import { importObjections } from '../../src/domain/objection-import.ts';
import type { Registry } from '../../src/domain/registry.ts';
import { filterHas, readFilterFile } from '../../src/registry-files/filter-file.ts';
import { tempDir } from '../support/temp.ts';
import { runVeto, sqliteEnv } from '../support/veto-cli.ts';

/**
 * `veto objections import` through the spawned command: each row judged on its own, every row
 * accounted for (imported, already recorded, or invalid with FILE:LINE and the reason), the
 * summary always printed; bytes that are not UTF-8 reported, never replaced; and what it
 * imports, `veto registry snapshot` and `veto registry filter` can always write.
 */

const veto = (dir: string, ...args: string[]) =>
  runVeto(sqliteEnv(dir, 'cli-test-secret-0123456789-0123456789'), ...args);

/** The `FILE:LINE: reason` lines of an import, by line number. */
function reported(err: string, file: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const l of err.split('\n')) {
    if (!l.startsWith(`${file}:`)) continue;
    const rest = l.slice(file.length + 1);
    const colon = rest.indexOf(': ');
    out.set(Number(rest.slice(0, colon)), rest.slice(colon + 2));
  }
  return out;
}

/** A file's bytes from text (UTF-8), raw bytes and buffers, in order. */
function bytes(...parts: (string | number[] | Buffer)[]): Buffer {
  return Buffer.concat(
    parts.map((p) =>
      typeof p === 'string' ? Buffer.from(p) : Buffer.isBuffer(p) ? p : Buffer.from(p),
    ),
  );
}

async function snapshotKeys(dir: string): Promise<string[]> {
  const out = path.join(dir, 'now.snap');
  const snap = veto(dir, 'registry', 'snapshot', '--out', out);
  assert.equal(snap.code, 0, snap.err);
  const filterPath = path.join(dir, 'now.vfilter');
  const filter = veto(dir, 'registry', 'filter', '--out', filterPath);
  assert.equal(filter.code, 0, filter.err);
  // Two snapshots of one set: the same count, and the filter knows every key the file lists.
  assert.equal(JSON.parse(filter.out).count, JSON.parse(snap.out).count);
  const keys = readFileSync(out, 'utf8').split('\n').slice(1, -1);
  const { filter: loaded } = await readFilterFile(filterPath);
  for (const key of keys) assert.ok(filterHas(loaded, key), `the filter holds ${key}`);
  return keys;
}

test('CSV import: each row judged on its own, every row accounted for, the summary printed', {
  timeout: 90_000,
}, async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'letters.csv');
  const rows = [
    'account_id,email,purpose,reason', // 1
    'u-1,,,', // 2
    'u-2,,,,one cell too many', // 3
    'u-3,,,', // 4: refused today ("wrong number of cells"), as every row after line 3
    '"u-4,,,', // 5: a quote never closed...
    'u-5,,,', // 6: ...whose lines are read again as rows of their own
    'u-6,,,"a letter', // 7: a quoted cell over two lines
    'in two lines"', // 8
    'u-\u0001,,,', // 9: the id that used to block every snapshot
    '" u-7",,,', // 10: quoted, so the spaces are part of the id
    'u-8,,,', // 11
    '', // 12
    'u-9,,,"never closed', // 13
    'u-10,,,', // 14
  ];
  writeFileSync(file, rows.join('\n'));
  const r = veto(dir, 'objections', 'import', file);
  assert.equal(r.code, 1, r.err);
  const lines = reported(r.err, file);
  assert.match(lines.get(3)!, /^5 cells where the header has 4/);
  assert.match(lines.get(5)!, /quoted cell opened on line 5/);
  assert.match(lines.get(9)!, /^account_id: U\+0001 at character 3 is a control character/);
  assert.match(lines.get(10)!, /^account_id: U\+0020 at character 1 is whitespace/);
  assert.match(lines.get(13)!, /quoted cell opened on line 13 is never closed/);
  assert.deepEqual([...lines.keys()], [3, 5, 9, 10, 13]);
  // 11 rows (7-8 are one, 12 is blank): 6 imported, 5 invalid, all of them accounted for.
  assert.match(r.out, /^imported 6, already recorded 0, invalid 5$/m);
  assert.deepEqual(await snapshotKeys(dir), [
    'acct:u-1',
    'acct:u-10',
    'acct:u-3',
    'acct:u-5',
    'acct:u-6',
    'acct:u-8',
  ]);
  // The two-line reason is one cell of one row.
  const again = veto(dir, 'objections', 'import', file);
  assert.match(again.out, /^imported 0, already recorded 6, invalid 5$/m);
});

test('import: bytes that are not UTF-8 are a reported row with its line and byte offset, never U+FFFD', {
  timeout: 90_000,
}, async (t) => {
  const dir = tempDir(t);
  const csv = path.join(dir, 'latin1.csv');
  // "zoé" saved as Latin-1: é is the single byte 0xE9.
  const head = Buffer.from('account_id,reason\nu-1,\n');
  writeFileSync(csv, bytes(head, 'zo', [0xe9], ',\nu-2,caf', [0xe9, 0x0a]));
  const c = veto(dir, 'objections', 'import', csv);
  assert.equal(c.code, 1);
  const csvLines = reported(c.err, csv);
  assert.equal(
    csvLines.get(3),
    `account_id: not valid UTF-8 (byte ${head.length + 2} of the file); save the file as UTF-8`,
  );
  assert.match(csvLines.get(4)!, /^reason: not valid UTF-8 \(byte \d+ of the file\)/);
  assert.match(c.out, /^imported 1, already recorded 0, invalid 2$/m);

  const jsonl = path.join(dir, 'latin1.jsonl');
  const first = Buffer.from('{"account_id":"a-1"}\r\n');
  writeFileSync(
    jsonl,
    bytes(
      first,
      '{"account_id":"zo',
      [0xe9],
      '"}\n{"account_id":"\\u007f"}\n{"account_id":"zo\u00e9"}\n',
    ),
  );
  const j = veto(dir, 'objections', 'import', jsonl);
  assert.equal(j.code, 1);
  const jsonlLines = reported(j.err, jsonl);
  assert.equal(
    jsonlLines.get(2),
    `not valid UTF-8 (byte ${first.length + 17} of the file); save the file as UTF-8`,
  );
  assert.match(jsonlLines.get(3)!, /^account_id: U\+007F at character 1 is a control character/);
  assert.match(j.out, /^imported 2, already recorded 0, invalid 2$/m);
  // Nobody was recorded as "zo\uFFFD": the only zoé is the one written in UTF-8.
  assert.deepEqual(await snapshotKeys(dir), ['acct:a-1', 'acct:u-1', 'acct:zoé']);
});

test('import readers: a broken header, a stray quote, blank and long lines', async (t) => {
  const dir = tempDir(t);
  const read = async (rows: AsyncIterable<unknown>) => {
    const out: unknown[] = [];
    for await (const r of rows) out.push(r);
    return out;
  };
  const dup = path.join(dir, 'dup.csv');
  writeFileSync(dup, 'account_id,account_id\nu-1,u-2\n');
  assert.deepEqual(await read(csvRows(dup)), [
    { line: 1, error: 'header: column "account_id" appears twice' },
    { line: 2, error: 'not read: the header row is not valid' },
  ]);
  const stray = path.join(dir, 'stray.csv');
  writeFileSync(
    stray,
    '\ufeffaccount_id , reason\r\nu-1 , he said "no"\r\n  u-2  ,  "quoted, with comma"  \r\n\r\n',
  );
  assert.deepEqual(await read(csvRows(stray)), [
    {
      line: 2,
      error:
        'a quote inside a cell that does not start with one (quote the whole cell and double the quote)',
    },
    { line: 3, value: { account_id: 'u-2', reason: 'quoted, with comma' } },
  ]);
  const long = path.join(dir, 'long.jsonl');
  writeFileSync(
    long,
    `{"account_id":"a"}\n\n   \n{"reason":"${'x'.repeat(1 << 20)}"}\n{"account_id":"b"}`,
  );
  assert.deepEqual(await read(jsonlRows(long)), [
    { line: 1, value: { account_id: 'a' } },
    { line: 4, error: 'longer than 1048576 bytes' },
    { line: 5, value: { account_id: 'b' } },
  ]);
});

test('import: when the registry fails, the rows in flight are accounted for and the summary says where it stopped', async () => {
  let calls = 0;
  const registry = {
    settings: { defaultLanguage: 'en' },
    async object() {
      calls++;
      if (calls === 3) throw new Error('database is unavailable');
      if (calls === 2)
        throw new AppError('validation', 'bad', {
          issues: [{ field: 'purpose', reason: 'unknown' }],
        });
      return { objection: { reference: `VT-${calls}` }, created: true, replayed: false };
    },
  } as unknown as Registry;
  async function* rows() {
    for (let line = 2; line < 2000; line++) yield { line, value: { account_id: `u-${line}` } };
  }
  const summary = await importObjections(registry, rows(), { concurrency: 4 });
  assert.equal(summary.imported + summary.already + summary.invalid + summary.failed, 4);
  assert.equal(summary.failed, 1);
  assert.deepEqual(summary.stopped, {
    afterLine: 4,
    reason: 'not recorded: database is unavailable',
  });
  assert.deepEqual(summary.errors, [
    { line: 3, reason: 'purpose: unknown' },
    { line: 4, reason: 'not recorded: database is unavailable' },
  ]);
});
