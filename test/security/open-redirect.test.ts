import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { chromium } from 'playwright-core';
import { buildApp } from '../../src/http/app.ts';
import { freePort } from '../support/server-process.ts';
import { requireService } from '../support/services.ts';
import { testApp } from '../support/test-app.ts';
import { testVeto } from '../support/test-veto.ts';

/**
 * Links in Veto's emails lead people to the portal, so an address on the portal that sends the
 * browser elsewhere is a ready-made phishing link. Only same-origin relative paths may survive
 * `next`, and the language switcher never echoes a path that no route matched.
 */
const ORIGIN = 'http://veto.test';

/** Where a browser goes for a Location header (WHATWG URL parsing, as Chromium does it). */
function destination(location: string): URL {
  return new URL(location, `${ORIGIN}/session`);
}

const HOSTILE_PIECES = [
  '/',
  '//',
  '\\',
  '/\\',
  '\t',
  '\n',
  '\r\n',
  '%2F',
  '%5C',
  '%09',
  ' ',
  'evil.example',
  '@evil.example',
  'javascript:alert(1)',
  'http:',
  'https://evil.example',
  '.',
  '..',
  '/./',
  '?',
  '#',
  '\u3002',
  '\u2028',
];

describe('open redirect', () => {
  it('the reported values stay on the portal', async (t) => {
    const { app } = await testApp(t, { publicUrl: ORIGIN });
    for (const next of [
      '/\t/evil.example/phish',
      '//evil.example/login',
      '/\\evil.example',
      '\\\\evil.example',
      '/./\\/evil.example',
      '/.//evil.example',
      'javascript:alert(1)',
      'https://evil.example/',
    ]) {
      const res = await app.inject({ url: `/session?next=${encodeURIComponent(next)}` });
      if (next.includes('\t')) {
        // Control characters are refused outright (see below).
        assert.equal(res.statusCode, 400, `${JSON.stringify(next)}: ${res.body}`);
        continue;
      }
      assert.equal(res.statusCode, 303, `${JSON.stringify(next)}: ${res.body}`);
      const to = destination(String(res.headers.location));
      assert.equal(to.origin, ORIGIN, `${JSON.stringify(next)} → ${res.headers.location}`);
    }
  });

  it('a same-origin path survives, with its query', async (t) => {
    const { app } = await testApp(t, { publicUrl: ORIGIN });
    const res = await app.inject({ url: `/session?next=${encodeURIComponent('/status?x=1')}` });
    assert.equal(res.headers.location, '/status?x=1');
  });

  it('a line break in next is a problem document, never a 500', async (t) => {
    const { app } = await testApp(t, { publicUrl: ORIGIN });
    const res = await app.inject({ url: '/session?next=%2Fa%0ALocation:%20http://evil.example' });
    assert.equal(res.statusCode, 400, res.body);
    assert.match(String(res.headers['content-type']), /application\/problem\+json/);
    const problem = res.json() as { errors: { field: string; reason: string }[] };
    assert.equal(problem.errors[0]?.field, 'next');
    const html = await app.inject({
      url: '/session?next=%2Fa%0Ab',
      headers: { accept: 'text/html' },
    });
    assert.equal(html.statusCode, 400);
    assert.match(String(html.headers['content-type']), /text\/html/);
  });

  it('property: hostile next values never leave the origin', async (t) => {
    const { app } = await testApp(t, { publicUrl: ORIGIN });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ maxLength: 4 })), {
          minLength: 1,
          maxLength: 6,
        }),
        async (pieces) => {
          const next = pieces.join('');
          const res = await app.inject({ url: `/session?next=${encodeURIComponent(next)}` });
          assert.ok(res.statusCode === 303 || res.statusCode === 400, `${res.statusCode}`);
          if (res.statusCode === 400) {
            assert.match(String(res.headers['content-type']), /problem\+json/);
            return;
          }
          const location = String(res.headers.location);
          const to = destination(location);
          assert.equal(to.origin, ORIGIN, `${JSON.stringify(next)} → ${location}`);
          assert.ok(location.startsWith('/') && !location.startsWith('//'), location);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("the 404 page's language links point at this origin", async (t) => {
    const { app } = await testApp(t, { publicUrl: ORIGIN });
    for (const url of ['//evil.example/login', '/\\evil.example/x', '/%2F%2Fevil.example']) {
      const res = await app.inject({ url, headers: { accept: 'text/html' } });
      assert.equal(res.statusCode, 404);
      const links = [...res.body.matchAll(/<a href="([^"]+)" hreflang=/g)].map((m) => m[1]!);
      assert.ok(links.length >= 24, `switcher links on ${url}`);
      for (const link of links) {
        const to = new URL(link.replaceAll('&amp;', '&'), `${ORIGIN}/x`);
        assert.equal(to.origin, ORIGIN, `${url}: ${link}`);
        assert.equal(to.pathname, '/', `${url}: ${link}`);
      }
    }
  });

  it('a matched page keeps its path and query in the switcher', async (t) => {
    const { app } = await testApp(t, { publicUrl: ORIGIN });
    const res = await app.inject({ url: '/docs/api?x=1', headers: { accept: 'text/html' } });
    assert.match(res.body, /href="\/docs\/api\?x=1&amp;lang=fr"/);
  });
});

const CHROMIUM = '/usr/bin/chromium';
describe('open redirect in Chromium', () => {
  it('the browser stays on the portal', async (t) => {
    if (!requireService('chromium', existsSync(CHROMIUM), `${CHROMIUM} is not installed`))
      return t.skip();
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const { veto } = await testVeto(t, { publicUrl: origin });
    const app = await buildApp(veto);
    t.after(() => app.close());
    await app.listen({ port, host: '127.0.0.1' });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    t.after(() => browser.close());
    const page = await browser.newPage();
    // Nothing may leave: a request to any other host is a failure (and never really sent).
    const elsewhere: string[] = [];
    await page.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.origin !== origin) {
        elsewhere.push(u.href);
        return route.abort();
      }
      return route.continue();
    });
    for (const next of [
      '%2F%09%2Fevil.example%2Fphish',
      '%2F%2Fevil.example',
      '%2F%5Cevil.example',
      '%5C%5Cevil.example',
      '%2F.%2F%2Fevil.example',
      'javascript%3Aalert(1)',
      '%2F%0D%0A%2Fevil.example',
    ]) {
      await page.goto(`${origin}/session?next=${next}`).catch(() => {});
      assert.equal(new URL(page.url()).origin, origin, `next=${next} → ${page.url()}`);
    }
    assert.deepEqual(elsewhere, []);
  });
});
