import { forEachLine } from './line-files.ts';

/**
 * The build's notice-period check: every kept author is asked about (has the registry shown them
 * the policy's notice long enough before the cut-off?), in batches of distinct keys, and the
 * answer is the set of authors who were not. The build feeds it the inclusion rows as the
 * workers' results are written, so the reading and the registry's answers overlap judging; once
 * judging is done only the last batch is left. Why: reading the inclusions file back for it
 * after judging took ~0.8 s at bench scale (1 GB), in the build's one-threaded step; the main
 * thread is half idle while the workers judge.
 */
export class KeptAuthorsNoticeCheck {
  #batch = new Set<string>();
  readonly #missing = new Set<string>();
  /** The registry's answers, one batch at a time. */
  #asking: Promise<void> = Promise.resolve();
  #failure: unknown;

  constructor(
    private readonly ask: (subjectKeys: string[]) => Promise<string[]>,
    private readonly batchSize: number,
  ) {}

  /**
   * The `author` rows of inclusion rows as written (`subject \t item \t role \t input \t line`,
   * one per line, no header).
   */
  scanRows(rows: Uint8Array): void {
    const buf = Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength);
    const n = buf.length;
    let pos = 0;
    while (pos < n) {
      let nl = buf.indexOf(10, pos);
      if (nl < 0) nl = n;
      this.#row(buf, pos, nl);
      pos = nl + 1;
    }
  }

  /** The `author` rows of an inclusions file (a runner's shards, read back after judging). */
  async scanFile(path: string): Promise<void> {
    let header = true;
    await forEachLine(path, (buf, start, end) => {
      if (header) header = false;
      else this.#row(buf, start, end);
    });
  }

  #row(buf: Buffer, start: number, end: number): void {
    const t1 = buf.indexOf(9, start);
    const t2 = t1 < 0 || t1 > end ? -1 : buf.indexOf(9, t1 + 1);
    if (t2 >= 0 && t2 + 7 < end && isAuthorColumn(buf, t2 + 1)) {
      this.#add(buf.toString(asciiOnly(buf, start, t1) ? 'latin1' : 'utf8', start, t1));
    }
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
    if (this.#batch.size === 0) return;
    const keys = [...this.#batch];
    this.#batch = new Set();
    this.#asking = this.#asking.then(async () => {
      if (this.#failure) return;
      try {
        for (const key of await this.ask(keys)) this.#missing.add(key);
      } catch (err) {
        this.#failure = err;
      }
    });
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
