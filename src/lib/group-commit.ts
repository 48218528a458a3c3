/**
 * Group commit: requests that arrive while the previous batch is being written, or within the
 * same event-loop turn, are written together in one transaction, so throughput is not bounded
 * by one disk sync per request (measured: ~3.3k/s with one commit per request vs ~19.5k/s
 * grouped, see docs/ARCHITECTURE.md). Each caller's promise settles only after the batch's
 * transaction committed: acknowledged means durable.
 *
 * `flush` receives the batch and returns one outcome per item, in order; an item-level failure
 * (an Error in its slot) rejects only that caller. If `flush` itself throws, the transaction did
 * not commit and every caller in the batch is rejected.
 */
export class GroupCommitter<I, O> {
  private queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  /**
   * @param maxInFlight batches being written at once. 2 lets the next batch commit while the
   *   previous one waits for its disk sync (the store still serialises the transactions).
   */
  constructor(
    private readonly flush: (items: I[]) => Promise<(O | Error)[]>,
    private readonly maxBatch = 1000,
    private readonly maxInFlight = 2,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when everything submitted so far has been written. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight > 0) {
      await new Promise((r) => setImmediate(r));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    // setImmediate runs after pending I/O callbacks: every request parsed in this turn joins.
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.inFlight += 1;
    const batch = this.queue.splice(0, this.maxBatch);
    try {
      const outcomes = await this.flush(batch.map((b) => b.item));
      batch.forEach((b, i) => {
        const o = outcomes[i];
        if (o instanceof Error) b.reject(o);
        else b.resolve(o as O);
      });
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.inFlight -= 1;
      if (this.queue.length > 0) this.schedule();
    }
  }
}

/** Serialises async critical sections (the SQLite writer connection is used by one at a time). */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
