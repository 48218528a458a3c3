/**
 * Adds calendar months the way GDPR Art. 12(3) counts them: the same day-of-month N months
 * later, clamped to the last day of a shorter month (31 Jan + 1 month = 28/29 Feb), keeping the
 * time of day. Computed in UTC so the result does not depend on the server's time zone.
 */
export function addCalendarMonths(iso: string, months: number): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a date: ${iso}`);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + months;
  const day = d.getUTCDate();
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const out = new Date(
    Date.UTC(
      year,
      month,
      Math.min(day, lastDay),
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
      d.getUTCMilliseconds(),
    ),
  );
  return out.toISOString();
}
