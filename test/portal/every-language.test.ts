import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { parseAssessmentText } from '../../src/domain/assessment/assessment-text.ts';
import { renderNoticeEmail } from '../../src/domain/notices/notice-email.ts';
import { readNoticeDirectory } from '../../src/domain/notices/notice-files.ts';
import { signObjectLink } from '../../src/domain/notices/object-link.ts';
import type { Objection } from '../../src/domain/types.ts';
import { buildDataset } from '../../src/gate/build.ts';
import { loadPolicy } from '../../src/gate/policy.ts';
import { signDemoToken } from '../../src/http/auth/platform-token.ts';
import {
  type CatalogueFallback,
  catalogueLanguages,
  loadCatalogue,
  onCatalogueFallback,
  readLocaleFiles,
} from '../../src/i18n/catalogue.ts';
import { writeSnapshotFile } from '../../src/registry-files/snapshot-file.ts';
import { jsonl, record, writePolicy, writeSnapshot } from '../gate/support/fixtures.ts';
import { recordTestSnapshot } from '../gate/support/memory-registry.ts';
import { everyoneShown } from '../removals/support/fixture.ts';
import { EU_LANGUAGES, requireLocaleFile } from '../support/eu-languages.ts';
import { testApp } from '../support/test-app.ts';
import { TEST_JWT_SECRET } from '../support/test-veto.ts';
import { InjectBrowser, visibleText } from './support/browser-like.ts';

/**
 * Every page (portal, notice pages, error pages, the API reference, the demo) and
 * every email renders in each of the 24 official EU languages, marked with that language, with
 * no message taken from another language. "No fallback" is proven two ways: the catalogue
 * reports every fallback it takes (`onCatalogueFallback`), and no English message text appears
 * in the page unless the language's message is the same as the English one.
 */
type App = Awaited<ReturnType<typeof testApp>>;
const SAMPLE = new URL('../../notices/2026-01', import.meta.url).pathname;
const DEMO_POLICY = new URL('../../policies/demo.yaml', import.meta.url).pathname;
const DEMO_ASSESSMENT = new URL('../../policies/demo-assessment.yaml', import.meta.url).pathname;
const REF = /\/receipt\/(VT-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})$/;
const SETTINGS = { demo: true, rateLimitPerMinute: 1_000_000 } as const;

describe('every page and email in every official EU language', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  const hooks = { after: (fn: () => void | Promise<void>) => void cleanups.push(fn) };
  let plain: App;
  let nonUser: Objection;
  let published: App;
  let publishError: unknown;
  const fallbacks: CatalogueFallback[] = [];
  let stopListening: () => void = () => {};
  const files = readLocaleFiles();
  const en = files.get('en')!;

  before(async () => {
    stopListening = onCatalogueFallback((f) => fallbacks.push(f));
    plain = await testApp(hooks, SETTINGS);
    // A sealed dataset committed with the VRF key: the datasets page offers its proof.
    const input = path.join(plain.dir, 'export.jsonl');
    writeFileSync(input, jsonl([record({ id: 'p1', author_id: 'acct-en' })]));
    const sealed = await buildDataset({
      policy: await writePolicy(plain.dir),
      inputs: [input],
      outDir: path.join(plain.dir, 'datasets'),
      objectors: { snapshot: await writeSnapshot(plain.dir, []) },
      registry: everyoneShown(plain.veto.gate),
      workers: 0,
      datasetId: 'ds_lang',
      exclusionKey: plain.veto.exclusionKeys().current,
      termsKey: plain.veto.termsKey(),
    });
    if (sealed.status !== 'sealed') throw sealed.error;
    // A person without an account whose terms a later dataset applied: their receipt's pages.
    nonUser = (
      await plain.veto.registry.object({
        subject: { kind: 'email', email: 'terms@example.org' },
        channel: 'api',
        language: 'en',
        appearsAt: ['Camille Terms'],
      })
    ).objection;
    const asOf = new Date().toISOString();
    const snapshot = path.join(plain.dir, 'terms.snap');
    recordTestSnapshot(
      await writeSnapshotFile(snapshot, { id: 'snap_terms', purpose: 'ai-training', asOf }, []),
    );
    const withTerms = await buildDataset({
      policy: await writePolicy(plain.dir),
      inputs: [input],
      outDir: path.join(plain.dir, 'datasets'),
      objectors: { snapshot },
      registry: everyoneShown(plain.veto.gate),
      workers: 0,
      datasetId: 'ds_terms',
      termsKey: plain.veto.termsKey(),
    });
    if (withTerms.status !== 'sealed') throw withTerms.error;
    published = await testApp(hooks, SETTINGS);
    try {
      await published.veto.notices.publish(readNoticeDirectory(SAMPLE), 'test');
      // The assessment's public summary beside the notice: Veto's words in each language.
      await published.veto.assessments.record(
        await loadPolicy(DEMO_POLICY),
        parseAssessmentText(readFileSync(DEMO_ASSESSMENT, 'utf8'), DEMO_ASSESSMENT),
      );
    } catch (err) {
      publishError = err;
    }
  });

  after(async () => {
    stopListening();
    for (const fn of cleanups.reverse()) await fn();
  });

  /**
   * Literal stretches of English messages (placeholders removed) that the language's own message
   * for the same key does not contain: seeing one means the English message was rendered.
   */
  function englishFragments(lang: string): string[] {
    const messages = files.get(lang)!;
    return Object.entries(en)
      .filter(([key, value]) => messages[key] !== value && !value.includes('plural'))
      .flatMap(([key, value]) =>
        value
          .split(/\{[^}]*\}/)
          .map((s) => s.trim())
          .filter((s) => s.length >= 12 && !messages[key]?.includes(s)),
      );
  }

  function checker(lang: string) {
    const fragments = lang === 'en' ? [] : englishFragments(lang);
    return (name: string, body: string) => {
      const where = `${lang} ${name}`;
      const taken = fallbacks
        .splice(0)
        .map((f) => `${f.key} (${f.reason}, served in ${f.servedIn})`);
      assert.deepEqual(taken, [], `${where}: messages taken from another language`);
      assert.match(body, new RegExp(`<html lang="${lang}"`), `${where}: <html lang>`);
      const text = visibleText(body);
      // Code ("/v1/objections/{id}") and the API reference's operation descriptions (from the
      // OpenAPI document, in English and marked lang="en") may hold braces.
      const prose = visibleText(
        body.replace(/<code>[\s\S]*?<\/code>|<p lang="en">[\s\S]*?<\/p>/g, ''),
      );
      assert.doesNotMatch(prose, /\{[a-zA-Z]+[},]/, `${where}: an unfilled placeholder`);
      // Whole words only: German "Administrationszugangsdaten" is not English "Administration".
      const leaks = fragments.filter((f) => {
        let at = text.indexOf(f);
        while (at >= 0) {
          const before = text[at - 1] ?? ' ';
          const next = text[at + f.length] ?? ' ';
          if (!/\p{L}/u.test(before) && !/\p{L}/u.test(next)) return true;
          at = text.indexOf(f, at + 1);
        }
        return false;
      });
      assert.deepEqual(leaks, [], `${where} shows English: ${leaks.join(' | ')}`);
    };
  }

  async function signIn(b: InjectBrowser, sub: string, lang: string) {
    const token = await signDemoToken(TEST_JWT_SECRET, {
      sub,
      lang,
      email: `${sub}@example.org`,
      name: 'Alex',
    });
    return b.follow(await b.get(`/session?token=${encodeURIComponent(token)}&next=/`));
  }

  for (const lang of EU_LANGUAGES) {
    it(`${lang}: portal, notice, error, API reference and demo pages, and emails`, async () => {
      requireLocaleFile(lang);
      const check = checker(lang);
      const page = (name: string, res: LightMyRequestResponse, status = 200) => {
        assert.equal(res.statusCode, status, `${lang} ${name}: status`);
        check(name, res.body);
      };
      fallbacks.length = 0;

      // A regional variant reaches its language (RFC 4647), ahead of a less preferred English.
      const b = new InjectBrowser(plain.app, { 'accept-language': `${lang}-BE,en;q=0.5` });
      page('notice (built in, signed out)', await b.get('/'));
      page('public notice (none yet)', await b.get('/notice'));
      page('non-user', await b.get('/non-user'));
      page('non-user error', await b.post('/non-user', { _csrf: b.csrf(), email: 'x' }), 400);
      const posted = await b.post('/non-user', {
        _csrf: b.csrf(),
        email: `nu-${lang}@example.org`,
      });
      assert.equal(posted.statusCode, 303, `${lang}: code requested`);
      page('verify', await b.get('/non-user/verify'));
      page('verify error', await b.post('/non-user/verify', { _csrf: b.csrf(), code: '12' }), 400);
      page('status (signed out)', await b.get('/status'));
      page('unknown reference', await b.get('/status/VT-0000-0000-0000?t=abc'), 404);
      // The switcher offers every language, keeps the place (and the status token). (A missing
      // language file is reported by its own test in test/i18n/catalogue.test.ts.)
      const switcher = b.last!.body;
      for (const other of catalogueLanguages()) {
        assert.ok(
          switcher.includes(
            `href="/status/VT-0000-0000-0000?t=abc&amp;lang=${other}" hreflang="${other}" lang="${other}"`,
          ),
          `${lang}: switcher link to ${other}`,
        );
      }
      assert.match(switcher, new RegExp(`hreflang="${lang}" lang="${lang}" aria-current="true"`));
      page('unknown page', await b.get('/no-such-page', { accept: 'text/html' }), 404);
      page('invalid platform link', await b.get('/session?token=x'), 401);
      page('expired form', await b.post('/non-user', {}), 403);
      page('API reference', await b.get('/docs/api'));
      page('demo', await b.get('/demo'));
      const gpcSignedOut = await b.get('/', { 'sec-gpc': '1' });
      page('notice with Sec-GPC, signed out', gpcSignedOut);
      assert.match(gpcSignedOut.body, /class="panel panel-signal"/);

      // Signed in: the account's language wins over the browser's English.
      const u = new InjectBrowser(plain.app, { 'accept-language': 'en' });
      const account = `acct-${lang}`;
      page('notice (signed in)', await signIn(u, account, lang));
      const objected = await u.post('/object', { _csrf: u.csrf() });
      const ref = String(objected.headers.location).match(REF)?.[1];
      assert.ok(ref, `${lang}: objection recorded`);
      page('receipt', await u.follow(objected));
      page('status', await u.get(`/status/${ref}`));
      page('withdraw', await u.get(`/withdraw/${ref}`));
      const withdrawn = await u.post(`/withdraw/${ref}`, { _csrf: u.csrf() });
      page('withdrawn', await u.follow(withdrawn));
      const gpc = await u.get('/', { 'sec-gpc': '1' });
      page('notice with Sec-GPC, signed in', gpc);
      assert.match(gpc.body, /class="panel panel-signal"/);
      const list = await u.get('/status');
      page('status list', list);
      const sharing = (
        await plain.veto.registry.objectionsOf({ kind: 'account', accountId: account })
      ).find((o) => o.purpose === 'third-party-sharing');
      assert.equal(sharing?.channel, 'signal', `${lang}: GPC recorded`);
      page('status (signal)', await u.get(`/status/${sharing!.reference}`));
      page('withdraw (signal)', await u.get(`/withdraw/${sharing!.reference}`));
      // "Am I in the dataset?" with the proof of each committed dataset to download.
      const datasets = await u.get('/datasets');
      page('datasets with exclusion proofs', datasets);
      assert.match(datasets.body, /href="\/datasets\/ds_lang\/exclusion-proof[^"]*" download/);

      // Without an account: the receipt's terms proofs (applied in ds_terms, not in ds_lang).
      const tok = plain.veto.registry.statusToken(nonUser);
      const nonUserRef = nonUser.reference;
      page('non-user receipt', await b.get(`/receipt/${nonUserRef}?t=${tok}`));
      const termsList = await b.get(`/receipt/${nonUserRef}/terms-proof?t=${tok}`);
      page('terms proofs', termsList);
      assert.match(
        termsList.body,
        new RegExp(`href="/receipt/${nonUserRef}/terms-proof/ds_terms\\?t=`),
      );
      const applied = await b.get(`/receipt/${nonUserRef}/terms-proof/ds_terms?t=${tok}`);
      page('terms proof (applied)', applied);
      assert.match(applied.body, /class="panel panel-success"/);
      page(
        'terms proof (not applied)',
        await b.get(`/receipt/${nonUserRef}/terms-proof/ds_lang?t=${tok}`),
      );

      // The notice email's one-click objection link: its page, the refusal and the page after.
      const link = signObjectLink(plain.config.secret, {
        accountId: `link-${lang}`,
        purpose: 'ai-training',
        version: '2026-01',
        language: lang,
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      });
      const l = new InjectBrowser(plain.app, { 'accept-language': 'en' });
      page('one-click objection', await l.get(`/object-link/${link}`));
      // A refused link says nothing it could trust: the browser's language.
      page('one-click objection refused', await b.get(`/object-link/x${link}`), 400);
      page(
        'one-click objection recorded',
        await l.follow(await l.post(`/object-link/${link}`, { _csrf: l.csrf() })),
      );
      const viaLink = await plain.veto.registry.objectionsOf({
        kind: 'account',
        accountId: `link-${lang}`,
      });
      assert.equal(viaLink[0]?.channel, 'email-link', `${lang}: objection from the link`);

      await plain.veto.dispatcher.deliverDue();
      const mails = plain.mailer.to(`${account}@example.org`);
      assert.ok(mails.length >= 2, `${lang}: receipt and withdrawal emails`);
      for (const m of mails) {
        check(`email "${m.subject}"`, m.html);
        check(`email "${m.subject}" (text)`, `<html lang="${lang}">${m.text}`);
      }

      // The published notice, at / and on the public pages, in this language.
      if (publishError) throw publishError;
      const p = new InjectBrowser(published.app, { 'accept-language': `${lang}-BE` });
      for (const path of ['/', '/notice', '/notice/2026-01']) {
        const res = await p.get(path);
        page(`published notice ${path}`, res);
        assert.doesNotMatch(
          res.body,
          /<h1 lang=|class="notice-text" lang=/,
          `${lang} ${path}: the notice text is in another language`,
        );
      }
      // The operator's summary is English (French translated): marked lang="en" elsewhere.
      page('assessment summary', await p.get('/assessment'));
      const pu = new InjectBrowser(published.app, { 'accept-language': 'en' });
      page('published notice (signed in)', await signIn(pu, `pub-${lang}`, lang));

      // The notice campaign email, with a catalogue that throws on any missing message.
      const version = (await published.veto.notices.latest())!;
      const view = published.veto.notices.view(version, { chosen: lang });
      assert.equal(view.language, lang, `${lang}: notices/2026-01/${lang}.md`);
      const mail = renderNoticeEmail(
        loadCatalogue({ strict: true }),
        view,
        'Demo Social',
        'https://veto.example/?lang=x',
      );
      check('notice email', mail.html);
    });
  }
});
