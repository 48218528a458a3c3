import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import {
  type CrawlerHeaderSource,
  createVetoHeaderSource,
  OBJECTOR_HEADERS,
} from '../../src/signals/crawler-headers.ts';
import { crawlerHeadersMiddleware } from '../../src/signals/express-crawler-headers.ts';
import { crawlerHeadersPlugin } from '../../src/signals/fastify-crawler-headers.ts';
import { freePort } from '../support/server-process.ts';
import { testApp } from '../support/test-app.ts';
import { TEST_API_KEY } from '../support/test-veto.ts';

type Ctx = { after: (fn: () => void | Promise<void>) => void };

const EXPECTED = {
  'x-robots-tag': 'noai, noimageai',
  'tdm-reservation': '1',
  'content-usage': 'train-ai=n',
};

function signalHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k in EXPECTED));
}

/** A listening Veto where account "objector" objects and "other" does not. */
async function veto(t: Ctx) {
  const ctx = await testApp(t);
  await ctx.veto.registry.object({
    subject: { kind: 'account', accountId: 'objector' },
    channel: 'api',
    language: 'en',
  });
  const port = await freePort();
  await ctx.app.listen({ port, host: '127.0.0.1' });
  return { ...ctx, url: `http://127.0.0.1:${port}` };
}

/** Counts the calls a source makes to Veto. */
function counting(): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    fetch: (input, init) => {
      calls.push(String(input));
      return fetch(input, init);
    },
  };
}

describe('GET /v1/signals/headers', () => {
  it('gives an objector the three "do not train" headers, anyone else none (API key only)', async (t) => {
    const { app, apiKey, user, veto: v } = await testApp(t);
    await v.registry.object({
      subject: { kind: 'account', accountId: 'objector' },
      channel: 'api',
      language: 'en',
    });
    const get = (accountId: string, headers: Record<string, string> = apiKey) =>
      app.inject({ url: `/v1/signals/headers?accountId=${accountId}`, headers });
    const objector = await get('objector');
    assert.equal(objector.statusCode, 200, objector.body);
    assert.deepEqual(objector.json(), {
      accountId: 'objector',
      purpose: 'ai-training',
      objecting: true,
      headers: {
        'X-Robots-Tag': 'noai, noimageai',
        'tdm-reservation': '1',
        'Content-Usage': 'train-ai=n',
      },
    });
    assert.deepEqual((await get('other')).json().headers, {});
    assert.equal((await get('objector', {})).statusCode, 401);
    assert.equal((await get('objector', await user('objector'))).statusCode, 403);
    assert.equal(
      (await app.inject({ url: '/v1/signals/headers', headers: apiKey })).statusCode,
      400,
    );

    // A withdrawn objection stops the headers.
    const [o] = await v.registry.objectionsOf({ kind: 'account', accountId: 'objector' });
    await v.registry.withdraw(o!.id, { admin: 'test' });
    assert.deepEqual((await get('objector')).json().headers, {});
    assert.match((await app.inject({ url: '/openapi.json' })).body, /\/v1\/signals\/headers/);
  });
});

describe('crawler header middlewares', () => {
  it('by default: one reservation for the whole site, the same on every page', async (t) => {
    const platform = Fastify();
    t.after(() => platform.close());
    await platform.register(crawlerHeadersPlugin);
    platform.get('/u/:user', async () => 'profile');
    platform.get('/about', async () => 'about');
    const site = {
      'x-robots-tag': 'noai, noimageai',
      'tdm-reservation': '1',
      'content-usage': 'train-ai=n',
      'content-signal': 'ai-train=no',
    };
    const pick = (h: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(h).filter(([k]) => k in site));
    // An objector's page, anyone else's and a site page answer alike: nothing tells who objected.
    for (const url of ['/u/objector', '/u/other', '/about']) {
      assert.deepEqual(pick((await platform.inject({ url })).headers), site, url);
    }
    const middleware = crawlerHeadersMiddleware();
    const res = { headersSent: false, headers: {} as Record<string, string> };
    await new Promise<void>((resolve) =>
      middleware(
        {} as IncomingMessage,
        {
          get headersSent() {
            return res.headersSent;
          },
          setHeader: (k: string, v: string) => {
            res.headers[k.toLowerCase()] = v;
          },
        } as unknown as ServerResponse,
        () => resolve(),
      ),
    );
    assert.deepEqual(res.headers, site);
  });

  it('Fastify plugin: headers on an objector’s pages only, from a short cache', async (t) => {
    const v = await veto(t);
    const count = counting();
    const source = createVetoHeaderSource({
      vetoUrl: v.url,
      apiKey: TEST_API_KEY,
      ttlMs: 200,
      fetch: count.fetch,
    });
    const platform = Fastify();
    t.after(() => platform.close());
    await platform.register(crawlerHeadersPlugin, {
      perPerson: { source, accountOf: (req) => (req.params as { user?: string }).user },
    });
    platform.get('/u/:user', async () => 'profile');
    platform.get('/about', async () => 'about');

    const objector = await platform.inject({ url: '/u/objector' });
    assert.equal(objector.body, 'profile');
    assert.deepEqual(signalHeaders(objector.headers), EXPECTED);
    assert.deepEqual(signalHeaders((await platform.inject({ url: '/u/other' })).headers), {});
    assert.deepEqual(signalHeaders((await platform.inject({ url: '/about' })).headers), {});

    // Cached: more pages of the same accounts ask Veto nothing more, even concurrently.
    await Promise.all([1, 2, 3].map(() => platform.inject({ url: '/u/objector' })));
    assert.equal(count.calls.length, 2);

    // The objector withdraws: after the TTL their pages lose the headers.
    const [o] = await v.veto.registry.objectionsOf({ kind: 'account', accountId: 'objector' });
    await v.veto.registry.withdraw(o!.id, { admin: 'test' });
    await new Promise((r) => setTimeout(r, 250));
    assert.deepEqual(signalHeaders((await platform.inject({ url: '/u/objector' })).headers), {});
    assert.equal(count.calls.length, 3);
  });

  it('Express-style middleware on a plain node:http server', async (t) => {
    const v = await veto(t);
    const source = createVetoHeaderSource({ vetoUrl: v.url, apiKey: TEST_API_KEY });
    const middleware = crawlerHeadersMiddleware({
      perPerson: {
        source,
        accountOf: (req: IncomingMessage) => /^\/u\/([^/?]+)/.exec(req.url ?? '')?.[1],
      },
    });
    const server = createServer((req, res) => {
      middleware(req, res, (err) => {
        res.statusCode = err ? 500 : 200;
        res.end(err ? 'error' : 'page');
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      assert.equal(await res.text(), 'page');
      return Object.fromEntries(
        Object.keys(EXPECTED)
          .filter((k) => res.headers.has(k))
          .map((k) => [k, res.headers.get(k)]),
      );
    };
    assert.deepEqual(await get('/u/objector'), EXPECTED);
    assert.deepEqual(await get('/u/other'), {});
    assert.deepEqual(await get('/'), {});
  });

  it('fails safe: when Veto cannot answer, or the account cannot be told, the headers are emitted', async (t) => {
    const errors: string[] = [];
    const deadPort = await freePort();
    const source = createVetoHeaderSource({
      vetoUrl: `http://127.0.0.1:${deadPort}`,
      apiKey: TEST_API_KEY,
      timeoutMs: 500,
      onError: (_err, accountId) => errors.push(accountId),
    });
    assert.deepEqual(await source.headersFor('anyone'), OBJECTOR_HEADERS);
    assert.deepEqual(errors, ['anyone']);

    // A wrong API key is an error too, not a "no objection".
    const v = await veto(t);
    const wrongKey = createVetoHeaderSource({ vetoUrl: v.url, apiKey: 'not-a-key-0123456789' });
    assert.deepEqual(await wrongKey.headersFor('other'), OBJECTOR_HEADERS);

    const platform = Fastify();
    t.after(() => platform.close());
    const never: CrawlerHeaderSource = {
      headersFor: async () => {
        throw new Error('unreachable');
      },
    };
    await platform.register(crawlerHeadersPlugin, {
      perPerson: {
        source: never,
        accountOf: () => {
          throw new Error('cannot parse the profile URL');
        },
      },
    });
    platform.get('/u/:user', async () => 'profile');
    const res = await platform.inject({ url: '/u/x' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(signalHeaders(res.headers), EXPECTED);
  });
});
