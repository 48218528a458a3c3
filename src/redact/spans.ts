import type { PiiCategory, PiiSpan } from './types.ts';

/**
 * When spans overlap, the more certain recogniser wins: exact objector terms, then what carries
 * its own proof (e-mail syntax, checksums), then shapes, then names and addresses. Within a tier
 * the longer span wins, then the earlier one.
 */
const TIER: Readonly<Record<PiiCategory, number>> = {
  OBJECTOR: 0,
  EMAIL: 1,
  PROFILE_URL: 1,
  IBAN: 2,
  NIR: 2,
  CARD: 3,
  IP: 3,
  PHONE: 4,
  HANDLE: 5,
  ADDRESS: 6,
  PERSON: 6,
};

/** Fuzzy categories whose span may be cut short by a more certain one inside it. */
const TRIMMABLE: ReadonlySet<PiiCategory> = new Set(['ADDRESS']);

const MARK = /\p{M}|\u200d|\ufe0f/u;

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * Marks are tested as whole code points: some lie outside the BMP (e.g. U+110BA, a Kaithi nukta,
 * found by the property test), where one UTF-16 unit alone is just a surrogate.
 */
function markAt(text: string, i: number): boolean {
  return MARK.test(String.fromCodePoint(text.codePointAt(i)!));
}

/**
 * Moves span edges out of the middle of a character: never between the halves of a surrogate
 * pair, never before a combining mark, zero-width joiner or variation selector that belongs to the
 * character before it (so no orphaned accent or half emoji is left outside the span).
 */
export function snapToCharacters(text: string, span: PiiSpan): PiiSpan {
  let { start, end } = span;
  for (;;) {
    if (start > 0 && isLowSurrogate(text.charCodeAt(start))) start--;
    else if (start > 0 && markAt(text, start)) start--;
    else break;
  }
  for (;;) {
    if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end++;
    else if (end < text.length && markAt(text, end)) end += text.codePointAt(end)! > 0xffff ? 2 : 1;
    else break;
  }
  if (start === span.start && end === span.end) return span;
  return { category: span.category, start, end };
}

/** Non-overlapping spans in text order, chosen by tier then length. */
export function resolveOverlaps(text: string, candidates: PiiSpan[]): PiiSpan[] {
  const spans = candidates
    .filter((s) => s.end > s.start)
    .map((s) => snapToCharacters(text, s))
    .sort(
      (a, b) =>
        TIER[a.category] - TIER[b.category] ||
        b.end - b.start - (a.end - a.start) ||
        a.start - b.start,
    );
  const kept: PiiSpan[] = [];
  for (const s of spans) {
    // Binary search for the first kept span ending after s.start.
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (kept[mid]!.end <= s.start) lo = mid + 1;
      else hi = mid;
    }
    if (lo < kept.length && kept[lo]!.start < s.end) {
      // An address that runs into a phone number or an e-mail keeps its part before it.
      const cut = kept[lo]!.start;
      if (!TRIMMABLE.has(s.category) || cut - s.start < 6) continue;
      const head = text.slice(s.start, cut).replace(/[\s,;:|(-]+$/u, '');
      if (head.length < 6) continue;
      const trimmed = { category: s.category, start: s.start, end: s.start + head.length };
      if (lo > 0 && kept[lo - 1]!.end > trimmed.start) continue;
      kept.splice(lo, 0, trimmed);
      continue;
    }
    kept.splice(lo, 0, s);
  }
  return kept;
}
