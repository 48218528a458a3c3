import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/temp.ts';

/* `veto redact` through the real command, as a platform runs it. */

const BIN = fileURLToPath(new URL('../../bin/veto.js', import.meta.url));

function veto(args: string[], input?: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, 'redact', ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('veto redact: JSONL in and out, spans in UTF-16 units of the original, errors by line', {
  timeout: 60_000,
}, (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'posts.jsonl');
  writeFileSync(
    file,
    [
      JSON.stringify({
        id: 1,
        body: '😀 Le juge Westerberg : 06 12 34 56 78, https://books.example.org/isbn/0612345678',
      }),
      '',
      '{"id": 2, "body": 5}',
      'not json',
      JSON.stringify({ id: 3, body: 'nothing here' }),
      '[1]',
    ].join('\n'),
  );
  const r = veto([file, '--field', 'body', '--lang', 'fr']);
  assert.equal(r.code, 1, r.err);
  const lines = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  const original =
    '😀 Le juge Westerberg : 06 12 34 56 78, https://books.example.org/isbn/0612345678';
  assert.equal(
    lines[0].body,
    '😀 Le juge <PERSON> : <PHONE>, https://books.example.org/isbn/0612345678',
  );
  assert.deepEqual(
    lines[0].spans.map((s: { category: string; start: number; end: number }) => [
      s.category,
      original.slice(s.start, s.end),
    ]),
    [
      ['PERSON', 'Westerberg'],
      ['PHONE', '06 12 34 56 78'],
    ],
  );
  assert.deepEqual(lines[1], { id: 3, body: 'nothing here', spans: [] });
  assert.match(r.err, /posts\.jsonl:3: body: expected a string, got number/);
  assert.match(r.err, /posts\.jsonl:4: not JSON/);
  assert.match(r.err, /posts\.jsonl:6: expected a JSON object/);
  assert.match(r.err, /2 records written, 3 left out/);
  // No progress line when standard error is not a terminal.
  assert.doesNotMatch(r.err, /lines\/s/);
});

test('veto redact: categories, pseudonyms, output file and bad options', {
  timeout: 60_000,
}, (t) => {
  const dir = tempDir(t);
  const input = `${JSON.stringify({ text: 'Mail jane@example.org, Dr Wells' })}\n`;
  const only = veto(['--categories', 'email'], input);
  assert.equal(only.code, 0, only.err);
  assert.equal(JSON.parse(only.out).text, 'Mail <EMAIL>, Dr Wells');

  const key = path.join(dir, 'key');
  writeFileSync(key, 'k'.repeat(40));
  const out = path.join(dir, 'out.jsonl');
  const p = veto(['-', '--mode', 'pseudonym', '--pseudonym-key-file', key, '--out', out], input);
  assert.equal(p.code, 0, p.err);
  const rec = JSON.parse(readFileSync(out, 'utf8'));
  assert.match(rec.text, /^Mail <EMAIL_[0-9a-f]+>, Dr <PERSON_[0-9a-f]+>$/);

  const bad = veto(['--categories', 'EMAIL,NAMES'], input);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--categories: unknown "NAMES"/);
  const noKey = veto(['--mode', 'pseudonym'], input, { VETO_PSEUDONYM_KEY: '' });
  assert.equal(noKey.code, 2);
  assert.match(noKey.err, /at least 32 characters/);
  const missing = veto([path.join(dir, 'nope.jsonl')]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /ENOENT/);
});
