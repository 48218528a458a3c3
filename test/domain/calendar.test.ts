import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addCalendarMonths } from '../../src/lib/calendar.ts';

test('one calendar month keeps the day of month and the time', () => {
  assert.equal(addCalendarMonths('2026-03-15T10:20:30.000Z', 1), '2026-04-15T10:20:30.000Z');
});

test('a shorter month clamps to its last day (GDPR Art. 12(3) counting)', () => {
  assert.equal(addCalendarMonths('2026-01-31T00:00:00.000Z', 1), '2026-02-28T00:00:00.000Z');
  assert.equal(addCalendarMonths('2028-01-31T00:00:00.000Z', 1), '2028-02-29T00:00:00.000Z');
  assert.equal(addCalendarMonths('2026-03-31T12:00:00.000Z', 3), '2026-06-30T12:00:00.000Z');
});

test('months roll over the year', () => {
  assert.equal(addCalendarMonths('2026-11-30T00:00:00.000Z', 3), '2027-02-28T00:00:00.000Z');
  assert.equal(addCalendarMonths('2026-12-15T00:00:00.000Z', 1), '2027-01-15T00:00:00.000Z');
});

test('rejects what is not a date', () => {
  assert.throws(() => addCalendarMonths('yesterday', 1), RangeError);
});
