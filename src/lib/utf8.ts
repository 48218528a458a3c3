import { isUtf8 } from 'node:buffer';

/**
 * Where `bytes` stop being valid UTF-8: the index of the first byte that does not belong to a
 * well-formed sequence (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF),
 * or -1 when all of it is valid. Decoders replace such bytes with U+FFFD in silence; callers
 * that must report a line and a byte offset instead ask here.
 */
export function invalidUtf8At(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let max = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      // E0: no overlong forms; ED: no surrogates (U+D800-U+DFFF).
      min = b === 0xe0 ? 0xa0 : 0x80;
      if (b === 0xed) max = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      // F0: no overlong forms; F4: nothing above U+10FFFF.
      min = b === 0xf0 ? 0x90 : 0x80;
      if (b === 0xf4) max = 0x8f;
    } else {
      return i;
    }
    const second = bytes[i + 1];
    if (second === undefined || second < min || second > max) return i;
    for (let k = 2; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return -1;
}
