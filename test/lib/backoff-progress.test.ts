import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, nextAttemptAt } from '../../src/lib/backoff.ts';
import { fitToTerminal, progressBar } from '../../src/lib/progress-bar.ts';

test('one backoff schedule: doubling from the first delay, capped', () => {
  const s = { firstMs: 1_000, capMs: 3_600_000 };
  assert.deepEqual(
    [0, 1, 2, 3, 12, 40].map((a) => backoffDelay(a, s)),
    [1_000, 2_000, 4_000, 8_000, 3_600_000, 3_600_000],
  );
  assert.equal(
    nextAttemptAt('2026-12-05T00:00:00.000Z', 1, { firstMs: 5_000, capMs: 3_600_000 }),
    '2026-12-05T00:00:10.000Z',
  );
});

test('one progress bar: fixed width, clamped fraction, fitted to the terminal', () => {
  assert.equal(progressBar(0.5, 4), '[██░░]');
  assert.equal(progressBar(2, 4), '[████]');
  assert.equal(progressBar(Number.NaN, 4), '[░░░░]');
  assert.equal(fitToTerminal('abcdef', 5), 'abc…');
  assert.equal(fitToTerminal('abc', 5), 'abc');
});
