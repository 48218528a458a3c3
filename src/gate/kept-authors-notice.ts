import { forEachLine } from './line-files.ts';

/**
 * The build's notice-period check: every kept author is asked about (has the registry shown them
 * the policy's notice long enough before the cut-off?), in batches of at most `batchSize` keys
 * (distinct within a batch of rows, or within a judged batch's summary), and the
 * answer is the set of authors who were not. The build feeds it each judged batch's kept authors
 * (batch-summary.ts) as the results are written, so the registry's answers overlap judging; once
 * judging is done only the last batch is left; a runner hands it each shard's summary of them as
 * it appends the shard (or, for a shard without one, its inclusion rows: `scanRows`). Why: reading the inclusions file back for it after
 * judging (`scanFile`, what is left for a stage that does not) took ~0.8-1.2 s at bench scale
 * (1 GB), in the build's one-threaded step.
 */
export class KeptAuthorsNoticeCheck {
  #batch = new Set<string>();
  /** Keys from batch summaries, not made distinct (see `addKeys`). */
  #pending: string[] = [];
  readonly #missing = new Set<string>();
  /** The registry's answers, one batch at a time. */
  #asking: Promise<void> = Promise.resolve();
  #failure: unknown;

  constructor(
    private readonly ask: (subjectKeys: string[]) => Promise<string[]>,
    private readonly batchSize: number,
  ) {}

  /**
   * Subject keys of kept authors, `\n`-joined, as a judged batch's summary gives them
   * (batch-summary.ts: each once per batch). Not made distinct across batches here: the
   * registry's lookup makes each call's keys distinct itself, and a `Set` of every kept author
   * on the build's main thread is what this saves.
   */
  addKeys(joined: string): void {
    if (joined === '') return;
    for (const key of joined.split('\n')) this.#pending.push(key);
    if (this.#pending.length >= this.batchSize) this.#flush();
  }

  /** The `author` rows among whole inclusion rows `buf[start, end)` (a runner's, as appended). */
  scanRows(buf: Uint8Array, start: number, end: number): void {
    const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    forEachKeptAuthor(b, start, end, (key) => this.#add(key));
  }

  /** The `author` rows of an inclusions file (a runner's shards, read back after judging). */
  async scanFile(path: string): Promise<void> {
    let header = true;
    await forEachLine(path, (buf, start, end) => {
      if (header) header = false;
      else authorOfRow(buf, start, end, (key) => this.#add(key));
    });
  }

  /** The authors not shown the notice in time, once every batch is answered. */
  async missing(): Promise<Set<string>> {
    this.#flush();
    await this.#asking;
    if (this.#failure) throw this.#failure;
    return this.#missing;
  }

  #add(key: string): void {
    this.#batch.add(key);
    if (this.#batch.size >= this.batchSize) this.#flush();
  }

  #flush(): void {
    if (this.#batch.size === 0 && this.#pending.length === 0) return;
    const keys = this.#pending.length === 0 ? [...this.#batch] : [...this.#pending, ...this.#batch];
    this.#batch = new Set();
    this.#pending = [];
    this.#asking = this.#asking.then(async () => {
      // At most `batchSize` keys a call: a summary's keys can take the pending ones past it.
      for (let i = 0; i < keys.length && !this.#failure; i += this.batchSize) {
        try {
          const answer = await this.ask(keys.slice(i, i + this.batchSize));
          for (const key of answer) this.#missing.add(key);
        } catch (err) {
          this.#failure = err;
        }
      }
    });
  }
}

/**
 * Calls `onKey` with the subject key of each `author` row in `buf[start, end)` (inclusion rows,
 * `subject \t item \t role \t input \t line`, whole lines).
 */
export function forEachKeptAuthor(
  buf: Buffer,
  start: number,
  end: number,
  onKey: (key: string) => void,
): void {
  let pos = start;
  while (pos < end) {
    let nl = buf.indexOf(10, pos);
    if (nl < 0 || nl > end) nl = end;
    authorOfRow(buf, pos, nl, onKey);
    pos = nl + 1;
  }
}

function authorOfRow(buf: Buffer, start: number, end: number, onKey: (key: string) => void): void {
  const t1 = buf.indexOf(9, start);
  const t2 = t1 < 0 || t1 > end ? -1 : buf.indexOf(9, t1 + 1);
  if (t2 >= 0 && t2 + 7 < end && isAuthorColumn(buf, t2 + 1)) {
    onKey(buf.toString(asciiOnly(buf, start, t1) ? 'latin1' : 'utf8', start, t1));
  }
}

const AUTHOR = Buffer.from('author\t', 'latin1');

function isAuthorColumn(buf: Buffer, at: number): boolean {
  for (let i = 0; i < AUTHOR.length; i++) if (buf[at + i] !== AUTHOR[i]) return false;
  return true;
}

function asciiOnly(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return false;
  return true;
}
