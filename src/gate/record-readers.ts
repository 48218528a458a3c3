import type { Policy } from './policy-schema.ts';
import {
  CANONICAL_FIELDS,
  type FieldMapping,
  type Getter,
  getterFor,
  mappedName,
} from './record-fields.ts';
import { RecordScanner, STRING, stringAt } from './record-scanner.ts';
import {
  ACCOUNT_ID_BYTES,
  AUDIENCE,
  AUTHOR,
  CREATED,
  ID,
  KIND,
  MAX_ID_LENGTH,
  REGION,
  REPLY_TO,
  TEXT,
  TEXT_IS_STRING,
} from './record-slots.ts';
import { MalformedRecord } from './record-validation.ts';
import type { RedactionPrecheck } from './redaction-precheck.ts';

/**
 * How the gate reads one JSONL record into the slots the rules read (`record-slots.ts`), behind
 * one interface: `JSON.parse` (`ParsedRecordReader`, the reference: it reads every record, nested
 * mappings included) or the record scanner (`ScannedRecordReader`, in WebAssembly where it runs,
 * else its JavaScript twin), which reads plain records in place and leaves the rest to
 * `JSON.parse`. Every reader gives the same decisions; tests compare them. (A Parquet input is
 * turned into JSONL lines by DuckDB first, `parquet.ts`, and then read by the same readers.)
 *
 * After `read`, a reader's public fields describe the record: the slots, and where its id, author
 * id and text are in the batch when they were read as bytes (so the rows can be written from the
 * bytes, and the text redacted in place), or the parsed record otherwise.
 */
export interface RecordReader {
  /** One value per canonical field (see `record-slots.ts` for the markers in place of values). */
  readonly slots: unknown[];
  /** The parsed record, when `JSON.parse` read it: it is then written back as parsed. */
  record: Record<string, unknown> | undefined;
  /** The id's bytes in the batch (`[idStart, idEnd)`), or -1 when `slots[ID]` holds it. */
  idStart: number;
  idEnd: number;
  /** The author id's bytes, when `slots[AUTHOR]` is ACCOUNT_ID_BYTES; else -1. */
  authorStart: number;
  authorEnd: number;
  /** The text's JSON string in the batch, quotes included, when read as bytes; else -1. */
  textStart: number;
  textEnd: number;
  /** The scanner's flags of the text (0: plain ASCII, no escape). */
  textFlags: number;
  /** Makes `buf[0, end)` the batch that `read` reads (the WebAssembly engine copies it). */
  load(buf: Buffer, end: number): void;
  /** Reads the record in `buf[start, stop)`; a {@link MalformedRecord} when it is not one. */
  read(buf: Buffer, start: number, stop: number): void;
  /** The text of the record last read, as a string. */
  text(buf: Buffer): string;
  /** The text of a parsed record (`record`), through the mapping. */
  textOf(record: Record<string, unknown>): unknown;
  /** The redaction pre-check on a plain text's bytes (`RedactionPrecheck.asciiBytes`). */
  setPrecheck(precheck: RedactionPrecheck): void;
  mayHoldAt(from: number, to: number): boolean;
}

/** Which reader a judge uses (`JudgeConfig.reader`). */
export type ReaderKind = 'scanner' | 'scanner-js' | 'json-parse';

/**
 * The reader for a policy and mapping: the scanner unless asked for `json-parse`, or unless the
 * mapping needs what only a parsed object gives.
 */
export function recordReader(policy: Policy, mapping: FieldMapping, kind?: ReaderKind) {
  const names = CANONICAL_FIELDS.map((f) => mappedName(mapping, f));
  const readNames = names.filter((_, i) => i !== REPLY_TO);
  // The scanner reads top-level keys only, one field per key, and an inherited name
  // (`constructor`) reads differently on a parsed object: such mappings take the `JSON.parse`
  // path throughout.
  const scannable =
    kind !== 'json-parse' &&
    new Set(readNames).size === readNames.length &&
    names.every((n) => !n.includes('.') && !(n in Object.prototype));
  return scannable
    ? new ScannedRecordReader(policy, mapping, names, kind === 'scanner-js' ? 'js' : 'wasm')
    : new ParsedRecordReader(mapping);
}

interface Utf8Slicer {
  utf8Slice(start: number, end: number): string;
}

/** `JSON.parse` of every record, fields through the mapping's getters. */
export class ParsedRecordReader implements RecordReader {
  readonly slots: unknown[] = new Array(CANONICAL_FIELDS.length).fill(undefined);
  record: Record<string, unknown> | undefined;
  idStart = -1;
  idEnd = -1;
  authorStart = -1;
  authorEnd = -1;
  textStart = -1;
  textEnd = -1;
  textFlags = 0;
  /** One getter per canonical field. */
  readonly #get: Getter[];

  constructor(mapping: FieldMapping) {
    this.#get = CANONICAL_FIELDS.map((f) => getterFor(mapping, f));
  }

  load(_buf: Buffer, _end: number): void {}

  read(buf: Buffer, start: number, stop: number): void {
    this.idStart = -1;
    this.authorStart = -1;
    this.textStart = -1;
    // `utf8Slice` is what `toString('utf8', ...)` ends in, minus its argument handling.
    const text = (buf as unknown as Utf8Slicer).utf8Slice(start, stop);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      this.record = undefined;
      throw new MalformedRecord(`not valid JSON (${(err as Error).message})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      this.record = undefined;
      throw new MalformedRecord('not a JSON object');
    }
    const record = parsed as Record<string, unknown>;
    this.record = record;
    const v = this.slots;
    for (let i = 0; i < v.length; i++) v[i] = this.#get[i]!(record);
    if (typeof v[TEXT] === 'string') v[TEXT] = TEXT_IS_STRING;
  }

  text(_buf: Buffer): string {
    return this.#get[TEXT]!(this.record!) as string;
  }

  setPrecheck(_precheck: RedactionPrecheck): void {}

  mayHoldAt(_from: number, _to: number): boolean {
    // No bytes in place to rule out: a parsed record's text is checked as a string
    // (`RedactionPrecheck.text`).
    return true;
  }

  textOf(record: Record<string, unknown>): unknown {
    return this.#get[TEXT]!(record);
  }
}

/**
 * How the scanner reads each slot (`#how`): its value (the default, so a new field is read in
 * full), from a small vocabulary (interned), its type only (a field whose value this policy never
 * reads), the text (kept as bytes until a record is kept), or as id bytes.
 */
const READ_VALUE = 0;
const READ_VOCABULARY = 1;
const READ_TYPE = 2;
const READ_TEXT = 3;
/** The id and the author id: as bytes when they pass their checks as bytes (see `plainId`). */
const READ_ID_BYTES = 4;

/**
 * The record scanner over the loaded batch; a record it cannot read in place (escaped keys,
 * duplicate keys, anything unusual) goes to `JSON.parse`, as the reference reads it.
 */
export class ScannedRecordReader extends ParsedRecordReader {
  readonly #scanner: RecordScanner;
  readonly #how = new Uint8Array(CANONICAL_FIELDS.length).fill(READ_VALUE);
  /** Whether the record last read was read in place (else `JSON.parse` read it). */
  #scanned = false;

  constructor(
    policy: Policy,
    mapping: FieldMapping,
    names: readonly string[],
    engine: 'wasm' | 'js',
  ) {
    super(mapping);
    const how = this.#how;
    how[ID] = READ_ID_BYTES;
    how[AUTHOR] = READ_ID_BYTES;
    how[KIND] = READ_VOCABULARY;
    how[AUDIENCE] = READ_VOCABULARY;
    how[TEXT] = READ_TEXT;
    how[REPLY_TO] = READ_TYPE; // no rule reads it
    if (policy.content.notBefore === undefined) how[CREATED] = READ_TYPE;
    how[REGION] = policy.content.regions ? READ_VOCABULARY : READ_TYPE;
    this.#scanner = new RecordScanner(
      names.map((n, i) => (i === REPLY_TO ? undefined : n)),
      engine,
      // The slots read with `vocabulary`, which WebAssembly looks up as it scans them.
      names.flatMap((_, i) => (how[i] === READ_VOCABULARY ? [i] : [])),
    );
  }

  override load(buf: Buffer, end: number): void {
    this.#scanner.load(buf, end);
  }

  override read(buf: Buffer, start: number, stop: number): void {
    const sc = this.#scanner;
    if (!sc.scanAt(start, stop)) {
      this.#scanned = false;
      super.read(buf, start, stop);
      return;
    }
    this.#scanned = true;
    this.record = undefined;
    let idStart = -1;
    let idEnd = -1;
    let authorStart = -1;
    let authorEnd = -1;
    const v = this.slots;
    const how = this.#how;
    for (let i = 0; i < v.length; i++) {
      const h = how[i]!;
      if (h === READ_VALUE) v[i] = sc.value(buf, i);
      else if (h === READ_VOCABULARY)
        v[i] = sc.type[i] === STRING ? sc.vocabulary(buf, i) : sc.value(buf, i);
      else if (h === READ_TYPE) v[i] = sc.typeOnly(buf, i);
      else if (h === READ_TEXT) v[i] = sc.type[i] === STRING ? TEXT_IS_STRING : sc.value(buf, i);
      else if (sc.type[i] === STRING && sc.flags[i] === 0) {
        // READ_ID_BYTES: plain ASCII strings, no escapes; anything else as a value.
        const from = sc.start[i]! + 1;
        const to = sc.end[i]! - 1;
        if (i === ID && plainId(buf, from, to)) {
          idStart = from;
          idEnd = to;
          v[i] = undefined;
        } else if (i === AUTHOR && plainAccountId(buf, from, to)) {
          authorStart = from;
          authorEnd = to;
          v[i] = ACCOUNT_ID_BYTES;
        } else v[i] = sc.value(buf, i);
      } else v[i] = sc.value(buf, i);
    }
    this.idStart = idStart;
    this.idEnd = idEnd;
    this.authorStart = authorStart;
    this.authorEnd = authorEnd;
    this.textStart = sc.start[TEXT]!;
    this.textEnd = sc.end[TEXT]!;
    this.textFlags = sc.flags[TEXT]!;
  }

  override text(buf: Buffer): string {
    if (!this.#scanned) return super.text(buf);
    return stringAt(buf, this.textStart, this.textEnd, this.textFlags);
  }

  override setPrecheck(precheck: RedactionPrecheck): void {
    this.#scanner.setPrecheck(precheck);
  }

  /** The scanner applies the pre-check on the batch it loaded (in WebAssembly if it can). */
  override mayHoldAt(from: number, to: number): boolean {
    return this.#scanner.mayHoldAt(from, to);
  }
}

/**
 * Whether the bytes of a plain ASCII string (no escapes) pass `RecordValidator.identifier`'s
 * checks: 1 to 500 characters, no control character. (The scanner lets no raw byte under 0x20
 * into a string, so DEL is the one left to look for.)
 */
function plainId(b: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n < 1 || n > MAX_ID_LENGTH) return false;
  for (let i = start; i < end; i++) if (b[i] === 0x7f) return false;
  return true;
}

/**
 * Whether the bytes of a plain ASCII string pass the author id's checks (`identifier` and no
 * space, control character or surrogate): 1 to 500 characters from `!` to `~`. When not, the
 * string path gives the record its exact error.
 */
function plainAccountId(b: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n < 1 || n > MAX_ID_LENGTH) return false;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}
