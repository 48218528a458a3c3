// AssemblyScript: the fast path of `src/gate/record-scanner.ts` (`RecordScanner.scan`), compiled
// to WebAssembly with SIMD by `npm run build:wasm` into `src/gate/record-scanner-wasm.ts`.
//
// It answers exactly as the JavaScript `scan` does (test/gate/record-scanner.test.ts compares
// them on generated and mutated lines): 1 for a plain record, whose slots it fills, 0 for
// anything else. Why: the JavaScript scanner visits a record's bytes one or two at a time and was
// ~19 % of a gate worker's judging time (~385 ns a record on the bench corpus); here strings are
// passed sixteen bytes at a time and expected keys compared sixteen at a time. While it scans, it
// also looks vocabulary values up (`RecordScanner.vocabulary`), and `mayHold` is the redaction
// pre-check's `asciiBytes` on the same bytes.
//
// Memory: the static areas below, then the batch's bytes from `input()` on, copied there by the
// JavaScript side with at least 64 bytes of slack after them (16-byte loads may read past the end
// of a line, never past the memory).

const MAX_SLOTS: i32 = 32;
/** Longest slot name and remembered key, closing quote included. */
const MAX_KEY: i32 = 64;
/** Key positions remembered from record to record. */
const MAX_EXPECTED: i32 = 32;
const MAX_DEPTH: i32 = 64;

const STRING: u8 = 1;
const NUMBER: u8 = 2;
const TRUE: u8 = 3;
const FALSE: u8 = 4;
const NULL: u8 = 5;
const ARRAY: u8 = 6;
const OBJECT: u8 = 7;
const ESCAPED: i32 = 1;
const NON_ASCII: i32 = 2;

const TYPE: usize = memory.data(MAX_SLOTS);
const FLAGS: usize = memory.data(MAX_SLOTS);
const START: usize = memory.data(MAX_SLOTS * 4);
const END: usize = memory.data(MAX_SLOTS * 4);
const NAMES: usize = memory.data(MAX_SLOTS * MAX_KEY);
/** Per slot, its name's length, or -1 for a slot that is not read. */
const NAME_LEN: usize = memory.data(MAX_SLOTS * 4);
const EXPECTED: usize = memory.data(MAX_EXPECTED * MAX_KEY);
/** Per key position, the remembered key's length with its closing quote; 0 for none. */
const EXPECTED_LEN: usize = memory.data(MAX_EXPECTED * 4);
const EXPECTED_SLOT: usize = memory.data(MAX_EXPECTED * 4);

/** Per slot, 1 when its string values are looked up in its vocabulary (kind, audience). */
const VOCAB_SLOT: usize = memory.data(MAX_SLOTS);
/** Per slot, after `scan`: its value's index in the slot's vocabulary, or -1. */
const VOCAB_INDEX: usize = memory.data(MAX_SLOTS * 4);
/** Values remembered per vocabulary slot, and their longest length. */
const VOCAB_SIZE: i32 = 64;
const VOCAB_BYTES: i32 = 48;
const VOCAB: usize = memory.data(MAX_SLOTS * VOCAB_SIZE * VOCAB_BYTES);
const VOCAB_LEN: usize = memory.data(MAX_SLOTS * VOCAB_SIZE);
const VOCAB_COUNT: usize = memory.data(MAX_SLOTS * 4);

let slotCount: i32 = 0;
let lastFlags: i32 = 0;
/** What `mayHold` looks for: up to four bytes (0 for none) and a number of ASCII digits. */
let need0: i32 = 0;
let need1: i32 = 0;
let need2: i32 = 0;
let need3: i32 = 0;
let needDigits: i32 = 0x7fffffff;

export function typePtr(): usize {
  return TYPE;
}
export function flagsPtr(): usize {
  return FLAGS;
}
export function startPtr(): usize {
  return START;
}
export function endPtr(): usize {
  return END;
}
export function namesPtr(): usize {
  return NAMES;
}
export function nameLenPtr(): usize {
  return NAME_LEN;
}
export function vocabSlotPtr(): usize {
  return VOCAB_SLOT;
}
export function vocabIndexPtr(): usize {
  return VOCAB_INDEX;
}
export function input(): usize {
  return (__heap_base + 63) & ~63;
}
export function maxSlots(): i32 {
  return MAX_SLOTS;
}
export function maxKey(): i32 {
  return MAX_KEY;
}

/**
 * After the names (and vocabulary slots) are written: `count` slots; forgets the remembered keys
 * and vocabularies.
 */
export function setSlots(count: i32): void {
  slotCount = count;
  for (let k = 0; k < MAX_EXPECTED; k++) store<i32>(EXPECTED_LEN + ((<usize>k) << 2), 0);
  for (let k = 0; k < MAX_SLOTS; k++) store<i32>(VOCAB_COUNT + ((<usize>k) << 2), 0);
}

/** What {@link mayHold} looks for: bytes `b0`-`b3` (0 for none), or `digits` ASCII digits. */
export function setNeeds(b0: i32, b1: i32, b2: i32, b3: i32, digits: i32): void {
  need0 = b0;
  need1 = b1;
  need2 = b2;
  need3 = b3;
  needDigits = digits;
}

/**
 * 1 when `[start, end)` of the input holds one of the needed bytes or at least the needed number
 * of ASCII digits (the redaction pre-check, `src/gate/redaction-precheck.ts`), else 0. A string's
 * bytes never include 0, so an unused needed byte matches nothing.
 */
export function mayHold(start: i32, end: i32): i32 {
  const base = input();
  let seen = 0;
  let i = start;
  for (; i + 16 <= end; i += 16) {
    const v = v128.load(base + <usize>i);
    const wanted = v128.or(
      v128.or(i8x16.eq(v, i8x16.splat(<i8>need0)), i8x16.eq(v, i8x16.splat(<i8>need1))),
      v128.or(i8x16.eq(v, i8x16.splat(<i8>need2)), i8x16.eq(v, i8x16.splat(<i8>need3))),
    );
    if (i8x16.bitmask(wanted) !== 0) return 1;
    const digits = v128.and(i8x16.ge_u(v, i8x16.splat(48)), i8x16.le_u(v, i8x16.splat(57)));
    seen += popcnt(i8x16.bitmask(digits));
    if (seen >= needDigits) return 1;
  }
  for (; i < end; i++) {
    const c = at(i);
    if (c === 0) continue;
    if (c === need0 || c === need1 || c === need2 || c === need3) return 1;
    if (c >= 48 && c <= 57 && ++seen >= needDigits) return 1;
  }
  return 0;
}

/**
 * The index of the plain string `[start, end)` of the input in `slot`'s vocabulary, added if new;
 * -1 when it is longer than a vocabulary value or the vocabulary is full.
 */
function vocabIndex(slot: i32, start: i32, end: i32): i32 {
  const n = end - start;
  if (n > VOCAB_BYTES) return -1;
  const at0 = input() + <usize>start;
  const v0 = v128.load(at0);
  const v1 = v128.load(at0 + 16);
  const v2 = v128.load(at0 + 32);
  const want: u64 = ((<u64>1) << (<u64>n)) - 1;
  const lengths = VOCAB_LEN + <usize>(slot * VOCAB_SIZE);
  const values = VOCAB + <usize>(slot * VOCAB_SIZE * VOCAB_BYTES);
  const count = load<i32>(VOCAB_COUNT + ((<usize>slot) << 2));
  for (let k = 0; k < count; k++) {
    if (<i32>load<u8>(lengths + <usize>k) !== n) continue;
    const e = values + <usize>(k * VOCAB_BYTES);
    const same: u64 =
      <u64>(<u32>i8x16.bitmask(i8x16.eq(v0, v128.load(e)))) |
      ((<u64>(<u32>i8x16.bitmask(i8x16.eq(v1, v128.load(e + 16))))) << 16) |
      ((<u64>(<u32>i8x16.bitmask(i8x16.eq(v2, v128.load(e + 32))))) << 32);
    if ((same & want) === want) return k;
  }
  if (count === VOCAB_SIZE) return -1;
  memory.copy(values + <usize>(count * VOCAB_BYTES), at0, <usize>n);
  store<u8>(lengths + <usize>count, <u8>n);
  store<i32>(VOCAB_COUNT + ((<usize>slot) << 2), count + 1);
  return count;
}

function at(i: i32): i32 {
  return <i32>load<u8>(input() + <usize>i);
}

function skipWs(i: i32, end: i32): i32 {
  while (i < end) {
    const c = at(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    i++;
  }
  return i;
}

function isHex(c: i32): bool {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** `i` is just after the opening quote; returns the index after the closing one, or -1. */
function scanString(i: i32, end: i32): i32 {
  let flags = 0;
  const base = input();
  while (i < end) {
    if (i + 16 <= end) {
      // `"`, `\`, control bytes and non-ASCII bytes (their sign bit) are the ones to look at.
      const v = v128.load(base + <usize>i);
      const special = v128.or(
        v128.or(i8x16.eq(v, i8x16.splat(34)), i8x16.eq(v, i8x16.splat(92))),
        i8x16.lt_u(v, i8x16.splat(32)),
      );
      const m = i8x16.bitmask(special) | i8x16.bitmask(v);
      if (m === 0) {
        i += 16;
        continue;
      }
      i += ctz(m);
    }
    const c = at(i);
    if (c === 34) {
      lastFlags = flags;
      return i + 1;
    }
    if (c >= 128) {
      flags |= NON_ASCII;
      i++;
    } else if (c === 92) {
      flags |= ESCAPED;
      if (i + 1 >= end) return -1;
      const e = at(i + 1);
      if (e === 117) {
        if (i + 5 >= end) return -1;
        if (!isHex(at(i + 2)) || !isHex(at(i + 3)) || !isHex(at(i + 4)) || !isHex(at(i + 5)))
          return -1;
        i += 6;
      } else if (
        e === 34 ||
        e === 92 ||
        e === 47 ||
        e === 98 ||
        e === 102 ||
        e === 110 ||
        e === 114 ||
        e === 116
      ) {
        i += 2;
      } else {
        return -1;
      }
    } else if (c < 32) {
      return -1;
    } else {
      i++;
    }
  }
  return -1;
}

function isDigit(c: i32): bool {
  return c >= 48 && c <= 57;
}

function scanNumber(i: i32, end: i32): i32 {
  if (at(i) === 45) i++;
  if (i >= end) return -1;
  const first = at(i);
  if (first === 48) i++;
  else if (first >= 49 && first <= 57) {
    i++;
    while (i < end && isDigit(at(i))) i++;
  } else return -1;
  if (i < end && at(i) === 46) {
    i++;
    if (i >= end || !isDigit(at(i))) return -1;
    while (i < end && isDigit(at(i))) i++;
  }
  if (i < end && (at(i) === 101 || at(i) === 69)) {
    i++;
    if (i < end && (at(i) === 43 || at(i) === 45)) i++;
    if (i >= end || !isDigit(at(i))) return -1;
    while (i < end && isDigit(at(i))) i++;
  }
  return i;
}

/** `true`, `false` or `null` at `i` (the first letter already seen), as 4 or 5 bytes. */
function scanLiteral(i: i32, end: i32, word: u64, n: i32): i32 {
  if (i + n > end) return -1;
  for (let k = 0; k < n; k++) {
    if (<u64>at(i + k) !== ((word >> ((<u64>k) << 3)) & 0xff)) return -1;
  }
  return i + n;
}

// "true", "false", "null" as little-endian byte strings.
const WORD_TRUE: u64 = 0x65757274;
const WORD_FALSE: u64 = 0x65736c6166;
const WORD_NULL: u64 = 0x6c6c756e;

function scanValue(i: i32, end: i32, depth: i32): i32 {
  const c = at(i);
  if (c === 34) return scanString(i + 1, end);
  if (c === 123 || c === 91) {
    if (depth >= MAX_DEPTH) return -1;
    return c === 123 ? scanObject(i, end, depth + 1) : scanArray(i, end, depth + 1);
  }
  if (c === 116) return scanLiteral(i, end, WORD_TRUE, 4);
  if (c === 102) return scanLiteral(i, end, WORD_FALSE, 5);
  if (c === 110) return scanLiteral(i, end, WORD_NULL, 4);
  if (c === 45 || isDigit(c)) return scanNumber(i, end);
  return -1;
}

function scanArray(i: i32, end: i32, depth: i32): i32 {
  i = skipWs(i + 1, end);
  if (i < end && at(i) === 93) return i + 1;
  while (i < end) {
    i = scanValue(i, end, depth);
    if (i < 0) return -1;
    i = skipWs(i, end);
    if (i >= end) return -1;
    const c = at(i);
    if (c === 93) return i + 1;
    if (c !== 44) return -1;
    i = skipWs(i + 1, end);
  }
  return -1;
}

function scanObject(i: i32, end: i32, depth: i32): i32 {
  i = skipWs(i + 1, end);
  if (i < end && at(i) === 125) return i + 1;
  while (i < end) {
    if (at(i) !== 34) return -1;
    i = scanString(i + 1, end);
    if (i < 0) return -1;
    i = skipWs(i, end);
    if (i >= end || at(i) !== 58) return -1;
    i = skipWs(i + 1, end);
    if (i >= end) return -1;
    i = scanValue(i, end, depth);
    if (i < 0) return -1;
    i = skipWs(i, end);
    if (i >= end) return -1;
    const c = at(i);
    if (c === 125) return i + 1;
    if (c !== 44) return -1;
    i = skipWs(i + 1, end);
  }
  return -1;
}

function typeOf(c: i32): u8 {
  if (c === 34) return STRING;
  if (c === 123) return OBJECT;
  if (c === 91) return ARRAY;
  if (c === 116) return TRUE;
  if (c === 102) return FALSE;
  if (c === 110) return NULL;
  return NUMBER;
}

/** Whether `n` bytes at `a` and `b` are equal (both readable 16 bytes at a time). */
function bytesEqual(a: usize, b: usize, n: i32): bool {
  let k = 0;
  for (; k + 16 <= n; k += 16) {
    if (i8x16.bitmask(i8x16.eq(v128.load(a + <usize>k), v128.load(b + <usize>k))) !== 0xffff)
      return false;
  }
  if (k < n) {
    const want = (1 << (n - k)) - 1;
    const m = i8x16.bitmask(i8x16.eq(v128.load(a + <usize>k), v128.load(b + <usize>k)));
    if ((m & want) !== want) return false;
  }
  return true;
}

function slotOf(start: i32, end: i32): i32 {
  const n = end - start;
  for (let s = 0; s < slotCount; s++) {
    if (load<i32>(NAME_LEN + ((<usize>s) << 2)) !== n) continue;
    if (memory.compare(NAMES + <usize>(s * MAX_KEY), input() + <usize>start, <usize>n) === 0)
      return s;
  }
  return -1;
}

/** The record in `[start, end)` of the input: 1 and its slots when it is plain, else 0. */
export function scan(start: i32, end: i32): i32 {
  for (let k = 0; k < slotCount; k++) store<u8>(TYPE + <usize>k, 0);
  let i = skipWs(start, end);
  if (i >= end || at(i) !== 123) return 0;
  i = skipWs(i + 1, end);
  if (i < end && at(i) === 125) {
    i++;
  } else {
    for (let nth = 0; ; nth++) {
      if (i >= end || at(i) !== 34) return 0;
      const keyStart = i + 1;
      let slot: i32;
      // The key the previous record had in this position, with its closing quote, first.
      const expectedLen = nth < MAX_EXPECTED ? load<i32>(EXPECTED_LEN + ((<usize>nth) << 2)) : 0;
      if (
        expectedLen > 0 &&
        keyStart + expectedLen <= end &&
        bytesEqual(input() + <usize>keyStart, EXPECTED + <usize>(nth * MAX_KEY), expectedLen)
      ) {
        i = keyStart + expectedLen;
        slot = load<i32>(EXPECTED_SLOT + ((<usize>nth) << 2));
      } else {
        i = scanString(keyStart, end);
        if (i < 0 || lastFlags !== 0) return 0;
        slot = slotOf(keyStart, i - 1);
        if (nth < MAX_EXPECTED) {
          const n = i - keyStart;
          if (n <= MAX_KEY) {
            memory.copy(EXPECTED + <usize>(nth * MAX_KEY), input() + <usize>keyStart, <usize>n);
            store<i32>(EXPECTED_SLOT + ((<usize>nth) << 2), slot);
            store<i32>(EXPECTED_LEN + ((<usize>nth) << 2), n);
          } else {
            store<i32>(EXPECTED_LEN + ((<usize>nth) << 2), 0);
          }
        }
      }
      i = skipWs(i, end);
      if (i >= end || at(i) !== 58) return 0;
      i = skipWs(i + 1, end);
      if (i >= end) return 0;
      const valueStart = i;
      const c = at(i);
      i = c === 34 ? scanString(i + 1, end) : scanValue(i, end, 1);
      if (i < 0) return 0;
      if (slot >= 0) {
        // `JSON.parse` keeps the last of duplicate keys; such records are left to it.
        if (load<u8>(TYPE + <usize>slot) !== 0) return 0;
        store<u8>(TYPE + <usize>slot, typeOf(c));
        store<u8>(FLAGS + <usize>slot, <u8>(c === 34 ? lastFlags : 0));
        store<i32>(START + ((<usize>slot) << 2), valueStart);
        store<i32>(END + ((<usize>slot) << 2), i);
        if (load<u8>(VOCAB_SLOT + <usize>slot) !== 0) {
          store<i32>(
            VOCAB_INDEX + ((<usize>slot) << 2),
            c === 34 && lastFlags === 0 ? vocabIndex(slot, valueStart + 1, i - 1) : -1,
          );
        }
      }
      i = skipWs(i, end);
      if (i >= end) return 0;
      const sep = at(i);
      if (sep === 125) {
        i++;
        break;
      }
      if (sep !== 44) return 0;
      i = skipWs(i + 1, end);
    }
  }
  return skipWs(i, end) === end ? 1 : 0;
}
