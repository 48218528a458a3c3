/**
 * ISO 13616 IBAN check: move the first four characters to the end, turn letters into numbers
 * (A=10 ... Z=35) and the remainder mod 97 must be 1. Computed digit by digit so no BigInt is
 * needed. `iban` is upper-case alphanumeric, without separators.
 */
export function ibanMod97Valid(iban: string): boolean {
  if (iban.length < 5) return false;
  let rem = 0;
  const n = iban.length;
  for (let k = 0; k < n; k++) {
    const c = iban.charCodeAt((k + 4) % n);
    if (c >= 48 && c <= 57) {
      rem = (rem * 10 + (c - 48)) % 97;
    } else if (c >= 65 && c <= 90) {
      rem = (rem * 100 + (c - 55)) % 97;
    } else {
      return false;
    }
  }
  return rem === 1;
}
