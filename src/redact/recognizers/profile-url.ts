import { scanText } from '../scan.ts';
import type { PiiSpan } from '../types.ts';
import type { Recognizer } from './recognizer.ts';

/**
 * Links to a person's profile on the common networks (with or without scheme), and fediverse
 * profile links (https://instance/@user). Links to posts, pages or search results are kept.
 */
const PROFILE_URL =
  /(?<![\p{L}\p{N}./])(?:https?:\/\/)?(?:(?:www|m|mobile|[a-z]{2})\.)?(?:(?:twitter|x|facebook|fb|instagram|github|gitlab|pinterest|vk|soundcloud|twitch|flickr)\.com\/(?!(?:home|search|explore|hashtag|share|sharer|intent|login|signup|settings|about|help|privacy|policy|tos|watch|groups|events|pages|p|reel|status|i)(?:[/?#\s]|$))[\p{L}\p{N}_.-]{2,50}|linkedin\.com\/in\/[\p{L}\p{N}_%-]{2,100}|(?:tiktok\.com|medium\.com|youtube\.com|threads\.net)\/@[\p{L}\p{N}_.-]{2,50}|bsky\.app\/profile\/[\p{L}\p{N}_.-]{2,100}|reddit\.com\/u(?:ser)?\/[\p{L}\p{N}_-]{2,50}|t\.me\/[\p{L}\p{N}_]{3,50}|https?:\/\/[\p{L}\p{N}.-]+\.[a-z]{2,}\/@[\p{L}\p{N}_]{1,50})\/?(?![\p{L}\p{N}_/-])/giu;

export const profileUrlRecognizer: Recognizer = {
  name: 'profile-url',
  categories: ['PROFILE_URL'],
  // Every pattern has a domain dot, two to six letters, a slash then '@' or a word character:
  // the shared scan notes it (`urlPath`), a test of the whole text was ~2.5 % of redaction.
  mayMatch: (text) => scanText(text).urlPath,
  find(text, out: PiiSpan[]) {
    for (const m of text.matchAll(PROFILE_URL)) {
      out.push({ category: 'PROFILE_URL', start: m.index, end: m.index + m[0].length });
    }
  },
};
