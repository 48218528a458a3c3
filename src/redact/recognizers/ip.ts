import { isIPv6 } from 'node:net';
import { scanText } from '../scan.ts';
import type { PiiSpan } from '../types.ts';
import { matchInWindow, numericRuns, type Recognizer } from './recognizer.ts';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** Dotted quad, not part of a longer dotted number (versions, OIDs). */
const IPV4 = new RegExp(
  `(?<![\\p{L}\\p{N}.])${OCTET}(?:\\.${OCTET}){3}(?:/(?:3[0-2]|[12]?\\d))?(?![\\p{L}\\p{N}]|\\.\\d)`,
  'gu',
);
/**
 * IPv6 candidates: hex groups with at least two colons, optionally ending in an embedded IPv4 and
 * a zone. `node:net` decides whether the candidate really is an address.
 */
const IPV6 =
  /(?<![\p{L}\p{N}:.])(?:[0-9A-Fa-f]{1,4}|:)?:(?:[0-9A-Fa-f]{0,4}:){0,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?(?:%[\p{L}\p{N}]+)?(?:\/(?:12[0-8]|1[01]\d|\d{1,2}))?(?![\p{L}\p{N}:]|\.\d)/gu;

export const ipRecognizer: Recognizer = {
  name: 'ip',
  categories: ['IP'],
  mayMatch: (text) => text.includes('.') || text.includes(':'),
  find(text, out: PiiSpan[]) {
    for (const run of numericRuns(text)) {
      if (run.dots < 3 || run.digits < 4) continue;
      matchInWindow(text, IPV4, run.start, run.end, 2, 4, (m, at) => {
        out.push({ category: 'IP', start: at, end: at + m[0].length });
      });
    }
    // IPv6 needs "::" or six colons in one cluster: times ("12:30:45") never get this far.
    if (!scanText(text).ipv6Shape) return;
    // IPv6: windows around each cluster of colons.
    let i = text.indexOf(':');
    while (i >= 0) {
      let j = i;
      for (let k = text.indexOf(':', j + 1); k >= 0 && k - j <= 6; k = text.indexOf(':', j + 1))
        j = k;
      matchInWindow(text, IPV6, i, j + 1, 6, 22, (m, at) => {
        const s = m[0];
        const addr = s.split(/[%/]/)[0]!;
        // isIPv6 rejects times ("12:30:45") and ratios; "::" and "::1" are kept (harmless).
        if (!isIPv6(addr)) return;
        out.push({ category: 'IP', start: at, end: at + s.length });
      });
      i = text.indexOf(':', j + 1);
    }
  },
};
