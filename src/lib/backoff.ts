/**
 * The one retry schedule of the background deliveries (emails, removal messages to
 * recipients): exponential backoff, `firstMs` after the first failure, doubling, capped at
 * `capMs`, retried forever (the work is durable in the database, so nothing is ever dropped).
 */
export function backoffDelay(
  attempts: number,
  schedule: { firstMs: number; capMs: number },
): number {
  return Math.min(schedule.firstMs * 2 ** Math.max(0, attempts), schedule.capMs);
}

/** When the next attempt is due, as an ISO time, from `now` (ISO) and the attempts so far. */
export function nextAttemptAt(
  now: string,
  attempts: number,
  schedule: { firstMs: number; capMs: number },
): string {
  return new Date(Date.parse(now) + backoffDelay(attempts, schedule)).toISOString();
}
