import { createHash, type Hash } from 'node:crypto';

/**
 * Rules shared by the snapshot and filter files for the subject keys they carry
 * (`acct:<platform account id>`, `email:<hex hmac>`): one key per line, so no control characters
 * or spaces; at most {@link MAX_KEY_LENGTH} UTF-16 code units.
 */
export const MAX_KEY_LENGTH = 512;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
const FORBIDDEN = /[\u0000-\u0020\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a key cannot go in a registry file, or undefined when it can. */
export function subjectKeyProblem(key: string): string | undefined {
  if (typeof key !== 'string') return 'not a string';
  if (key.length === 0) return 'empty key';
  if (key.length > MAX_KEY_LENGTH) return `longer than ${MAX_KEY_LENGTH} characters`;
  if (FORBIDDEN.test(key)) return 'contains a space or a control character';
  if (LONE_SURROGATE.test(key)) return 'contains a lone UTF-16 surrogate';
  return undefined;
}

/**
 * Compares two strings in UTF-8 byte order (= code point order), the order of the files and of
 * SQLite's BINARY collation / PostgreSQL's `COLLATE "C"`. Plain `<` compares UTF-16 code units,
 * which disagrees for characters above U+FFFF against U+E000-U+FFFF; this fixes that case.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: what the fast path must not see
const NOT_PLAIN = /[\u0000-\u0020\u007f\ud800-\udfff]/;

function unsorted(previous: string, key: string): string {
  return `keys are not sorted in byte order ("${previous}" before "${key}"); sort with SQLite BINARY or PostgreSQL COLLATE "C"`;
}

/**
 * Accumulates the body of a snapshot (`key\n` per key, strictly increasing byte order) into
 * buffered chunks, hashing it with sha256 and counting keys as it goes. Used by the snapshot
 * writer and by the filter writer, so both derive the same snapshot hash from the same keys.
 */
export class SnapshotBody {
  readonly #hash: Hash = createHash('sha256');
  #buf: Buffer = Buffer.allocUnsafe(1 << 20);
  #used = 0;
  #previous: string | undefined;
  #previousPlain = false;
  count = 0;

  /**
   * Appends a key. Returns a reason when the key is invalid or out of order; a repeat of the
   * previous key is skipped (a subject with two objections is one objector).
   */
  add(key: string): string | undefined {
    const previous = this.#previous;
    if (previous !== undefined && key === previous) return undefined;
    const n = key.length;
    // Fastest path, printable ASCII (every `acct:` and `email:` key in practice): checked and
    // copied in one loop; `buf.write` and the regex test cost a call each, ~30 % of a 10M-key
    // filter build.
    let ascii = n > 0 && n <= MAX_KEY_LENGTH;
    if (ascii) {
      if (this.#used + n + 1 > this.#buf.length) this.#flushInto();
      const buf = this.#buf;
      const at = this.#used;
      for (let i = 0; i < n; i++) {
        const c = key.charCodeAt(i);
        if (c <= 0x20 || c >= 0x7f) {
          ascii = false;
          break;
        }
        buf[at + i] = c;
      }
    }
    // Fast path (one regex): no space, control character or surrogate, and short enough; between
    // two such keys plain `<` is byte order (UTF-16 order differs from it only for surrogates).
    // Otherwise the full checks, which also name the problem. Halves the cost of a 100M-key filter.
    const plain = ascii || (n > 0 && n <= MAX_KEY_LENGTH && !NOT_PLAIN.test(key));
    if (!plain) {
      const problem = subjectKeyProblem(key);
      if (problem) return `key ${JSON.stringify(key)}: ${problem}`;
    }
    if (previous !== undefined) {
      const outOfOrder =
        plain && this.#previousPlain ? !(previous < key) : compareUtf8(previous, key) > 0;
      if (outOfOrder) return unsorted(previous, key);
    }
    this.#previousPlain = plain;
    this.#previous = key;
    if (ascii) {
      // Copied above (the bytes past `#used` only count from here).
      this.#used += n;
    } else {
      const need = n * 3 + 1;
      if (this.#used + need > this.#buf.length) this.#flushInto();
      this.#used += this.#buf.write(key, this.#used, 'utf8');
    }
    this.#buf[this.#used++] = 10;
    this.count++;
    return undefined;
  }

  /** Takes the buffered bytes (to write them out); they are already hashed. */
  take(): Buffer | undefined {
    if (this.#used === 0) return undefined;
    const out = this.#buf.subarray(0, this.#used);
    this.#hash.update(out);
    this.#buf = Buffer.allocUnsafe(this.#buf.length);
    this.#used = 0;
    return out;
  }

  /** Whether enough bytes are buffered to be worth a write. */
  get full(): boolean {
    return this.#used > this.#buf.length - 4096;
  }

  digest(): string {
    this.take();
    return this.#hash.digest('hex');
  }

  #flushInto(): void {
    // Only reached when a caller adds past `full` without taking: keep the bytes, grow.
    const bigger = Buffer.allocUnsafe(this.#buf.length * 2);
    this.#buf.copy(bigger, 0, 0, this.#used);
    this.#buf = bigger;
  }
}
