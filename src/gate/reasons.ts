/**
 * Every record of a gate run gets exactly one of these decisions. The order is the order the
 * rules are checked in (first match wins), so a record that is both private and a minor's is
 * counted once, as `objected` if its author objected. See docs/gate.md "Decisions".
 */
export const REASONS = [
  /** In the dataset. */
  'kept',
  /** Cannot be judged: not JSON, not an object, a required field missing or of the wrong type. */
  'malformed',
  /** The author objected (snapshot at cut-off, or live registry at the re-check before sealing). */
  'objected',
  /** A person mentioned or shown in the record objected (policy `objections.coverMentions`). */
  'objected-mention',
  /** A private message between people: always excluded. */
  'private-message',
  /** The kind of content is not included by the policy. */
  'kind',
  /** The author is a minor, or the content depicts one (policy `minors`). */
  'minor',
  /** The audience is not included by the policy (public only by default). */
  'audience',
  /** The author's region is not included by the policy. */
  'region',
  /** Created before the policy's `content.notBefore`. */
  'before-cutoff',
  /** Attached media carries a "do not train" flag (CAWG / IPTC). */
  'media-flag',
  /** Flagged as special-category data (GDPR Art. 9) and the policy excludes it. */
  'sensitive',
  /** The author was not shown the notice long enough before the cut-off (registry hook). */
  'notice-period',
  /**
   * Another record carries the same id: a later copy (the first is kept), or every copy when they
   * name different authors. Decided after judging, so the rule order above does not apply.
   */
  'duplicate-id',
] as const;
export type Reason = (typeof REASONS)[number];

export const REASON_INDEX: Readonly<Record<Reason, number>> = Object.fromEntries(
  REASONS.map((r, i) => [r, i]),
) as Record<Reason, number>;

export type ReasonCounts = Record<Reason, number>;

export function emptyCounts(): ReasonCounts {
  return Object.fromEntries(REASONS.map((r) => [r, 0])) as ReasonCounts;
}

export function countsFromArray(values: ArrayLike<number>): ReasonCounts {
  const out = emptyCounts();
  for (let i = 0; i < REASONS.length; i++) out[REASONS[i]!] = values[i] ?? 0;
  return out;
}
