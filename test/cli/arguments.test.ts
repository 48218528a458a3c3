import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMMANDS, runCli } from '../../src/cli/run-cli.ts';
import { tempDir } from '../support/temp.ts';

const BIN = fileURLToPath(new URL('../../bin/veto.js', import.meta.url));

/** Runs `veto` in this process with console output captured (no command here opens a store). */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await runCli(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('--help works on every command and names its options', async () => {
  for (const c of COMMANDS) {
    const r = await cli(...c.name.split(' '), '--help');
    assert.equal(r.code, 0, `${c.name} --help: ${r.err}`);
    assert.match(r.out, new RegExp(`^usage: veto ${c.name}`), c.name);
    for (const option of Object.keys(c.options)) {
      assert.ok(r.out.includes(`--${option}`), `${c.name} --help does not mention --${option}`);
    }
    assert.equal((await cli(...c.name.split(' '), '-h')).code, 0, `${c.name} -h`);
  }
});

test('every command refuses an unknown option with exit code 2, before doing anything', async () => {
  for (const c of COMMANDS) {
    const r = await cli(...c.name.split(' '), '--no-such-option', 'x');
    assert.equal(r.code, 2, `${c.name} accepted --no-such-option`);
    assert.match(r.err, /Unknown option '--no-such-option'/, c.name);
    assert.match(r.err, new RegExp(`usage: veto ${c.name}`), c.name);
  }
});

test('groups list their commands; unknown commands and stray arguments are usage errors', async () => {
  const group = await cli('dataset', '--help');
  assert.equal(group.code, 0);
  assert.match(group.out, /veto dataset removals/);
  assert.match(group.out, /veto dataset rebuild/);
  assert.equal((await cli('nonsense')).code, 2);
  const extra = await cli('models', 'list', 'a', 'b');
  assert.equal(extra.code, 2);
  assert.match(extra.err, /unexpected argument: b/);
  const missing = await cli('dataset', 'removals');
  assert.equal(missing.code, 2);
  assert.match(missing.err, /missing argument/);
  const overview = await cli('--help');
  assert.equal(overview.code, 0);
  for (const c of COMMANDS) assert.ok(overview.out.includes(c.name), `overview lacks ${c.name}`);
});

test('through bin/veto.js: an option that does not exist fails, it never reports success', (t) => {
  const dir = tempDir(t);
  const r = spawnSync(process.execPath, [BIN, 'audit', 'verify', '--checkpoints', 'cp.txt'], {
    env: { ...process.env, VETO_DATA_DIR: dir, VETO_LOG_LEVEL: 'silent' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /OK/);
  assert.match(r.stderr, /Unknown option '--checkpoints'/);
});
