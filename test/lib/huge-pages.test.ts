import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const launcher = fileURLToPath(new URL('../../bin/huge-pages.js', import.meta.url));

/** GLIBC_TUNABLES as a command started through the launcher sees it. */
function tunablesSeen(env: Record<string, string | undefined>): string {
  const r = spawnSync(
    process.execPath,
    [launcher, process.execPath, '-e', 'process.stdout.write(process.env.GLIBC_TUNABLES ?? "")'],
    { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('huge pages launcher', () => {
  it('asks glibc for huge pages, keeping the tunables already set', () => {
    assert.equal(tunablesSeen({}), 'glibc.malloc.hugetlb=1');
    assert.equal(
      tunablesSeen({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }),
      'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1',
    );
  });

  it("leaves an operator's own hugetlb setting alone", () => {
    assert.equal(
      tunablesSeen({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }),
      'glibc.malloc.hugetlb=0',
    );
  });

  it('passes the exit status through and says when the command cannot start', () => {
    const fail = spawnSync(process.execPath, [launcher, process.execPath, '-e', 'process.exit(3)']);
    assert.equal(fail.status, 3);
    const missing = spawnSync(process.execPath, [launcher, 'no-such-command-veto'], {
      encoding: 'utf8',
    });
    assert.equal(missing.status, 127);
    assert.match(missing.stderr, /cannot run no-such-command-veto/);
  });
});
