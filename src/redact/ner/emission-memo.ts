import { FEATURE_KEY_LENGTH, featureKey } from './features.ts';
import type { Tokens } from './tokens.ts';
import { LABELS } from './viterbi.ts';

/*
 * The person model's scores of recently scored tokens, by everything their features are computed
 * from (`featureKey` and the token's own units): a token seen again in the same context gets the
 * same scores without its ~110 features being hashed and weighed again. Text that repeats its
 * words and layout line after line (order logs, exports, the digit-heavy bench text, where "lot"
 * before a number is scored on two lines in three) mostly hits. Other text (posts, notes) seldom
 * does, and building the key cost 7 % of the scoring there: after `GIVE_UP` misses in a row the
 * memo is left aside for `REST` tokens, then tried again. Exact: a hit compares the whole key
 * and the units, never a hash alone.
 */

const SLOTS = 64;
/** Longer tokens are not kept. */
const MAX_UNITS = 32;
const GIVE_UP = 128;
const REST = 4096;

export class EmissionMemo {
  readonly #keys = new Int32Array(SLOTS * FEATURE_KEY_LENGTH);
  readonly #units = new Uint16Array(SLOTS * MAX_UNITS);
  /** Units of the token in each slot; -1 for an empty slot. */
  readonly #lengths = new Int32Array(SLOTS).fill(-1);
  readonly #scores = new Float64Array(SLOTS * LABELS);
  readonly #key = new Int32Array(FEATURE_KEY_LENGTH);
  /** The slot the last `find` chose, and whether the token may be kept. */
  #slot = 0;
  #keep = false;
  #start = 0;
  #end = 0;
  #misses = 0;
  #resting = 0;

  /**
   * Copies the kept scores of token `i` into `out` at `at` and returns true, or returns false and
   * remembers the token for `keep`.
   */
  find(
    text: string,
    tk: Tokens,
    i: number,
    context: number,
    out: Float64Array,
    at: number,
  ): boolean {
    if (this.#resting > 0) {
      this.#resting--;
      this.#keep = false;
      return false;
    }
    const s = tk.start[i]!;
    const e = tk.end[i]!;
    const len = e - s;
    this.#keep = len <= MAX_UNITS;
    if (!this.#keep) return false;
    if (++this.#misses >= GIVE_UP) {
      this.#misses = 0;
      this.#resting = REST;
    }
    const key = this.#key;
    featureKey(text, tk, i, context, key);
    let h = len;
    for (let q = 0; q < FEATURE_KEY_LENGTH; q++) h = Math.imul(h ^ key[q]!, 0x9e3779b1);
    for (let j = s; j < e; j++) h = Math.imul(h ^ text.charCodeAt(j), 0x85ebca6b);
    const slot = (h ^ (h >>> 16)) & (SLOTS - 1);
    this.#slot = slot;
    this.#start = s;
    this.#end = e;
    if (this.#lengths[slot] !== len) return false;
    const kb = slot * FEATURE_KEY_LENGTH;
    for (let q = 0; q < FEATURE_KEY_LENGTH; q++) if (this.#keys[kb + q] !== key[q]) return false;
    const ub = slot * MAX_UNITS;
    for (let j = 0; j < len; j++) if (this.#units[ub + j] !== text.charCodeAt(s + j)) return false;
    const sb = slot * LABELS;
    for (let l = 0; l < LABELS; l++) out[at + l] = this.#scores[sb + l]!;
    this.#misses = 0;
    return true;
  }

  /** Keeps the scores `scores[at ..]` of the token the last `find` missed. */
  keep(text: string, scores: Float64Array, at: number): void {
    if (!this.#keep) return;
    const slot = this.#slot;
    const kb = slot * FEATURE_KEY_LENGTH;
    for (let q = 0; q < FEATURE_KEY_LENGTH; q++) this.#keys[kb + q] = this.#key[q]!;
    const ub = slot * MAX_UNITS;
    for (let j = this.#start; j < this.#end; j++)
      this.#units[ub + j - this.#start] = text.charCodeAt(j);
    this.#lengths[slot] = this.#end - this.#start;
    for (let l = 0; l < LABELS; l++) this.#scores[slot * LABELS + l] = scores[at + l]!;
  }
}
