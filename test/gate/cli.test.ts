import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runGateBuildCommand } from '../../src/gate/cli-gate-build.ts';
import { progressLine } from '../../src/gate/progress-view.ts';
import { emptyCounts } from '../../src/gate/reasons.ts';
import { VETO_BIN } from '../support/veto-command.ts';
import {
  jsonl,
  record,
  TEST_POLICY,
  tempDir,
  writePolicy,
  writeSnapshot,
} from './support/fixtures.ts';
import { MemoryRegistry, NoticeRegistry } from './support/memory-registry.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `veto gate build` of the fixture, offline, with 2 workers: node's arguments. */
function offlineBuild(f: { policy: string; input: string; snapshot: string }, out: string) {
  return [
    ...[VETO_BIN, 'gate', 'build', '--policy', f.policy, '--input', f.input, '--out', out],
    ...['--snapshot', f.snapshot, '--offline', '--workers', '2'],
  ];
}

/** The pids whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The field after the parenthesised command name: state, then the parent's pid.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(name));
    } catch {
      // Gone while we looked.
    }
  }
  return found;
}

/** True while `pid` is a live process (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function capture(isTTY = false) {
  let text = '';
  return {
    write: (s: string) => (text += s),
    isTTY,
    columns: 120,
    get text() {
      return text;
    },
  };
}

async function fixture() {
  const dir = await tempDir();
  const input = join(dir, 'in.jsonl');
  await writeFile(
    input,
    jsonl([record({ id: 'a' }), record({ id: 'b', author_id: 'obj' }), 'garbage']),
  );
  return {
    dir,
    input,
    policy: await writePolicy(dir),
    snapshot: await writeSnapshot(dir, ['acct:obj']),
  };
}

describe('veto gate build (CLI)', () => {
  it('takes the pseudonym key from a file or the environment, never from the policy', async () => {
    const f = await fixture();
    await writeFile(f.input, jsonl([record({ id: 'a', text: 'mail jean@example.fr' })]));
    const policy = await writePolicy(
      f.dir,
      TEST_POLICY.replace('  enabled: true\n', '  enabled: true\n  mode: pseudonym\n'),
      'pseudonym.yaml',
    );
    const args = (out: string, ...more: string[]) => [
      '--policy',
      policy,
      '--input',
      f.input,
      '--out',
      join(f.dir, out),
      '--snapshot',
      f.snapshot,
      '--offline',
      '--workers',
      '0',
      ...more,
    ];
    const stderr = capture();
    assert.equal(await runGateBuildCommand(args('o1'), { stdout: capture(), stderr, env: {} }), 2);
    assert.match(stderr.text, /VETO_PSEUDONYM_KEY or --pseudonym-key-file/);

    const keyFile = join(f.dir, 'pseudonym.key');
    await writeFile(keyFile, `${'s'.repeat(40)}\n`);
    for (const [out, extra, env] of [
      ['o2', ['--pseudonym-key-file', keyFile], {}],
      ['o3', [], { VETO_PSEUDONYM_KEY: 's'.repeat(40) }],
    ] as const) {
      const e = capture();
      const code = await runGateBuildCommand(args(out, ...extra), {
        stdout: capture(),
        stderr: e,
        env,
      });
      assert.equal(code, 0, e.text);
      const [dataset] = await readdir(join(f.dir, out));
      const data = await readFile(join(f.dir, out, dataset!, 'data.jsonl'), 'utf8');
      assert.match(data, /mail <EMAIL_[0-9a-f]{10}>/);
    }
  });

  it('builds offline and prints plain progress lines and a summary table', async () => {
    const f = await fixture();
    const stdout = capture();
    const stderr = capture();
    const code = await runGateBuildCommand(
      [
        '--policy',
        f.policy,
        '--input',
        f.input,
        '--out',
        join(f.dir, 'out'),
        '--snapshot',
        f.snapshot,
        '--offline',
        '--workers',
        '0',
      ],
      { stdout, stderr },
    );
    assert.equal(code, 0, stderr.text);
    assert.match(stdout.text, /^gate: /m);
    assert.match(stdout.text, /dataset ds_\S+ sealed in /);
    assert.match(stdout.text, /late-objections\s+NOT performed \(offline build/);
    assert.match(stdout.text, /decision\s+records\s+share/);
    assert.match(stdout.text, /kept\s+1\s+33\.33 %/);
    assert.match(stdout.text, /objected\s+1\s+33\.33 %/);
    assert.match(stdout.text, /malformed\s+1/);
    assert.match(stdout.text, /total\s+3\s+100\.00 %/);
  });

  it('uses the wired registry for the re-check and the inclusion index', async () => {
    const f = await fixture();
    const registry = new MemoryRegistry();
    let closed = false;
    const code = await runGateBuildCommand(
      [
        '--policy',
        f.policy,
        '--input',
        f.input,
        '--out',
        join(f.dir, 'out'),
        '--snapshot',
        f.snapshot,
        '--workers',
        '0',
      ],
      {
        stdout: capture(),
        stderr: capture(),
        loadConfig: () => ({}),
        wireVeto: async () => ({
          gate: registry,
          close: async () => {
            closed = true;
          },
        }),
      },
    );
    assert.equal(code, 0);
    assert.equal(registry.datasets.length, 1);
    assert.equal(closed, true);
  });

  it('checks the notice period with the wired registry port', async () => {
    const f = await fixture();
    const registry = new NoticeRegistry();
    const stdout = capture();
    const code = await runGateBuildCommand(
      [
        '--policy',
        f.policy,
        '--input',
        f.input,
        '--out',
        join(f.dir, 'out'),
        '--snapshot',
        f.snapshot,
        '--workers',
        '0',
      ],
      {
        stdout,
        stderr: capture(),
        loadConfig: () => ({}),
        wireVeto: async () => ({ gate: registry, close: async () => {} }),
      },
    );
    assert.equal(code, 0);
    assert.deepEqual(
      registry.queries.map((q) => [q.noticeVersion, q.shownBy, ...q.subjectKeys]),
      [['2025-04', '2025-04-15T00:00:00.000Z', 'acct:u1']],
    );
    assert.match(stdout.text, /notice-period\s+1/);
    assert.equal(registry.datasets[0]!.manifest.counts.kept, 0);
  });

  it('exits 2 with the reason for usage and setup errors', async () => {
    const f = await fixture();
    const cases: [string[], RegExp][] = [
      [['--input', f.input, '--out', f.dir], /--policy is required/],
      [['--policy', f.policy, '--out', f.dir], /at least one --input/],
      [
        ['--policy', f.policy, '--input', f.input, '--out', f.dir, '--offline'],
        /--offline needs --snapshot or --filter/,
      ],
      [
        [
          '--policy',
          f.policy,
          '--input',
          f.input,
          '--out',
          f.dir,
          '--snapshot',
          'x',
          '--filter',
          'y',
        ],
        /not both/,
      ],
      [
        [
          '--policy',
          f.input,
          '--input',
          f.input,
          '--out',
          f.dir,
          '--snapshot',
          f.snapshot,
          '--offline',
        ],
        /in\.jsonl/,
      ],
      [
        [
          '--policy',
          f.policy,
          '--input',
          join(f.dir, 'missing.jsonl'),
          '--out',
          f.dir,
          '--snapshot',
          f.snapshot,
          '--offline',
        ],
        /cannot read/,
      ],
      [
        [
          '--policy',
          f.policy,
          '--input',
          f.input,
          '--out',
          f.dir,
          '--snapshot',
          f.input,
          '--offline',
        ],
        /not a Veto snapshot/,
      ],
    ];
    for (const [args, message] of cases) {
      const stderr = capture();
      const code = await runGateBuildCommand(args, { stdout: capture(), stderr });
      assert.equal(code, 2, args.join(' '));
      assert.match(stderr.text, message);
    }
  });

  it('draws a live bar on a terminal', () => {
    const counts = { ...emptyCounts(), kept: 1200, objected: 300, 'private-message': 100 };
    const line = progressLine(
      {
        phase: 'judging',
        bytesDone: 50e6,
        bytesTotal: 100e6,
        records: 1600,
        counts,
        elapsedMs: 2000,
      },
      200,
    );
    assert.match(
      line,
      /^\[█{10}░{10}\] {2}50% 800 rec\/s 25 MB\/s ETA 2s \| kept 1200, dropped: objected 300, private-message 100/,
    );
    const narrow = progressLine(
      { phase: 'judging', bytesDone: 1, bytesTotal: 2, records: 1, counts, elapsedMs: 1 },
      40,
    );
    assert.ok(narrow.length <= 39 && narrow.endsWith('…'));
  });

  it('SIGKILL to the launcher in the middle of a build: the building process goes too, nothing is sealed', {
    timeout: 120_000,
  }, async () => {
    const f = await fixture();
    // Enough records that the build is still running when the staging folder appears.
    const one = `${JSON.stringify(record({ text: 'a public post about the weather, nothing more' }))}\n`;
    const many: string[] = [];
    for (let i = 0; i < 300_000; i++) many.push(one.replace('"id":"', `"id":"r${i}-`));
    await writeFile(f.input, many.join(''));
    const out = join(f.dir, 'out');
    const launcher = spawn(process.execPath, offlineBuild(f, out), {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    launcher.stdout.on('data', (d) => (output += d));
    launcher.stderr.on('data', (d) => (output += d));
    const exited = once(launcher, 'exit');
    const deadline = Date.now() + 60_000;
    const staging = () =>
      readdir(out).then(
        (names) => names.some((n) => n.endsWith('.partial')),
        () => false,
      );
    while (!(await staging())) {
      assert.equal(launcher.exitCode, null, `the build ended before it could be killed: ${output}`);
      assert.ok(Date.now() < deadline, `no staging folder within 60 s: ${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // The launcher's child that runs the build (it may also have esbuild's, when it had to
    // bundle the sources first).
    const builders = childrenOf(launcher.pid!).filter((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('gate\0build'),
    );
    assert.equal(builders.length, 1, 'the launcher runs the build in one child process');
    launcher.kill('SIGKILL');
    await exited;
    const gone = Date.now() + 10_000;
    while (builders.some(alive) && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(builders.filter(alive), [], 'no build process outlives the launcher');
    const names = await readdir(out);
    assert.deepEqual(
      names.filter((n) => !n.startsWith('.')),
      [],
      `nothing sealed by a killed build: ${names.join(', ')}`,
    );
  });

  for (const bundle of ['1', '0']) {
    it(`runs from the real CLI with worker threads (VETO_BUNDLE=${bundle}: ${bundle === '0' ? 'through tsx' : 'bundled'})`, async () => {
      const f = await fixture();
      const out = join(f.dir, 'out');
      const { stdout } = await promisify(execFile)(process.execPath, offlineBuild(f, out), {
        cwd: ROOT,
        env: { ...process.env, VETO_BUNDLE: bundle },
      });
      assert.match(stdout, /sealed/);
      assert.equal((await readdir(out)).length, 1);
    });
  }
});
