/** A clock returns the current time as an ISO string. Tests pass a fixed or stepping one. */
export type Clock = () => string;

/**
 * Wall-clock time that never goes backwards within the process (NTP can step the system clock
 * back), so an objection is never stamped before one recorded earlier and a snapshot taken at T
 * contains everything committed before it.
 */
export function monotonicClock(): Clock {
  let last = 0;
  return () => {
    const now = Date.now();
    last = Math.max(last, now);
    return new Date(last).toISOString();
  };
}
