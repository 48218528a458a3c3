import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';

const READ_SIZE = 4 << 20;

/**
 * Calls `onLine(buf, start, end)` for every `\n`-terminated line of a file (end excludes the
 * `\n`; a last line without one is passed too). Reads 4 MiB at a time and splits on bytes.
 */
export async function forEachLine(
  path: string,
  onLine: (buf: Buffer, start: number, end: number) => void,
  /** Awaited after each read: where a writer flushes, so memory stays bounded. */
  afterChunk?: () => Promise<void>,
): Promise<void> {
  const file = await open(path, 'r');
  try {
    let carry: Buffer | undefined;
    for (;;) {
      const chunk = Buffer.allocUnsafe(READ_SIZE);
      const { bytesRead } = await file.read(chunk, 0, READ_SIZE, null);
      if (bytesRead === 0) break;
      let data = chunk.subarray(0, bytesRead);
      if (carry) data = Buffer.concat([carry, data]);
      carry = undefined;
      let pos = 0;
      for (;;) {
        const nl = data.indexOf(10, pos);
        if (nl < 0) break;
        onLine(data, pos, nl);
        pos = nl + 1;
      }
      if (pos < data.length) carry = Buffer.from(data.subarray(pos));
      if (afterChunk) await afterChunk();
    }
    if (carry && carry.length > 0) onLine(carry, 0, carry.length);
  } finally {
    await file.close();
  }
}

/** The lines of a text file, decoded, one array per piece of {@link textChunks} (bounded memory). */
export async function* textLines(path: string): AsyncGenerator<string[]> {
  for await (const text of textChunks(path)) yield text.split('\n');
}

/**
 * Decoded pieces of {@link textChunks} stay under V8's large-object size (128 KiB). Why: a 4 MiB
 * string per read was allocated in the large-object space, and those allocations (and the
 * collections they set off) made decoding run at ~300 MB/s; reading the inclusion index of the
 * bench's run (91 MB, 2.3M rows) took 0.54-0.95 s, of which 0.29 s was decoding.
 */
const PIECE = 120 << 10;

/**
 * The text of a file, decoded, in strings of whole lines (~120 KiB each, or one longer line),
 * without their last `\n` (as `textLines` leaves it out of its lines): for callers that walk
 * lines with `indexOf` instead of holding an array of them. The read buffer is reused: the
 * strings are copies.
 */
export async function* textChunks(path: string): AsyncGenerator<string> {
  const file = await open(path, 'r');
  try {
    let buf = Buffer.allocUnsafeSlow(READ_SIZE);
    let carried = 0;
    for (;;) {
      if (carried + READ_SIZE > buf.length) {
        // A line longer than a read: the buffer grows to hold it and the next read.
        const bigger = Buffer.allocUnsafeSlow(carried + READ_SIZE);
        buf.copy(bigger, 0, 0, carried);
        buf = bigger;
      }
      const { bytesRead } = await file.read(buf, carried, READ_SIZE, null);
      if (bytesRead === 0) break;
      const data = buf.subarray(0, carried + bytesRead);
      const last = data.lastIndexOf(10);
      if (last < 0) {
        carried = data.length;
        continue;
      }
      for (let pos = 0; ; ) {
        let cut = last;
        if (last - pos > PIECE) {
          cut = data.lastIndexOf(10, pos + PIECE);
          if (cut < pos) cut = data.indexOf(10, pos + PIECE);
        }
        yield data.toString('utf8', pos, cut);
        if (cut === last) break;
        pos = cut + 1;
      }
      carried = data.length - (last + 1);
      data.copy(buf, 0, last + 1);
    }
    if (carried > 0) yield buf.toString('utf8', 0, carried);
  } finally {
    await file.close();
  }
}

/**
 * Bytes written between two `datasync`s started during the writing. Why: `close` fsyncs (a
 * dataset is sealed only once its files are on disk), and flushing a whole 650 MB output there
 * took 0.2-0.3 s with both cores idle; started along the way, the disk writes overlap the run.
 */
const SYNC_EVERY = 64 << 20;

/** Buffered appends to a file, hashing what it writes (unless `hash: false`). */
export class HashedWriter {
  readonly #hash: ReturnType<typeof createHash> | undefined;
  #buf = Buffer.allocUnsafe(1 << 22);
  #used = 0;
  #unsynced = 0;
  #syncing: Promise<void> | undefined;
  bytes = 0;
  readonly #syncEvery: number;
  private constructor(
    readonly file: FileHandle,
    hash: boolean,
    syncEvery: number,
  ) {
    this.#hash = hash ? createHash('sha256') : undefined;
    this.#syncEvery = syncEvery;
  }

  /**
   * `hash: false` for a file whose digest nobody reads (the gate's rows and rejects files): at
   * ~1.8 GB/s, hashing is a tenth of a second per 160 MB on the thread that also feeds workers.
   */
  static async create(
    path: string,
    options: { hash?: boolean; syncEvery?: number } = {},
  ): Promise<HashedWriter> {
    return new HashedWriter(
      await open(path, 'wx'),
      options.hash ?? true,
      options.syncEvery ?? SYNC_EVERY,
    );
  }

  /** Queues bytes; call `flushIfFull()` (awaited) regularly. */
  push(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    if (this.#used + n > this.#buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#used + n));
      this.#buf.copy(bigger, 0, 0, this.#used);
      this.#buf = bigger;
    }
    this.#buf.set(src.subarray(start, end), this.#used);
    this.#used += n;
  }

  pushString(s: string): void {
    this.push(Buffer.from(s, 'utf8'));
  }

  async flushIfFull(): Promise<void> {
    if (this.#used >= 1 << 22) await this.flush();
  }

  /** Writes data directly (large chunks), keeping order with what is buffered. */
  async write(data: Uint8Array): Promise<void> {
    await this.flush();
    await this.#writeOut(data);
  }

  async flush(): Promise<void> {
    if (this.#used === 0) return;
    await this.#writeOut(this.#buf.subarray(0, this.#used));
    // The write above has completed: the same buffer takes the next bytes. (A fresh 4 MiB
    // buffer per flush is external memory that makes V8 run full collections for it.)
    this.#used = 0;
  }

  async #writeOut(data: Uint8Array): Promise<void> {
    this.#hash?.update(data);
    this.bytes += data.length;
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.file.write(data, done, data.length - done);
      done += bytesWritten;
    }
    this.#unsynced += data.length;
    if (this.#unsynced >= this.#syncEvery) {
      this.#unsynced = 0;
      // One at a time; a failure surfaces at the next one or in `close`.
      const previous = this.#syncing;
      this.#syncing = (previous ?? Promise.resolve()).then(() => this.file.datasync());
      this.#syncing.catch(() => {});
      if (previous) await previous;
    }
  }

  /** Flushes, fsyncs, closes; returns the hex sha256 of everything written ('' unhashed). */
  async close(): Promise<string> {
    await this.flush();
    await this.#syncing;
    await this.file.sync();
    await this.file.close();
    return this.#hash?.digest('hex') ?? '';
  }

  async abort(): Promise<void> {
    await this.#syncing?.catch(() => {});
    await this.file.close().catch(() => {});
  }
}

/** Hex sha256 and size of a file, read in 4 MiB chunks. */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const file = await open(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(READ_SIZE);
    for (;;) {
      const { bytesRead } = await file.read(chunk, 0, READ_SIZE, null);
      if (bytesRead === 0) break;
      hash.update(chunk.subarray(0, bytesRead));
      bytes += bytesRead;
    }
  } finally {
    await file.close();
  }
  return { sha256: hash.digest('hex'), bytes };
}
