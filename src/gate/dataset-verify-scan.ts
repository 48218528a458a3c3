import { isUtf8 } from 'node:buffer';
import { createObjectorRecognizer } from '../redact/recognizers/objector-terms.ts';
import type { PiiSpan } from '../redact/types.ts';
import {
  HI,
  hashAccountKeyBytes64,
  hashKey64,
  hashPrintableKeyBytes64,
  keyHash,
  LO,
} from '../registry-files/key-hash.ts';
import { subjectKeyProblem } from '../registry-files/subject-keys.ts';
import { RecentHashes, WordPairs } from './id-hashes.ts';
import { type NamedAccount, NamedSubjectFinder } from './named-subjects.ts';
import { type FieldMapping, getterFor, mappedName } from './record-fields.ts';
import {
  ABSENT,
  ARRAY,
  type Latin1Slicer,
  NULL,
  NUMBER,
  RecordScanner,
  STRING,
} from './record-scanner.ts';

/**
 * The per-record part of `veto dataset verify` (dataset-verify.ts): one chunk of the data file,
 * cut at a line end, read record by record. A chunk is read the same way on the verifying thread
 * or on a gate worker (several chunks at once); what it finds comes back as plain arrays and
 * lines relative to the chunk, and the verifier adds them up in file order. It decides nothing
 * that needs the objector set or the registry: it hashes each record's subjects for the
 * verifier to look up, and hands back the kept authors for the notice check.
 */

/** What a chunk's reader needs: all of it plain data, so that it crosses to a worker thread. */
export interface VerifyScanConfig {
  mapping: FieldMapping;
  coverMentions: boolean;
  /** Terms that must not appear in kept text (objectors' names and third parties' terms). */
  terms: string[];
  /** Named accounts to find in the texts (when the policy covers mentions). */
  namedAccounts: NamedAccount[];
  profileUrls: string[];
  /** Hand back the kept authors (the notice check asks the registry about them). */
  collectAuthors: boolean;
  /** Problems listed per chunk (all are counted). */
  maxProblems: number;
}

export type ScanCheck = 'utf8-json' | 'unique-ids' | 'objectors' | 'third-party-terms';

export interface ScanProblem {
  check: ScanCheck;
  message: string;
  /** 1-based line within the chunk. */
  line: number;
  itemId?: string;
  /** The record has no id to name it by: the verifier names it by its line in the file. */
  itemFromLine?: true;
}

export const AUTHOR_ROLE = 0;
export const MENTION_ROLE = 1;

/** One chunk's findings. Typed arrays are exact-size copies, transferable. */
export interface ChunkScan {
  lines: number;
  blank: number;
  problems: ScanProblem[];
  /** Problems per check, listed or not. */
  problemCounts: Partial<Record<ScanCheck, number>>;
  /** The ids' 64-bit hashes as little-endian word pairs (low word first). */
  idWords: Uint32Array;
  /** The records' subjects: hash lanes, 1-based line within the chunk, file offsets, role. */
  subjects: {
    hi: Uint32Array;
    lo: Uint32Array;
    line: Int32Array;
    start: Float64Array;
    end: Float64Array;
    role: Uint8Array;
  };
  /**
   * The kept authors' subject keys (when collected), each once within the chunk (repeats found
   * by their hashes), `\n`-joined in pieces of up to {@link AUTHORS_PIECE} keys. Made here, on
   * the reading thread: verify's own thread then only splits them. Why: making each key there
   * from the chunk's bytes cost that thread ~0.5 s (and its garbage) of a 1 GB build's verify,
   * where it is what the reading workers wait for. Why pieces: a string or an array above 128 KB
   * is allocated apart from V8's young generation, on memory of its own, and touching new memory
   * is slow on virtual machines (page faults): one string per 4 MiB chunk, and its split, cost
   * verify's thread ~20k page faults at bench scale.
   */
  authors: string[];
}

/** Keys per piece of {@link ChunkScan.authors} (~60 KB of string, a 32 KB array once split). */
export const AUTHORS_PIECE = 4096;

export const S_ID = 0;
export const S_AUTHOR = 1;
export const S_MENTIONS = 2;
export const S_TEXT = 3;
export const MAX_ID_LENGTH = 500;

/** Reads chunks of a dataset's data file (one instance per thread: it holds a scanner). */
export class VerifyScanner {
  readonly names: string[];
  readonly getters: ((r: Record<string, unknown>) => unknown)[];
  readonly #scanner: RecordScanner | undefined;
  readonly #termFinder: ReturnType<typeof createObjectorRecognizer> | undefined;
  readonly #namedFinder: NamedSubjectFinder | undefined;
  readonly #config: VerifyScanConfig;
  readonly #spans: PiiSpan[] = [];

  constructor(config: VerifyScanConfig) {
    this.#config = config;
    const mapping = config.mapping;
    this.names = [
      mappedName(mapping, 'id'),
      mappedName(mapping, 'author_id'),
      mappedName(mapping, 'mentions'),
      mappedName(mapping, 'text'),
    ];
    this.getters = (['id', 'author_id', 'mentions', 'text'] as const).map((f) =>
      getterFor(mapping, f),
    );
    this.#scanner =
      this.names.every((n) => !n.includes('.') && !(n in Object.prototype)) &&
      new Set(this.names).size === this.names.length
        ? new RecordScanner(this.names)
        : undefined;
    this.#termFinder = config.terms.length > 0 ? createObjectorRecognizer(config.terms) : undefined;
    if (config.coverMentions) {
      const finder = new NamedSubjectFinder(config.namedAccounts, config.profileUrls);
      if (finder.active) this.#namedFinder = finder;
    }
  }

  /** The subject keys a record names in its text (for reporting a hit found by hash). */
  namedIn(text: string): string[] {
    return this.#namedFinder?.find(text) ?? [];
  }

  /** Reads the records of `buf[0, end)` (whole lines); `offset`: where `buf` starts in the file. */
  scanChunk(buf: Buffer, end: number, offset: number): ChunkScan {
    const config = this.#config;
    const names = this.names;
    const getters = this.getters;
    const scanner = this.#scanner;
    const termFinder = this.#termFinder;
    const namedFinder = this.#namedFinder;
    const coverMentions = config.coverMentions;
    const spans = this.#spans;
    const problems: ScanProblem[] = [];
    const problemCounts: Partial<Record<ScanCheck, number>> = {};
    const fail = (p: ScanProblem) => {
      problemCounts[p.check] = (problemCounts[p.check] ?? 0) + 1;
      if (problems.length < config.maxProblems) problems.push(p);
    };
    const ids = new WordPairs(Math.max(64, end >> 8));
    const subjects = new SubjectLanes(Math.max(64, end >> 8));
    const collect = config.collectAuthors;
    // Repeats seen recently are dropped, most of them: one missed is only asked twice.
    const authorSeen = collect ? new RecentHashes() : undefined;
    const authors: string[] = [];
    let piece: string[] = [];
    /** A kept author's key, unless its hash was seen recently in the chunk. */
    const keepAuthor = (key: string) => {
      piece.push(key);
      if (piece.length === AUTHORS_PIECE) {
        authors.push(piece.join('\n'));
        piece = [];
      }
    };
    const latin1 = buf as unknown as Latin1Slicer;
    let lineNo = 0;
    let blank = 0;

    const onLine = (b: Buffer, s: number, e: number) => {
      const line = ++lineNo;
      if (s === e) {
        blank++;
        fail({ check: 'utf8-json', line, message: 'empty line' });
        return;
      }
      // The fast path: the scanner read the line, and the id and the author are plain strings
      // (or the id a plain integer) hashed from their bytes, as the gate hashes them.
      let itemId: string | undefined;
      let idBytes = -1;
      let idEnd = -1;
      let authorId: string | undefined;
      let authorBytes = -1;
      let authorEnd = -1;
      let mentions: unknown;
      let text: unknown;
      if (scanner?.scanAt(s, e)) {
        const t = scanner.type;
        const st = scanner.start;
        const en = scanner.end;
        const fl = scanner.flags;
        const idType = t[S_ID]!;
        if (
          (idType === STRING && fl[S_ID] === 0 && plainIdBytes(b, st[S_ID]! + 1, en[S_ID]! - 1)) ||
          (idType === NUMBER && digitBytes(b, st[S_ID]!, en[S_ID]!))
        ) {
          idBytes = idType === STRING ? st[S_ID]! + 1 : st[S_ID]!;
          idEnd = idType === STRING ? en[S_ID]! - 1 : en[S_ID]!;
          hashPrintableKeyBytes64(b, idBytes, idEnd);
          ids.push(keyHash[HI]!, keyHash[LO]!);
        } else {
          itemId = identifier(idType === ABSENT ? undefined : scanner.value(b, S_ID));
          if (itemId === undefined) idBytes = -2;
        }
        if (
          t[S_AUTHOR] === STRING &&
          fl[S_AUTHOR] === 0 &&
          plainIdBytes(b, st[S_AUTHOR]! + 1, en[S_AUTHOR]! - 1)
        ) {
          authorBytes = st[S_AUTHOR]! + 1;
          authorEnd = en[S_AUTHOR]! - 1;
        } else {
          authorId = identifier(t[S_AUTHOR] === ABSENT ? undefined : scanner.value(b, S_AUTHOR));
        }
        const mt = t[S_MENTIONS]!;
        mentions =
          mt === ABSENT || mt === NULL || (mt === ARRAY && en[S_MENTIONS]! - st[S_MENTIONS]! === 2)
            ? undefined
            : mt === ARRAY
              ? scanner.value(b, S_MENTIONS)
              : 0;
        const tt = t[S_TEXT];
        text = tt !== STRING ? 0 : termFinder || namedFinder ? scanner.string(b, S_TEXT) : '';
      } else {
        let record: unknown;
        try {
          record = JSON.parse(b.toString('utf8', s, e));
        } catch (err) {
          fail({ check: 'utf8-json', line, message: `not JSON: ${(err as Error).message}` });
          return;
        }
        if (record === null || typeof record !== 'object' || Array.isArray(record)) {
          fail({ check: 'utf8-json', line, message: 'not a JSON object' });
          return;
        }
        const r = record as Record<string, unknown>;
        itemId = identifier(getters[S_ID]!(r));
        if (itemId === undefined) idBytes = -2;
        authorId = identifier(getters[S_AUTHOR]!(r));
        mentions = getters[S_MENTIONS]!(r);
        text = getters[S_TEXT]!(r);
      }
      if (idBytes === -2) {
        fail({ check: 'unique-ids', line, message: `${names[S_ID]}: missing or not an id` });
      } else if (itemId !== undefined) {
        hashKey64(itemId);
        ids.push(keyHash[HI]!, keyHash[LO]!);
      }
      let authorHi = 0;
      let authorLo = 0;
      if (authorBytes >= 0) {
        hashAccountKeyBytes64(b, authorBytes, authorEnd);
        authorHi = keyHash[HI]! || 1;
        authorLo = keyHash[LO]!;
        subjects.push(authorHi, authorLo, line, offset + s, offset + e, AUTHOR_ROLE);
        if (authorSeen?.add(authorHi, authorLo))
          keepAuthor(`acct:${latin1.latin1Slice(authorBytes, authorEnd)}`);
      } else if (authorId === undefined) {
        fail({
          check: 'objectors',
          line,
          ...itemOf(b, itemId, idBytes, idEnd),
          message: `${names[S_AUTHOR]}: missing or not an account id, so the author cannot be checked`,
        });
      } else {
        const key = `acct:${authorId}`;
        hashKey64(key);
        authorHi = keyHash[HI]! || 1;
        authorLo = keyHash[LO]!;
        subjects.push(authorHi, authorLo, line, offset + s, offset + e, AUTHOR_ROLE);
        if (authorSeen?.add(authorHi, authorLo)) keepAuthor(key);
      }
      if (mentions !== undefined && mentions !== null) {
        if (!Array.isArray(mentions)) {
          fail({
            check: 'objectors',
            line,
            ...itemOf(b, itemId, idBytes, idEnd),
            message: `${names[S_MENTIONS]}: not an array`,
          });
        } else if (coverMentions) {
          for (const m of mentions) {
            const key = mentionKey(m);
            if (key === undefined || subjectKeyProblem(key)) {
              fail({
                check: 'objectors',
                line,
                ...itemOf(b, itemId, idBytes, idEnd),
                message: `${names[S_MENTIONS]}: an entry is not an account id or subject key`,
              });
              continue;
            }
            hashKey64(key);
            const hi = keyHash[HI]! || 1;
            const lo = keyHash[LO]!;
            if (hi !== authorHi || lo !== authorLo)
              subjects.push(hi, lo, line, offset + s, offset + e, MENTION_ROLE);
          }
        }
      }
      if (namedFinder && typeof text === 'string') {
        for (const key of namedFinder.find(text) ?? []) {
          if (subjectKeyProblem(key)) continue;
          hashKey64(key);
          const hi = keyHash[HI]! || 1;
          const lo = keyHash[LO]!;
          if (hi !== authorHi || lo !== authorLo)
            subjects.push(hi, lo, line, offset + s, offset + e, MENTION_ROLE);
        }
      }
      if (typeof text !== 'string') {
        fail({
          check: 'utf8-json',
          line,
          ...itemOf(b, itemId, idBytes, idEnd),
          message: `${names[S_TEXT]}: not a string`,
        });
      } else if (termFinder && text.length > 0) {
        spans.length = 0;
        termFinder.find(text, spans);
        if (spans.length > 0) {
          fail({
            check: 'third-party-terms',
            line,
            ...itemOf(b, itemId, idBytes, idEnd),
            message: `kept text names a person who objected (${spans.length} place${spans.length === 1 ? '' : 's'} unredacted)`,
          });
        }
      }
    };

    // Which lines are not UTF-8: looked for only when the chunk as a whole is not (a chunk cut
    // at a line end is valid exactly when each of its lines is).
    const badStarts = new Set<number>();
    if (!isUtf8(buf.subarray(0, end))) {
      let s = 0;
      let n = 1;
      while (s < end) {
        let nl = buf.indexOf(10, s);
        if (nl < 0 || nl >= end) nl = end;
        if (!isUtf8(buf.subarray(s, nl))) {
          fail({ check: 'utf8-json', line: n, message: 'not valid UTF-8' });
          badStarts.add(s);
        }
        n++;
        s = nl + 1;
      }
    }
    scanner?.load(buf, end);
    let s = 0;
    while (s < end) {
      let nl = buf.indexOf(10, s);
      if (nl < 0 || nl >= end) nl = end;
      if (badStarts.size > 0 && badStarts.has(s)) lineNo++;
      else onLine(buf, s, nl);
      s = nl + 1;
    }
    return {
      lines: lineNo,
      blank,
      problems,
      problemCounts,
      idWords: ids.words(),
      subjects: subjects.copy(),
      authors: piece.length > 0 ? [...authors, piece.join('\n')] : authors,
    };
  }
}

/** A mention as the gate reads one: a string or an integer, a subject key once prefixed. */
export function mentionKey(m: unknown): string | undefined {
  const s =
    typeof m === 'string'
      ? m
      : typeof m === 'number' && Number.isSafeInteger(m)
        ? String(m)
        : undefined;
  if (s === undefined) return undefined;
  return s.startsWith('acct:') || s.startsWith('email:') ? s : `acct:${s}`;
}

/** A record id as the gate reads one: a string, or a safe integer, without control characters. */
export function identifier(v: unknown): string | undefined {
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) s = String(v);
  else return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ids hold none
  if (s.length === 0 || s.length > MAX_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(s))
    return undefined;
  return s;
}

/** The subjects of records: hash lanes, and where each came from (to report it). */
export class SubjectLanes {
  hi: Uint32Array;
  lo: Uint32Array;
  line: Int32Array;
  /** The record's line as file offsets (read again only to report it). */
  start: Float64Array;
  end: Float64Array;
  role: Uint8Array;
  n = 0;

  constructor(capacity = 1 << 15) {
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.line = new Int32Array(capacity);
    this.start = new Float64Array(capacity);
    this.end = new Float64Array(capacity);
    this.role = new Uint8Array(capacity);
  }

  push(hi: number, lo: number, line: number, start: number, end: number, role: number): void {
    if (this.n === this.hi.length) this.#grow(this.n + 1);
    const k = this.n++;
    this.hi[k] = hi;
    this.lo[k] = lo;
    this.line[k] = line;
    this.start[k] = start;
    this.end[k] = end;
    this.role[k] = role;
  }

  /** Appends a chunk's subjects, their lines moved by `lineBase`. */
  append(c: ChunkScan['subjects'], lineBase: number): void {
    const m = c.hi.length;
    if (this.n + m > this.hi.length) this.#grow(this.n + m);
    const k = this.n;
    this.hi.set(c.hi, k);
    this.lo.set(c.lo, k);
    this.start.set(c.start, k);
    this.end.set(c.end, k);
    this.role.set(c.role, k);
    const line = this.line;
    for (let i = 0; i < m; i++) line[k + i] = c.line[i]! + lineBase;
    this.n += m;
  }

  copy(): ChunkScan['subjects'] {
    const n = this.n;
    return {
      hi: this.hi.slice(0, n),
      lo: this.lo.slice(0, n),
      line: this.line.slice(0, n),
      start: this.start.slice(0, n),
      end: this.end.slice(0, n),
      role: this.role.slice(0, n),
    };
  }

  #grow(need: number): void {
    let size = this.hi.length * 2;
    while (size < need) size *= 2;
    const grown = <T extends Uint32Array | Int32Array | Float64Array | Uint8Array>(
      a: T,
      make: (n: number) => T,
    ): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.hi = grown(this.hi, (n) => new Uint32Array(n));
    this.lo = grown(this.lo, (n) => new Uint32Array(n));
    this.line = grown(this.line, (n) => new Int32Array(n));
    this.start = grown(this.start, (n) => new Float64Array(n));
    this.end = grown(this.end, (n) => new Float64Array(n));
    this.role = grown(this.role, (n) => new Uint8Array(n));
  }
}

/** The buffers of a chunk's findings, to transfer rather than copy to another thread. */
export function chunkScanBuffers(scan: ChunkScan): ArrayBuffer[] {
  const s = scan.subjects;
  const arrays = [s.hi, s.lo, s.line, s.start, s.end, s.role, scan.idWords];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

/** A plain string id's bytes as the gate takes them: 1 to 500 printable ASCII bytes (no space). */
function plainIdBytes(b: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n < 1 || n > MAX_ID_LENGTH) return false;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/** A JSON integer whose text is its `String()`: digits only, at most 15 (a safe integer). */
function digitBytes(b: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n < 1 || n > 15) return false;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** The item id of a record for a report: read, or from its bytes, or else its line's. */
function itemOf(
  b: Buffer,
  itemId: string | undefined,
  idBytes: number,
  idEnd: number,
): { itemId: string } | { itemFromLine: true } {
  const id = itemId ?? (idBytes >= 0 ? b.toString('latin1', idBytes, idEnd) : undefined);
  return id === undefined ? { itemFromLine: true } : { itemId: id };
}
