import { isUtf8 } from 'node:buffer';
import { invalidUtf8At } from '../lib/utf8.ts';
import { createRedactor } from '../redact/redactor.ts';
import type { Redactor } from '../redact/types.ts';
import { HI, hashAccountKeyBytes64, hashKey64, keyHash, LO } from '../registry-files/key-hash.ts';
import { subjectKeyProblem } from '../registry-files/subject-keys.ts';
import type { BatchSummary } from './batch-summary.ts';
import { type NamedAccount, NamedSubjectFinder } from './named-subjects.ts';
import { type ObjectorSet, type ObjectorSetDescriptor, objectorSetFrom } from './objector-set.ts';
import type { Policy } from './policy-schema.ts';
import { REASON_INDEX, REASONS, type Reason } from './reasons.ts';
import { type FieldMapping, setterFor } from './record-fields.ts';
import { type ReaderKind, type RecordReader, recordReader } from './record-readers.ts';
import { stringAt } from './record-scanner.ts';
import { ID } from './record-slots.ts';
import { emptyFacts, MalformedRecord, RecordValidator } from './record-validation.ts';
import { type RedactionPrecheck, redactionPrecheck } from './redaction-precheck.ts';
import {
  compileRules,
  contentRule,
  type RecordFacts,
  type RuleSet,
  type SubjectLookups,
  subjectRule,
} from './rules.ts';

/**
 * Decides every record of a batch of JSONL bytes. Runs the same in a worker thread and inline:
 * its output depends only on the batch bytes and the configuration, which is what makes a run's
 * output byte-identical for any number of workers.
 */
export interface JudgeConfig {
  policy: Policy;
  mapping: FieldMapping;
  objectors: ObjectorSetDescriptor;
  /** Input paths, to name them in rejects. */
  inputs: string[];
  /**
   * Names, handles and profile URLs of people who objected as third parties: redacted exactly
   * wherever they appear, whatever the policy's redaction settings.
   */
  objectorTerms?: string[];
  /**
   * How records are read: `scanner` (default: `RecordScanner`, in WebAssembly where it runs,
   * `JSON.parse` for what it leaves), `scanner-js` (the same in JavaScript) or `json-parse` for
   * every record. All give the same decisions; tests compare them.
   */
  reader?: ReaderKind;
  /**
   * Accounts' handles and display names (the names file): a text naming one, or linking to a
   * profile by the policy's `objections.profileUrls`, names that account as `mentions` would.
   */
  namedAccounts?: NamedAccount[];
  /** The dataset's pseudonym key (see `datasetPseudonymKey`), when the policy's mode is `pseudonym`. */
  pseudonymKey?: string;
}

export interface BatchResult {
  /**
   * Kept records, one line each, `\n`-terminated: original bytes unless redaction changed them.
   * `out`, `inclusions` and `decisions` are views of one ArrayBuffer (`out.buffer`), so a worker
   * transfers one buffer per batch and the main thread can hand it back for reuse (see
   * `processBatch`'s `spare`).
   */
  out: Uint8Array;
  /** One count per reason, in {@link REASONS} order. */
  counts: number[];
  /** Records with `kept` (equal to the lines in `out`). */
  kept: number;
  /** Lines with no record (empty or white space only): not records, counted apart. */
  blank: number;
  /** Kept records whose text was redacted. */
  redacted: number;
  /** `subject_key \t item_id \t role \t input_index \t line` per subject of each kept record (UTF-8). */
  inclusions: Uint8Array;
  /** `input_index \t line \t reason \t item_id` per record (UTF-8). */
  decisions: Uint8Array;
  /** One JSON object per malformed record: `{ input, line, reason, error }`. */
  rejects: string;
  /** Added by the thread that judged the batch, when the build asks for it (batch-summary.ts). */
  summary?: BatchSummary;
}

/**
 * The hot path's three steps per record, each its own module: a reader fills the slots
 * (`record-readers.ts`), the validator turns them into the facts the rules read
 * (`record-validation.ts`), and the rules decide (`rules.ts`). This module runs them over a batch
 * of lines and writes the kept lines and the rows.
 */
export class Judge {
  #batchIsUtf8 = true;
  readonly #objectors: ObjectorSet;
  readonly #inputs: string[];
  readonly #reader: RecordReader;
  readonly #validator: RecordValidator;
  readonly #rules: RuleSet;
  /** The record being judged, as the rules read it (reused). */
  readonly #facts: RecordFacts = emptyFacts();
  /** Its subjects' objections, for the rules (reused). */
  readonly #lookups: SubjectLookups = { authorObjected: false, mentionObjected: false };
  /** The other subjects a record names (mentions, then its text's named accounts). */
  #mentions: string[] | undefined;
  readonly #records = new BatchRecords();
  readonly #setText: (r: Record<string, unknown>, v: unknown) => void;
  readonly #redactor: Redactor | undefined;
  readonly #mayRedact: RedactionPrecheck | undefined;
  /** Finds the accounts a text names (named objectors), when there are any to find. */
  readonly #named: NamedSubjectFinder | undefined;
  readonly #inclusions = new ByteSink(1 << 20);
  readonly #decisions = new ByteSink(1 << 19);

  constructor(config: JudgeConfig, redactor?: Redactor) {
    const { policy, mapping } = config;
    this.#objectors = objectorSetFrom(config.objectors);
    this.#inputs = config.inputs;
    this.#reader = recordReader(policy, mapping, config.reader);
    this.#validator = new RecordValidator(policy, mapping);
    this.#rules = compileRules(policy);
    this.#setText = setterFor(mapping, 'text');
    const named = new NamedSubjectFinder(config.namedAccounts ?? [], policy.objections.profileUrls);
    this.#named = named.active ? named : undefined;
    const terms = config.objectorTerms ?? [];
    const categories = policy.redaction.enabled ? policy.redaction.categories : [];
    if (categories.length > 0 || terms.length > 0) {
      this.#redactor =
        redactor ??
        createRedactor({
          categories,
          mode: policy.redaction.mode,
          pseudonymKey: config.pseudonymKey,
          defaultRegion: policy.redaction.defaultRegion,
          objectorTerms: terms,
          keepPublicFigures: policy.redaction.publicFigures.keep,
          publicFigureNames: policy.redaction.publicFigures.names,
          profileUrlPatterns: policy.redaction.profileUrlPatterns,
        });
      // Third-party objectors' terms can be any word: no cheap byte test rules them out.
      this.#mayRedact = terms.length > 0 ? undefined : redactionPrecheck(categories);
      if (this.#mayRedact) this.#reader.setPrecheck(this.#mayRedact);
    }
  }

  /**
   * Judges the `\n`-separated records in `bytes[start, end)`; `firstLine` is the 1-based line of
   * the first. `spare`: a buffer of an earlier result, no longer used, to write this result into.
   * Why: a fresh buffer per batch on each side (4 MiB batches then) made the main thread run a full
   * mark-compact every ~130 ms for "external memory pressure" (22 of them, ~350 ms of its CPU,
   * plus ~175 ms of scavenges, at scale 0.3 with 2 workers; measured with --trace-gc).
   */
  processBatch(
    bytes: Uint8Array,
    start: number,
    end: number,
    input: number,
    firstLine: number,
    spare?: ArrayBuffer,
  ): BatchResult {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const counts = new Array<number>(REASONS.length).fill(0);
    // Three passes, each in a method of its own. Why: with all three in one function, V8
    // optimised it on the stack (OSR) inside the first loop, before the code after that loop had
    // ever run; that code then left the optimised version at the objector lookup of almost every
    // batch (~460 deoptimisations a run), and the rest of the batch ran in the interpreter until
    // the next loop was entered on the stack again.
    // One check of the whole batch (native, several GB/s); only a batch that fails it is checked
    // line by line, to reject exactly the records that are not UTF-8.
    this.#batchIsUtf8 = isUtf8(buf.subarray(start, end));
    const read = this.#readRecords(buf, start, end, input, firstLine);
    // Pass 2: the objector set, for every author of the batch at once.
    const recs = this.#records;
    this.#objectors.hasAll(recs.his, recs.los, recs.count, recs.objected);
    return this.#writeResults(buf, start, end, input, counts, read.blank, read.rejects, spare);
  }

  /**
   * Pass 1: reads each record of `buf[start, end)` and applies every rule but the objector set,
   * into `#records`; the blank lines and the rejects' rows.
   */
  #readRecords(
    buf: Buffer,
    start: number,
    end: number,
    input: number,
    firstLine: number,
  ): { blank: number; rejects: string } {
    let blank = 0;
    let rejects = '';

    // Pass 1: read each record and apply every rule but the objector set; remember what the
    // other passes need. Why passes: an objector lookup is a cache miss into a table of
    // ~13 bytes per objector (~130 MB at 10M), ~200 ns each when done record by record; asked
    // for the whole batch at once the misses overlap (see `ObjectorSet.hasAll`).
    const recs = this.#records;
    recs.reset();
    const reader = this.#reader;
    reader.load(buf, end);
    const validator = this.#validator;
    const facts = this.#facts;
    const rules = this.#rules;
    let line = firstLine;
    let pos = start;
    while (pos < end) {
      let nl = buf.indexOf(10, pos);
      if (nl < 0 || nl > end) nl = end;
      let stop = nl;
      if (stop > pos && buf[stop - 1] === 13) stop--;
      const lineNo = line++;
      const lineStart = pos;
      pos = nl + 1;
      if (isBlank(buf, lineStart, stop)) {
        blank++;
        continue;
      }
      let id = '';
      let reason: Reason;
      let malformed = false;
      /** Whether the reader was given the line: its id bytes are then this record's. */
      let read = false;
      this.#mentions = undefined;
      try {
        // Bytes that are not UTF-8 would be decoded as U+FFFD and judged, then copied as they
        // are into the dataset: the record is rejected instead, with where its first bad byte is.
        const badByte = this.#batchIsUtf8 ? -1 : invalidUtf8At(buf.subarray(lineStart, stop));
        if (badByte >= 0) {
          throw new MalformedRecord(
            `not valid UTF-8: byte offset ${badByte} of the line (0x${buf[lineStart + badByte]!.toString(16).padStart(2, '0')})`,
          );
        }
        read = true;
        reader.read(buf, lineStart, stop);
        if (reader.idStart < 0) id = validator.identifier(reader.slots[ID], 'id');
        validator.facts(reader.slots, buf, reader.authorStart, reader.authorEnd, facts);
        this.#mentions = validator.mentions;
        reason = contentRule(facts, rules);
        if (this.#named) {
          // The people its text names are subjects of the record, as if in `mentions`.
          const named = this.#named.find(reader.text(buf));
          if (named) {
            const author =
              validator.author ||
              `acct:${stringAt(buf, reader.authorStart - 1, reader.authorEnd + 1, 0)}`;
            for (const key of named) {
              if (key === author || subjectKeyProblem(key)) continue;
              this.#mentions ??= [];
              if (!this.#mentions.includes(key)) this.#mentions.push(key);
            }
          }
        }
      } catch (err) {
        if (!(err instanceof MalformedRecord)) throw err;
        reason = 'malformed';
        malformed = true;
        rejects += `${JSON.stringify({ input: this.#inputs[input], line: lineNo, reason, error: err.message })}\n`;
      }
      const k = recs.add();
      recs.lineStart[k] = lineStart;
      recs.stop[k] = stop;
      recs.nl[k] = nl;
      recs.line[k] = lineNo;
      recs.reason[k] = REASON_INDEX[reason];
      recs.ids.push(id);
      // A malformed record's decision row names its id too, when it could be read.
      recs.idStart[k] = read ? reader.idStart : -1;
      recs.idEnd[k] = read ? reader.idEnd : -1;
      recs.records.push(malformed ? undefined : reader.record);
      recs.authorStart[k] = -1;
      if (malformed) {
        recs.authors.push('');
        recs.mentions.push(undefined);
        recs.his[k] = 0;
        recs.los[k] = 0;
      } else {
        recs.mentions.push(this.#mentions);
        const authorStart = reader.authorStart;
        if (authorStart >= 0) {
          recs.authors.push('');
          recs.authorStart[k] = authorStart;
          recs.authorEnd[k] = reader.authorEnd;
          hashAccountKeyBytes64(buf, authorStart, reader.authorEnd);
        } else {
          const author = validator.author;
          recs.authors.push(author);
          hashKey64(author);
        }
        recs.his[k] = keyHash[HI]!;
        recs.los[k] = keyHash[LO]!;
        recs.textStart[k] = reader.textStart;
        recs.textEnd[k] = reader.textEnd;
        recs.textFlags[k] = reader.textFlags;
      }
    }
    return { blank, rejects };
  }

  /** Pass 3: the decisions, rows and kept lines of the records `#readRecords` read. */
  #writeResults(
    buf: Buffer,
    start: number,
    end: number,
    input: number,
    counts: number[],
    blank: number,
    rejects: string,
    spare: ArrayBuffer | undefined,
  ): BatchResult {
    const recs = this.#records;
    const n = recs.count;
    const reader = this.#reader;
    const rules = this.#rules;
    const lookups = this.#lookups;
    // Pass 3: in line order, the decision (an objector's record is 'objected' whatever else
    // applies: the rules' order in reasons.ts), the rows and the kept lines.
    // Room for the kept lines and the rows after them (~17 % of the input when all is kept),
    // so that a spare from a batch of about the same size is big enough.
    const want = end - start + 4096;
    let out: Buffer =
      spare && spare.byteLength >= want
        ? Buffer.from(spare)
        : Buffer.allocUnsafeSlow(Math.ceil((end - start) * 1.25) + (64 << 10));
    let used = 0;
    let kept = 0;
    let redacted = 0;
    // Written as bytes as we go, field by field: a template string per row plus its UTF-8 write
    // cost ~0.35 µs a record (~9 % of the judge), and thousands of small strings kept alive
    // until the end of the batch would be promoted out of the young generation.
    const inclusions = this.#inclusions;
    const decisions = this.#decisions;
    inclusions.reset();
    decisions.reset();
    let runStart = 0;
    let runEnd = -1;
    const flushRun = () => {
      if (runEnd < 0) return;
      const len = runEnd - runStart;
      if (used + len > out.length) out = grow(out, used, len);
      buf.copy(out, used, runStart, runEnd);
      used += len;
      runEnd = -1;
    };
    for (let k = 0; k < n; k++) {
      let reasonIndex = recs.reason[k]!;
      const mentions = recs.mentions[k];
      if (reasonIndex !== MALFORMED) {
        // The subjects' rules, on pass 2's answers (`contentRule` ran in pass 1): together the
        // two are `decide`. Mentions are looked up only when they can change the decision.
        lookups.authorObjected = recs.objected[k] === 1;
        lookups.mentionObjected =
          !lookups.authorObjected &&
          rules.coverMentions &&
          mentions !== undefined &&
          this.#anyObjector(mentions);
        const subject = subjectRule(lookups, rules);
        if (subject !== undefined)
          reasonIndex = subject === 'objected' ? OBJECTED : OBJECTED_MENTION;
      }
      counts[reasonIndex]!++;
      const id = recs.ids[k]!;
      const idStart = recs.idStart[k]!;
      const idEnd = recs.idEnd[k]!;
      const lineNo = recs.line[k]!;
      // `input \t line \t reason \t id \n`
      decisions.decisionRow(input, lineNo, REASON_COLUMNS[reasonIndex]!, buf, idStart, idEnd, id);
      if (reasonIndex !== KEPT) continue;
      kept++;
      // `subject \t id \t role \t input \t line \n` per subject, the author first.
      const authorStart = recs.authorStart[k]!;
      if (authorStart >= 0) {
        inclusions.raw(ACCOUNT_PREFIX);
        inclusions.bytes(buf, authorStart, recs.authorEnd[k]!);
      } else inclusions.text(recs.authors[k]!);
      inclusions.inclusionRowRest(input, lineNo, AUTHOR_COLUMN, buf, idStart, idEnd, id);
      if (mentions !== undefined) {
        for (let i = 0; i < mentions.length; i++) {
          inclusions.text(mentions[i]!);
          inclusions.inclusionRowRest(input, lineNo, MENTION_COLUMN, buf, idStart, idEnd, id);
        }
      }
      const lineStart = recs.lineStart[k]!;
      const stop = recs.stop[k]!;
      const nl = recs.nl[k]!;
      const record = recs.records[k];
      let replacement: string | undefined;
      /** Fast path, text redacted: the new text as a JSON string, spliced into the line. */
      let textLiteral: string | undefined;
      if (this.#redactor) {
        const may = this.#mayRedact;
        let t: string | undefined;
        if (record) {
          t = reader.textOf(record) as string;
          if (may !== undefined && !may.text(t)) t = undefined;
        } else {
          // The text's value is `[textStart + 1, textEnd - 1)`, between its quotes; plain ASCII
          // bytes (flags 0) are its characters, so most texts are ruled out without a string.
          const from = recs.textStart[k]!;
          const to = recs.textEnd[k]!;
          const flags = recs.textFlags[k]!;
          // The scanner applies the pre-check on the batch it loaded (in WebAssembly if it can).
          if (may === undefined || (flags === 0 ? reader.mayHoldAt(from + 1, to - 1) : true)) {
            t = stringAt(buf, from, to, flags);
            if (flags !== 0 && may !== undefined && !may.text(t)) t = undefined;
          }
        }
        if (t !== undefined && t.length > 0) {
          const r = this.#redactor.redact(t);
          if (r.changed) {
            if (record) this.#setText(record, r.text);
            else textLiteral = JSON.stringify(r.text);
            redacted++;
          }
        }
      }
      // A record read by `JSON.parse` is written as it was read and judged, never as its bytes:
      // the bytes may hold a field twice (`{"text": "<a phone number>", "te\u0078t": "hi"}`,
      // two authors), and only the last one, which `JSON.parse` keeps, was judged and redacted.
      if (record) replacement = JSON.stringify(record);
      if (replacement === undefined && textLiteral === undefined && stop === nl && nl < end) {
        // Unchanged and `\n`-terminated: extend the run of consecutive kept lines, copied in one
        // go when it breaks (most kept lines follow another kept line).
        if (runEnd !== lineStart) {
          flushRun();
          runStart = lineStart;
        }
        runEnd = nl + 1;
        continue;
      }
      flushRun();
      if (textLiteral !== undefined) {
        // The line as it came, but for the text's value: the other fields keep their bytes.
        const textStart = recs.textStart[k]!;
        const textEnd = recs.textEnd[k]!;
        const len = textStart - lineStart + Buffer.byteLength(textLiteral) + stop - textEnd;
        if (used + len + 1 > out.length) out = grow(out, used, len + 1);
        used += buf.copy(out, used, lineStart, textStart);
        used += (out as unknown as Utf8Writer).utf8Write(textLiteral, used);
        used += buf.copy(out, used, textEnd, stop);
      } else if (replacement === undefined) {
        const len = stop - lineStart;
        if (used + len + 1 > out.length) out = grow(out, used, len + 1);
        buf.copy(out, used, lineStart, stop);
        used += len;
      } else {
        const len = Buffer.byteLength(replacement);
        if (used + len + 1 > out.length) out = grow(out, used, len + 1);
        used += out.write(replacement, used, 'utf8');
      }
      out[used++] = 10;
    }
    flushRun();
    recs.release();
    // The rows go after the kept lines, in the same buffer: one transfer, one buffer to reuse.
    const rowBytes = inclusions.length + decisions.length;
    if (used + rowBytes > out.length) out = grow(out, used, rowBytes);
    const dataEnd = used;
    used += inclusions.copyTo(out, used);
    const inclusionsEnd = used;
    used += decisions.copyTo(out, used);
    return {
      out: out.subarray(0, dataEnd),
      counts,
      kept,
      blank,
      redacted,
      inclusions: out.subarray(dataEnd, inclusionsEnd),
      decisions: out.subarray(inclusionsEnd, used),
      rejects,
    };
  }

  #anyObjector(keys: string[]): boolean {
    for (let i = 0; i < keys.length; i++) if (this.#objectors.has(keys[i]!)) return true;
    return false;
  }
}

const KEPT = REASON_INDEX.kept;
const MALFORMED = REASON_INDEX.malformed;
const OBJECTED = REASON_INDEX.objected;
const OBJECTED_MENTION = REASON_INDEX['objected-mention'];

/**
 * What `processBatch`'s first pass keeps of each record for the other two: one slot per record,
 * typed arrays for the numbers, reused from batch to batch.
 */
class BatchRecords {
  count = 0;
  lineStart = new Int32Array(4096);
  stop = new Int32Array(4096);
  nl = new Int32Array(4096);
  line = new Float64Array(4096);
  reason = new Uint8Array(4096);
  his = new Uint32Array(4096);
  los = new Uint32Array(4096);
  objected = new Uint8Array(4096);
  textStart = new Int32Array(4096);
  textEnd = new Int32Array(4096);
  textFlags = new Uint8Array(4096);
  /** The id's and the author id's bytes in the batch; -1 when `ids[k]`/`authors[k]` hold them. */
  idStart = new Int32Array(4096);
  idEnd = new Int32Array(4096);
  authorStart = new Int32Array(4096);
  authorEnd = new Int32Array(4096);
  ids: string[] = [];
  authors: string[] = [];
  mentions: (string[] | undefined)[] = [];
  /** The parsed record when the scanner left it to `JSON.parse`. */
  records: (Record<string, unknown> | undefined)[] = [];

  reset(): void {
    this.count = 0;
  }

  /** A slot for one more record; its index. */
  add(): number {
    const k = this.count++;
    if (k === this.lineStart.length) {
      const grow = <T extends Int32Array | Float64Array | Uint8Array | Uint32Array>(a: T): T => {
        const bigger = new (a.constructor as new (n: number) => T)(a.length * 2);
        bigger.set(a);
        return bigger;
      };
      this.lineStart = grow(this.lineStart);
      this.stop = grow(this.stop);
      this.nl = grow(this.nl);
      this.line = grow(this.line);
      this.reason = grow(this.reason);
      this.his = grow(this.his);
      this.los = grow(this.los);
      this.objected = grow(this.objected);
      this.textStart = grow(this.textStart);
      this.textEnd = grow(this.textEnd);
      this.textFlags = grow(this.textFlags);
      this.idStart = grow(this.idStart);
      this.idEnd = grow(this.idEnd);
      this.authorStart = grow(this.authorStart);
      this.authorEnd = grow(this.authorEnd);
    }
    return k;
  }

  /** Drops the batch's strings and records (they would otherwise live until the next batch). */
  release(): void {
    this.ids.length = 0;
    this.authors.length = 0;
    this.mentions.length = 0;
    this.records.length = 0;
  }
}

/** `\t<reason>\t` as bytes, in {@link REASONS} order. */
const REASON_COLUMNS = REASONS.map((r) => Buffer.from(`\t${r}\t`));
const AUTHOR_COLUMN = Buffer.from('\tauthor\t');
const ACCOUNT_PREFIX = Buffer.from('acct:');
const MENTION_COLUMN = Buffer.from('\tmention\t');

interface Utf8Writer {
  utf8Write(s: string, offset: number): number;
}

/**
 * A growable byte buffer for TSV rows, reused from batch to batch. Short ASCII strings (ids,
 * subject keys) are copied code unit by code unit, which is several times cheaper than a call
 * into the UTF-8 encoder for ~10 characters; anything else goes through the encoder.
 */
class ByteSink {
  #buf: Buffer;
  #used = 0;
  constructor(initial: number) {
    this.#buf = Buffer.allocUnsafeSlow(Math.max(4096, initial));
  }
  get length(): number {
    return this.#used;
  }
  reset(): void {
    this.#used = 0;
  }
  #room(n: number): void {
    if (this.#used + n > this.#buf.length) this.#buf = grow(this.#buf, this.#used, n);
  }
  byte(b: number): void {
    this.#room(1);
    this.#buf[this.#used++] = b;
  }
  raw(bytes: Uint8Array): void {
    this.#room(bytes.length);
    this.#buf.set(bytes, this.#used);
    this.#used += bytes.length;
  }
  /** Bytes of another buffer (ids and keys read from the batch). */
  bytes(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.#room(n);
    const buf = this.#buf;
    const at = this.#used;
    // Ids are short: a loop beats the call into `copy` below ~16 bytes.
    if (n <= 16) for (let i = 0; i < n; i++) buf[at + i] = src[start + i]!;
    else buf.set(src.subarray(start, end), at);
    this.#used = at + n;
  }
  /** A non-negative integer in decimal. */
  uint(n: number): void {
    this.#room(20);
    this.#used = putUint(this.#buf, this.#used, n);
  }
  /**
   * A decision row, `input \t line <reason column> id \n` (the column holds the reason between
   * tabs), with one check for room when the id is bytes of the batch (`idStart` >= 0; else `id`).
   * Why not field by field: seven calls per row, each checking for room, were about a fifth of
   * the judge's row writing.
   */
  decisionRow(
    input: number,
    line: number,
    column: Uint8Array,
    src: Uint8Array,
    idStart: number,
    idEnd: number,
    id: string,
  ): void {
    if (idStart < 0) {
      this.uint(input);
      this.byte(9);
      this.uint(line);
      this.raw(column);
      this.text(id);
      this.byte(10);
      return;
    }
    const idLength = idEnd - idStart;
    // Two numbers of at most 16 digits, a tab, the column, the id and the line end.
    this.#room(40 + column.length + idLength);
    const buf = this.#buf;
    let at = putUint(buf, this.#used, input);
    buf[at++] = 9;
    at = putUint(buf, at, line);
    at = putBytes(buf, at, column, 0, column.length);
    at = putBytes(buf, at, src, idStart, idEnd);
    buf[at++] = 10;
    this.#used = at;
  }

  /**
   * An inclusion row after its subject, `\t id <role column> input \t line \n`, written as
   * {@link decisionRow} writes its row.
   */
  inclusionRowRest(
    input: number,
    line: number,
    column: Uint8Array,
    src: Uint8Array,
    idStart: number,
    idEnd: number,
    id: string,
  ): void {
    if (idStart < 0) {
      this.byte(9);
      this.text(id);
      this.raw(column);
      this.uint(input);
      this.byte(9);
      this.uint(line);
      this.byte(10);
      return;
    }
    const idLength = idEnd - idStart;
    this.#room(40 + column.length + idLength);
    const buf = this.#buf;
    let at = this.#used;
    buf[at++] = 9;
    at = putBytes(buf, at, src, idStart, idEnd);
    at = putBytes(buf, at, column, 0, column.length);
    at = putUint(buf, at, input);
    buf[at++] = 9;
    at = putUint(buf, at, line);
    buf[at++] = 10;
    this.#used = at;
  }

  /** A string as UTF-8. */
  text(s: string): void {
    const n = s.length;
    this.#room(n * 3);
    const buf = this.#buf;
    const at = this.#used;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        // `utf8Write` is what `write(s, offset, 'utf8')` ends in, minus the argument handling.
        this.#used = at + (buf as unknown as Utf8Writer).utf8Write(s, at);
        return;
      }
      buf[at + i] = c;
    }
    this.#used = at + n;
  }
  copyTo(target: Buffer, at: number): number {
    this.#buf.copy(target, at, 0, this.#used);
    return this.#used;
  }
}

/** Copies `src[from, to)` (a few bytes: a loop beats a call into `set`) to `at`; where it ends. */
function putBytes(buf: Uint8Array, at: number, src: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) buf[at++] = src[i]!;
  return at;
}

/** Writes a non-negative integer below 2^53 in decimal at `at`; where it ends. */
function putUint(buf: Uint8Array, at: number, n: number): number {
  if (n < 10) {
    buf[at] = 48 + n;
    return at + 1;
  }
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  let i = at + digits;
  let m = n;
  // `Math.floor` while above 31 bits, then integer division by `| 0` (every line number in
  // practice): with `Math.floor` all the way, writing numbers was ~2 % of a worker's profile.
  while (m > 0x7fffffff) {
    const q = Math.floor(m / 10);
    buf[--i] = 48 + m - q * 10;
    m = q;
  }
  for (;;) {
    const q = (m / 10) | 0;
    buf[--i] = 48 + m - q * 10;
    if (q === 0) break;
    m = q;
  }
  return at + digits;
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

function grow(out: Buffer, used: number, need: number): Buffer {
  // Redaction placeholders can be longer than what they replace.
  const bigger = Buffer.allocUnsafeSlow(Math.max(out.length * 2, used + need + 4096));
  out.copy(bigger, 0, 0, used);
  return bigger;
}
