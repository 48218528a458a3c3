import type { PiiSpan } from '../types.ts';
import type { Recognizer } from './recognizer.ts';

/**
 * @handles as used on social networks, including fediverse addresses (@user@instance.social).
 * The look-behind keeps e-mail addresses ("a@b.fr") and paths out.
 */
const HANDLE =
  /(?<![\p{L}\p{N}_.@/\\-])@[\p{L}\p{N}_](?:[\p{L}\p{N}_.]{0,28}[\p{L}\p{N}_])?(?:@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+)?(?![\p{L}\p{N}_@])/gu;

export const handleRecognizer: Recognizer = {
  name: 'handle',
  categories: ['HANDLE'],
  mayMatch: (text) => text.includes('@'),
  find(text, out: PiiSpan[]) {
    for (const m of text.matchAll(HANDLE)) {
      out.push({ category: 'HANDLE', start: m.index, end: m.index + m[0].length });
    }
  },
};
