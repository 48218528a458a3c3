import type { RequestRate } from '../domain/request-rate.ts';

type Callback = (err: Error | null, res?: { current: number; ttl: number }) => void;

/**
 * A `store` for @fastify/rate-limit that counts in the registry's database (`RequestRate`),
 * so the limit holds across every instance on it. @fastify/rate-limit constructs the store
 * itself (`new Store(options)`), hence a class made per application.
 *
 * @see https://github.com/fastify/fastify-rate-limit#custom-store
 */
export function sharedRateLimitStore(rate: RequestRate) {
  return class SharedRateLimitStore {
    incr(key: string, cb: Callback, timeWindow: number): void {
      rate.hit(key, timeWindow).then(
        (res) => cb(null, res),
        (err: Error) => cb(err),
      );
    }

    child(): SharedRateLimitStore {
      return new SharedRateLimitStore();
    }
  };
}
