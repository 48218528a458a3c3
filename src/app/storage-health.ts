import type { Logger } from 'pino';
import { isStorageFault } from '../store/storage-fault.ts';

/** What kind of work met the fault: reads can keep working while writes fail (a full disk). */
export type StorageWork = 'read' | 'write' | 'jobs';

/**
 * Whether the storage answers, as seen by the requests and jobs that use it. A storage fault
 * is logged once when the state changes and once when it recovers, never once per request: a
 * full disk under load used to write a stack trace per request (thousands a minute).
 *
 * Recovery is judged per kind of work: after a write failed, a successful read does not mean
 * the disk has room again, so "recovered" waits until every kind that failed has succeeded.
 */
export class StorageHealth {
  private readonly failing = new Set<StorageWork>();
  private downSince = 0;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds a client should wait before retrying (the `Retry-After` of a 503). */
  readonly retryAfterSeconds = 5;

  get available(): boolean {
    return this.failing.size === 0;
  }

  /**
   * Records `err` if it is a storage fault and says whether it was one. The first fault after a
   * healthy period is logged (one line, no stack); later ones are not.
   */
  fault(work: StorageWork, err: unknown): boolean {
    if (!isStorageFault(err)) return false;
    if (this.failing.size === 0) {
      this.downSince = this.now();
      const e = err as { code?: unknown; message?: unknown };
      this.logger.error(
        { work, code: e.code, reason: String(e.message ?? err) },
        'storage unavailable: answering 503 until it recovers',
      );
    }
    this.failing.add(work);
    return true;
  }

  /** Work of this kind succeeded: once every kind that failed has, one "recovered" line. */
  ok(work: StorageWork): void {
    if (!this.failing.delete(work) || this.failing.size > 0) return;
    this.logger.warn({ downForMs: this.now() - this.downSince }, 'storage recovered');
  }
}
