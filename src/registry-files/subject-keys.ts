import { createHash, type Hash } from 'node:crypto';
import { HI, hashKey64, keyHash, LO } from './key-hash.ts';
import { type KeyLineHasher, keyLineHasher } from './key-line-hasher.ts';

import { MAX_KEY_LENGTH, subjectKeyProblem } from './subject-key-rule.ts';

/**
 * The snapshot and filter writers' common part. Which keys they take is the rule of
 * subject-key-rule.ts (re-exported here for the readers and the gate), the same module the
 * intake checks account ids with.
 */
export { MAX_KEY_LENGTH, subjectKeyProblem };

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

/** What a snapshot is: its id, purpose and cut-off (ISO 8601 instant). */
export interface SnapshotIdentity {
  id: string;
  purpose: string;
  asOf: string;
}

/**
 * What the snapshot hash covers before the keys: the format and the snapshot's identity, so that
 * a changed id, purpose or cut-off changes the hash like a changed key does (the hash of format
 * v1 covered the keys alone, and a file's header could be edited unnoticed). The same bytes for
 * the snapshot file, the filter file's `snapshot.sha256` and the Parquet snapshot.
 */
export function snapshotHashPrefix(identity: SnapshotIdentity): string {
  const { id, purpose, asOf } = identity;
  return `veto-snapshot v2\n${JSON.stringify({ id, purpose, asOf })}\n`;
}

/** Receives the 64-bit hashes (`hashKey64`) of the keys a {@link SnapshotBody} accepts, in order. */
export type KeyHashSink = (his: Uint32Array, los: Uint32Array) => void;

/** Keys a {@link SnapshotBody} takes in at once. */
const BATCH = 4096;

/**
 * Accumulates the body of a snapshot (`key\n` per key, strictly increasing byte order) into
 * buffered chunks, hashing it with sha256 and counting keys as it goes. Used by the snapshot
 * writer and by the filter writer, so both derive the same snapshot hash from the same keys; the
 * filter writer also takes each key's `hashKey64` (`onHashes`).
 *
 * Keys are taken in batches of {@link BATCH}: joined into lines, written as bytes and checked and
 * hashed there in WebAssembly (key-line-hasher.ts) when every key is printable ASCII, in order and
 * new; any other batch goes key by key through the JavaScript checks, which also name the problem.
 * So a problem may be reported by a later `add`, or by {@link end}: the writers abort then.
 * Measured on the bench's `acct:<n>` keys, from its generator: 154-184 ns a key with the
 * generation, against 261-325 ns checking and hashing each key in JavaScript.
 */
export class SnapshotBody {
  readonly #hash: Hash = createHash('sha256');
  readonly #onHashes: KeyHashSink | undefined;
  readonly #lines: KeyLineHasher | undefined;
  #buf: Buffer = Buffer.allocUnsafe(1 << 20);
  #used = 0;
  #pending: string[] = [];
  #previous: string | undefined;
  #previousPlain = false;
  /** Keys accepted so far (those still pending are counted by {@link end}). */
  count = 0;

  /**
   * `identity`: the snapshot these keys belong to, hashed first ({@link snapshotHashPrefix});
   * without it the digest is of the keys alone.
   */
  constructor(
    options: { onHashes?: KeyHashSink; engine?: 'wasm' | 'js'; identity?: SnapshotIdentity } = {},
  ) {
    this.#onHashes = options.onHashes;
    if (options.identity) this.#hash.update(snapshotHashPrefix(options.identity));
    this.#lines = options.engine === 'js' ? undefined : keyLineHasher();
  }

  /**
   * Appends a key. Returns a reason when this key, or an earlier one not yet checked, is invalid
   * or out of order; a repeat of the previous key is skipped (a subject with two objections is
   * one objector).
   */
  add(key: string): string | undefined {
    // Not a string: the keys before it, then the JavaScript checks, which name the problem.
    if (typeof key !== 'string') return this.end() ?? this.#addOne(key);
    this.#pending.push(key);
    return this.#pending.length === BATCH ? this.end() : undefined;
  }

  /** Checks and appends the keys not yet checked; a reason when one of them is invalid. */
  end(): string | undefined {
    const keys = this.#pending;
    if (keys.length === 0) return undefined;
    this.#pending = [];
    if (this.#addPlain(keys)) return undefined;
    const hashes = this.#onHashes && {
      his: new Uint32Array(keys.length),
      los: new Uint32Array(keys.length),
    };
    let n = 0;
    let problem: string | undefined;
    for (const key of keys) {
      const before = this.count;
      problem = this.#addOne(key);
      if (problem) break;
      if (hashes && this.count !== before) {
        hashKey64(key);
        hashes.his[n] = keyHash[HI]!;
        hashes.los[n] = keyHash[LO]!;
        n++;
      }
    }
    if (hashes && n > 0) this.#onHashes!(hashes.his.subarray(0, n), hashes.los.subarray(0, n));
    return problem;
  }

  /**
   * The batch's fast path: true when every key was printable ASCII, new and in order, and was
   * appended (and hashed); false, with nothing appended, to go key by key.
   */
  #addPlain(keys: string[]): boolean {
    const lines = this.#lines;
    if (!lines) return false;
    // The previous key first, so that the order check spans batches.
    const head = this.#previous === undefined ? '' : `${this.#previous}\n`;
    const text = `${head}${keys.join('\n')}\n`;
    const input = lines.input(text.length);
    if (!input) return false;
    // Fewer bytes than characters, or a byte over 0x7e that the check refuses, if it is not.
    const written = input.write(text, 0, text.length, 'utf8');
    if (written !== text.length) return false;
    const hashes = lines.hash(written, MAX_KEY_LENGTH, 0);
    const skip = head ? 1 : 0;
    if (!hashes || hashes.his.length !== keys.length + skip) return false;
    const bytes = written - head.length;
    if (this.#used + bytes > this.#buf.length) this.#grow(bytes);
    // `set`, not `Buffer#copy`, which ran at ~0.6 GB/s here (profiled).
    this.#buf.set(input.subarray(head.length, written), this.#used);
    this.#used += bytes;
    this.count += keys.length;
    this.#previous = keys[keys.length - 1];
    this.#previousPlain = true;
    this.#onHashes?.(hashes.his.subarray(skip), hashes.los.subarray(skip));
    return true;
  }

  /** One key, checked in JavaScript. */
  #addOne(key: string): string | undefined {
    const previous = this.#previous;
    if (previous !== undefined && key === previous) return undefined;
    const n = key.length;
    // Fastest path, printable ASCII (every `acct:` and `email:` key in practice): checked and
    // copied in one loop; `buf.write` and the regex test cost a call each, ~30 % of a 10M-key
    // filter build.
    let ascii = n > 0 && n <= MAX_KEY_LENGTH;
    if (ascii) {
      if (this.#used + n + 1 > this.#buf.length) this.#grow();
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
      if (this.#used + need > this.#buf.length) this.#grow();
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

  /**
   * Whether enough bytes are buffered to be worth a write. At three quarters, so that the next
   * batch (~60 KB of `acct:` keys) still fits: growing the buffer copies it.
   */
  get full(): boolean {
    return this.#used > this.#buf.length - (this.#buf.length >> 2);
  }

  /** The body's sha256, once {@link end} has checked every key. */
  digest(): string {
    if (this.#pending.length > 0) throw new Error('SnapshotBody: end() not called');
    this.take();
    return this.#hash.digest('hex');
  }

  #grow(bytes = 0): void {
    // When a caller adds past `full` without taking, or a batch of long keys does not fit.
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#used + bytes));
    bigger.set(this.#buf.subarray(0, this.#used));
    this.#buf = bigger;
  }
}
