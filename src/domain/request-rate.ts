import type { RegistryStore } from '../store/registry-store.ts';

/**
 * Request counting in fixed windows, kept in the registry's database so every instance on it
 * counts against the same limit (a per-process counter would let three instances accept three
 * times the limit). The HTTP rate limiter asks it once per request from a non-trusted client.
 */
export class RequestRate {
  constructor(
    private readonly store: Pick<RegistryStore, 'countRateHit'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** One hit for `key`: how many in its window so far, and the milliseconds left in it. */
  async hit(key: string, windowMs: number): Promise<{ current: number; ttl: number }> {
    const now = this.now();
    const start = Math.floor(now / windowMs) * windowMs;
    const current = await this.store.countRateHit(
      key,
      new Date(start).toISOString(),
      new Date(start - windowMs).toISOString(),
    );
    return { current, ttl: start + windowMs - now };
  }
}
