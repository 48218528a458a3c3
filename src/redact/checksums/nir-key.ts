/**
 * French social-security number (NIR) key: 97 - (first 13 characters mod 97). Corsican
 * departments 2A and 2B are replaced by 19 and 18 before the computation (INSEE rule).
 */
export function nirKey(body13: string): number {
  let s = body13.toUpperCase();
  if (s.slice(5, 7) === '2A') s = `${s.slice(0, 5)}19${s.slice(7)}`;
  else if (s.slice(5, 7) === '2B') s = `${s.slice(0, 5)}18${s.slice(7)}`;
  let rem = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    rem = (rem * 10 + d) % 97;
  }
  return 97 - rem;
}

/** True when `nir15` (13-character body + 2-digit key, no separators) carries a valid key. */
export function nirKeyValid(nir15: string): boolean {
  if (nir15.length !== 15) return false;
  const key = Number(nir15.slice(13));
  return Number.isInteger(key) && nirKey(nir15.slice(0, 13)) === key;
}
