import type { PiiSpan } from './types.ts';

/*
 * Links are units: a span is never redacted inside a link, only a whole link is. A link to a
 * person's profile (the profile recogniser's networks, or the operator's own patterns) is
 * redacted whole, whatever follows its profile path ("?ref=...", "/"); any other link is left
 * intact, so the digits of an ISBN or a document id in it are no phone number and a name in its
 * path no name to cut out (which broke the links of a history forum's posts).
 */

/** Links with a scheme or "www.", and bare domains with a path ("example.org/a/b"). */
const URL_RE =
  /(?:\b[a-z][a-z0-9+.-]*:\/\/|\bwww\.)[^\s<>"'`{}|\\^]+|\b(?:[a-z0-9-]+\.)+[a-z]{2,24}\/[^\s<>"'`{}|\\^]*/giu;

/** Punctuation that ends a sentence after a link rather than belonging to it. */
const TRAILING = /[.,;:!?)\]'"»”’]+$/u;

export interface Range {
  start: number;
  end: number;
}

/** What every link above holds: "://", "www." or a domain ending before a slash. */
const MAY_HOLD_LINK = /:\/\/|www\.|[a-z]\.[a-z]{2,24}\//i;

export function findUrls(text: string): Range[] {
  const out: Range[] = [];
  if (!MAY_HOLD_LINK.test(text)) return out;
  for (const m of text.matchAll(URL_RE)) {
    const link = m[0].replace(TRAILING, '');
    // "www." alone or "a.b/" inside an e-mail's domain is no link.
    if (link.length < 5 || (m.index > 0 && text[m.index - 1] === '@')) continue;
    out.push({ start: m.index, end: m.index + link.length });
  }
  return out;
}

/** Whether `s` is the host part of the link `u`: after "://" (and "[") up to "]", ":", "/" or the end. */
function isHost(text: string, u: Range, s: Range): boolean {
  const scheme = text.indexOf('://', u.start);
  const hostStart = scheme >= 0 && scheme < u.end ? scheme + 3 : u.start;
  const at = text[hostStart] === '[' ? hostStart + 1 : hostStart;
  const after = text[s.end];
  return s.start === at && (s.end === u.end || after === ']' || after === ':' || after === '/');
}

/** Compiles operator patterns for profile links; a bad one is an error naming it. */
export function compileProfilePatterns(patterns: readonly string[]): RegExp[] {
  return patterns.map((p, i) => {
    try {
      return new RegExp(p, 'iu');
    } catch (err) {
      throw new Error(
        `redaction: profile URL pattern ${i + 1} (${JSON.stringify(p)}) is not a valid regular expression: ${(err as Error).message}`,
      );
    }
  });
}

/**
 * `found` with links made units: spans inside or across a link are dropped, except profile links
 * (found by the recogniser or matching an operator pattern), which become the whole link.
 */
export function linksAsUnits(
  text: string,
  found: PiiSpan[],
  profilePatterns: readonly RegExp[],
): PiiSpan[] {
  const urls = findUrls(text);
  if (urls.length === 0) return found;
  const out: PiiSpan[] = [];
  const whole = new Set<number>();
  urls.forEach((u, i) => {
    const link = text.slice(u.start, u.end);
    if (profilePatterns.some((re) => re.test(link))) {
      whole.add(i);
      out.push({ category: 'PROFILE_URL', start: u.start, end: u.end });
    }
  });
  for (const s of found) {
    const i = urls.findIndex((u) => s.start < u.end && u.start < s.end);
    if (i < 0) {
      out.push(s);
      continue;
    }
    const u = urls[i]!;
    // A span that holds the whole link (an objector's own link) stands, and so does an IP
    // address that is the link's host ("http://[2001:db8::1]/path"): the address is the personal
    // data and the link leads nowhere else.
    if ((s.start <= u.start && s.end >= u.end) || (s.category === 'IP' && isHost(text, u, s)))
      out.push(s);
    else if (s.category === 'PROFILE_URL' && !whole.has(i)) {
      whole.add(i);
      out.push({ category: 'PROFILE_URL', start: u.start, end: u.end });
    }
  }
  return out;
}
