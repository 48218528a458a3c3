import { LRUCache } from 'lru-cache';

/**
 * Outbound "do not train" signals: the HTTP response headers a platform emits on
 * an objector's public pages, so that third-party crawlers see the objection too. Veto cannot
 * stop a scraper, but these are the machine-readable reservations that crawlers and TDM
 * users are expected to honour (EU DSM Directive Art. 4(3) "machine-readable means"):
 *
 *   X-Robots-Tag: noai, noimageai   the robots directives used by image and text crawlers;
 *   tdm-reservation: 1              W3C TDMRep: text and data mining rights are reserved;
 *   Content-Usage: train-ai=n       IETF AIPREF (drafts): no AI training.
 */
export const OBJECTOR_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-Robots-Tag': 'noai, noimageai',
  'tdm-reservation': '1',
  'Content-Usage': 'train-ai=n',
});

/**
 * The default: one reservation for the whole site, on every response, for everyone. Marking
 * only objectors' pages tells anyone who looks who objected (the headers are public); the same
 * headers on every page reveal nothing. `Content-Signal: ai-train=no` is the widely deployed
 * Content Signals vocabulary, beside AIPREF's `Content-Usage` and TDMRep's `tdm-reservation`.
 */
export const SITE_WIDE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...OBJECTOR_HEADERS,
  'Content-Signal': 'ai-train=no',
});

/**
 * Which responses carry the reservation: by default (`perPerson` absent) every response, the
 * same for everyone. `perPerson` marks only objectors' public pages, asking Veto per account:
 * an explicit choice, because it discloses who objected (docs: README "Signals").
 */
export interface CrawlerHeaderMode<Req> {
  perPerson?: { source: CrawlerHeaderSource; accountOf: AccountOf<Req> };
}

/** The headers for one response under `mode`; never throws (see `headersForRequest`). */
export function headersForMode<Req>(
  mode: CrawlerHeaderMode<Req>,
  req: Req,
): Promise<Record<string, string>> {
  if (!mode.perPerson) return Promise.resolve({ ...SITE_WIDE_HEADERS });
  return headersForRequest(mode.perPerson.source, mode.perPerson.accountOf, req);
}

/** The headers for an account's public pages: the reservation for an objector, nothing else. */
export function crawlerHeaders(objecting: boolean): Record<string, string> {
  return objecting ? { ...OBJECTOR_HEADERS } : {};
}

/** Where the middlewares get an account's headers from (normally Veto's endpoint, cached). */
export interface CrawlerHeaderSource {
  headersFor(accountId: string): Promise<Record<string, string>>;
}

export interface VetoHeaderSourceOptions {
  /** Veto's base URL, e.g. `https://veto.example`. */
  vetoUrl: string;
  /** A server-to-server API key (VETO_API_KEYS). */
  apiKey: string;
  /** How long an answer is reused (default 60 s): a new objection reaches pages within it. */
  ttlMs?: number;
  /** How long the fail-safe answer after an error is reused (default 5 s), to spare Veto. */
  errorTtlMs?: number;
  /** Per-request timeout (default 2 s). */
  timeoutMs?: number;
  /** Accounts kept in the cache (default 10 000), least recently used evicted first. */
  maxEntries?: number;
  fetch?: typeof fetch;
  /** Called when Veto could not answer and the fail-safe headers were used. */
  onError?: (err: unknown, accountId: string) => void;
}

/**
 * Asks Veto's `GET /v1/signals/headers` for an account's headers, through a small LRU cache
 * with a short TTL (lru-cache: concurrent requests for one account share one call).
 *
 * Fails safe, which here means *emitting* the headers: when Veto cannot be asked, the page is
 * marked "do not train" for a few seconds. A spurious reservation on a non-objector's page
 * costs little (a crawler skips it, and can come back); a missing one on an objector's page
 * is a copy made against their objection, which nobody can take back.
 */
export function createVetoHeaderSource(options: VetoHeaderSourceOptions): CrawlerHeaderSource {
  const doFetch = options.fetch ?? fetch;
  const base = options.vetoUrl.replace(/\/$/, '');
  const timeoutMs = options.timeoutMs ?? 2000;
  const errorTtl = options.errorTtlMs ?? 5000;
  const cache = new LRUCache<string, Record<string, string>>({
    max: options.maxEntries ?? 10_000,
    ttl: options.ttlMs ?? 60_000,
    fetchMethod: async (accountId, _stale, { signal }) => {
      const url = `${base}/v1/signals/headers?${new URLSearchParams({ accountId })}`;
      const res = await doFetch(url, {
        headers: { authorization: `Bearer ${options.apiKey}`, accept: 'application/json' },
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
      if (!res.ok) throw new Error(`Veto answered ${res.status} for ${url}`);
      const body = (await res.json()) as { headers?: unknown };
      if (!body.headers || typeof body.headers !== 'object') {
        throw new Error(`Veto's answer for ${url} has no headers object`);
      }
      return Object.fromEntries(
        Object.entries(body.headers).filter(([, v]) => typeof v === 'string'),
      ) as Record<string, string>;
    },
  });
  return {
    async headersFor(accountId) {
      try {
        const found = await cache.fetch(accountId);
        if (found) return found;
        throw new Error('no answer');
      } catch (err) {
        options.onError?.(err, accountId);
        const safe = { ...OBJECTOR_HEADERS };
        cache.set(accountId, safe, { ttl: errorTtl });
        return safe;
      }
    },
  };
}

/** Maps a request to the account whose public page it shows; undefined for other pages. */
export type AccountOf<Req> = (req: Req) => string | undefined | Promise<string | undefined>;

/**
 * The headers to add to one response. Never throws: a failure to tell whose page it is, or to
 * ask Veto, emits the reservation (see `createVetoHeaderSource` for why that is the safe side).
 */
export async function headersForRequest<Req>(
  source: CrawlerHeaderSource,
  accountOf: AccountOf<Req>,
  req: Req,
): Promise<Record<string, string>> {
  try {
    const accountId = await accountOf(req);
    return accountId ? await source.headersFor(accountId) : {};
  } catch {
    return { ...OBJECTOR_HEADERS };
  }
}
