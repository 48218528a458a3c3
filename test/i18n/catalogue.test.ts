import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { IntlMessageFormat } from 'intl-messageformat';
import {
  catalogueLanguages,
  LOCALES_DIR,
  loadCatalogue,
  onCatalogueFallback,
  readLocaleFiles,
} from '../../src/i18n/catalogue.ts';
import { EU_LANGUAGES, requireLocaleFile } from '../support/eu-languages.ts';
import { tempDir } from '../support/temp.ts';

const files = readLocaleFiles();
const en = files.get('en')!;

/** Argument names used by an ICU message, including inside plural/select branches. */
function argumentsOf(message: string, lang: string): string[] {
  const names = new Set<string>();
  const walk = (nodes: unknown[]) => {
    for (const node of nodes as {
      type: number;
      value?: unknown;
      options?: Record<string, { value: unknown[] }>;
    }[]) {
      // Literal (0) and pound (7) carry no argument name; everything else does.
      if (node.type !== 0 && node.type !== 7 && typeof node.value === 'string')
        names.add(node.value);
      for (const option of Object.values(node.options ?? {})) walk(option.value);
    }
  };
  walk(new IntlMessageFormat(message, lang, undefined, { ignoreTag: true }).getAst());
  return [...names].sort();
}

/** The plural (or selectordinal) arguments of a message, with the branches each one offers. */
function pluralsOf(message: string, lang: string): { name: string; options: string[] }[] {
  const out: { name: string; options: string[] }[] = [];
  const walk = (nodes: unknown[]) => {
    for (const node of nodes as {
      type: number;
      value?: string;
      options?: Record<string, { value: unknown[] }>;
    }[]) {
      // 6 is a plural node in @formatjs/icu-messageformat-parser's AST.
      if (node.type === 6) out.push({ name: node.value!, options: Object.keys(node.options!) });
      for (const option of Object.values(node.options ?? {})) walk(option.value);
    }
  };
  walk(new IntlMessageFormat(message, lang, undefined, { ignoreTag: true }).getAst());
  return out;
}

describe('message catalogue', () => {
  it('ships English and French, each file named by its language tag', () => {
    assert.ok(files.has('en') && files.has('fr'), `found: ${[...files.keys()].join(', ')}`);
  });

  // All 24 official EU languages. One test per language, so a missing file is
  // named in the failure rather than discovered through a page in English.
  for (const lang of EU_LANGUAGES) {
    it(`ships ${lang}.json (official EU language)`, () => {
      requireLocaleFile(lang);
      assert.ok(files.has(lang), `${lang}.json was not loaded`);
      assert.notEqual(
        files.get(lang)!['meta.name'],
        lang === 'en' ? undefined : en['meta.name'],
        `${lang}.json: meta.name must be the language's own name`,
      );
    });

    it(`${lang}: plurals offer every category of the language, dates are formatted by Intl`, () => {
      requireLocaleFile(lang);
      const messages = files.get(lang)!;
      // The categories whole numbers up to 1000 fall into (French "many" is for millions and
      // compact notation, Czech "many" for decimals: no message here counts those).
      const rules = new Intl.PluralRules(lang);
      const categories = [...new Set(Array.from({ length: 1001 }, (_, n) => rules.select(n)))];
      for (const [key, message] of Object.entries(messages)) {
        for (const plural of pluralsOf(message, lang)) {
          const missing = categories.filter((c) => !plural.options.includes(c));
          assert.deepEqual(
            missing,
            [],
            `${lang}:${key}: {${plural.name}, plural} lacks the ${lang} categories ${missing.join(', ')}`,
          );
        }
      }
      const c = loadCatalogue({ languages: [lang, 'en'], strict: true });
      for (const count of [0, 1, 2, 3, 5, 11, 21, 101]) {
        assert.match(c.t(lang, 'status.appears-at-count', { count }), new RegExp(`\\b${count}\\b`));
      }
      const when = c.t(lang, 'format.datetime', { date: new Date('2026-01-31T23:30:00.000Z') });
      assert.match(when, /31/);
      assert.match(when, /23|11/);
      if (lang !== 'en') assert.doesNotMatch(when, /January/, `${lang}: ${when}`);
    });
  }

  for (const [lang, messages] of files) {
    it(`${lang}.json has exactly the keys of en.json`, () => {
      const missing = Object.keys(en).filter((k) => !(k in messages));
      const extra = Object.keys(messages).filter((k) => !(k in en));
      assert.deepEqual(missing, [], `${lang}.json is missing: ${missing.join(', ')}`);
      assert.deepEqual(extra, [], `${lang}.json has keys en.json lacks: ${extra.join(', ')}`);
    });

    it(`${lang}.json messages parse as ICU and use the same arguments as English`, () => {
      for (const [key, message] of Object.entries(messages)) {
        assert.ok(message.trim().length > 0, `${lang}:${key} is empty`);
        const source = en[key];
        if (source === undefined) continue;
        assert.deepEqual(argumentsOf(message, lang), argumentsOf(source, 'en'), `${lang}:${key}`);
      }
    });
  }

  it('every key the portal, demo and mail code names exists', () => {
    const roots = ['src/http/portal', 'src/http/console', 'src/demo', 'src/mail'];
    const prefixes = new Set(Object.keys(en).map((k) => k.split('.')[0]));
    const missing: string[] = [];
    const scan = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) scan(full);
        else if (entry.name.endsWith('.ts')) {
          const src = readFileSync(full, 'utf8');
          for (const m of src.matchAll(/'([a-z]+(?:\.[a-z0-9-]+)+)'/g)) {
            const key = m[1]!;
            if (!prefixes.has(key.split('.')[0]!) || key.endsWith('.')) continue;
            if (!(key in en)) missing.push(`${full}: ${key}`);
          }
        }
      }
    };
    for (const root of roots) scan(root);
    assert.deepEqual(missing, []);
  });

  it('every AppError code and every explicit messageKey has a message', () => {
    const errors = readFileSync('src/domain/errors.ts', 'utf8');
    const statusBlock = errors.slice(errors.indexOf('const STATUS'));
    const codes = [
      ...statusBlock.slice(0, statusBlock.indexOf('};')).matchAll(/'?([a-z-]+)'?:\s*\d{3}/g),
    ].map((m) => m[1]!);
    assert.ok(codes.length >= 10, `parsed ${codes.length} codes from errors.ts`);
    const keys = codes.map((c) => `error.${c}`);
    const explicit: string[] = [];
    const scan = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) scan(full);
        else if (entry.name.endsWith('.ts')) {
          for (const m of readFileSync(full, 'utf8').matchAll(/messageKey: '([^']+)'/g))
            explicit.push(m[1]!);
        }
      }
    };
    scan('src');
    for (const key of [...keys, ...explicit]) {
      for (const [lang, messages] of files) assert.ok(key in messages, `${lang}.json lacks ${key}`);
    }
  });

  it('adding a language is a file drop', (t) => {
    const dir = tempDir(t);
    for (const f of readdirSync(LOCALES_DIR))
      copyFileSync(path.join(LOCALES_DIR, f), path.join(dir, f));
    // Luxembourgish: not an official EU language, so no shipped file has it.
    writeFileSync(
      path.join(dir, 'lb.json'),
      JSON.stringify({ ...en, 'meta.name': 'Lëtzebuergesch', 'layout.skip': 'Op den Inhalt' }),
    );
    const catalogue = loadCatalogue({ dir });
    assert.deepEqual(catalogue.languages, [...catalogueLanguages(), 'lb'].sort());
    assert.deepEqual(catalogueLanguages(dir), catalogue.languages);
    assert.equal(catalogue.autonym('lb'), 'Lëtzebuergesch');
    assert.equal(catalogue.t('lb', 'layout.skip'), 'Op den Inhalt');
  });

  it('refuses a configured language that has no file, naming it', () => {
    assert.throws(() => loadCatalogue({ languages: ['en', 'xx'] }), /"xx" is configured/);
  });

  it('formats dates and plurals through Intl, per language', () => {
    const c = loadCatalogue();
    const date = new Date('2026-01-31T23:30:00.000Z');
    assert.match(c.t('fr', 'format.datetime', { date }), /^31 janvier 2026 à 23:30 UTC$/);
    // English in the British and Irish form unless configured otherwise; the zone said plainly.
    assert.match(c.t('en', 'format.datetime', { date }), /^31 January 2026 at 23:30 UTC$/);
    const us = loadCatalogue({ formatLocales: { en: 'en-US' } });
    assert.match(us.t('en', 'format.datetime', { date }), /^January 31, 2026 at 11:30\sPM UTC$/);
    // French "one" covers 0 and 1; English "one" is 1 only.
    assert.equal(c.t('fr', 'status.appears-at-count', { count: 0 }), '0 endroit indiqué');
    assert.equal(c.t('fr', 'status.appears-at-count', { count: 2 }), '2 endroits indiqués');
    assert.equal(c.t('en', 'status.appears-at-count', { count: 0 }), '0 places listed');
    assert.equal(c.t('en', 'status.appears-at-count', { count: 1 }), '1 place listed');
  });

  it('falls back to the default language for an unknown language, never to a raw key', () => {
    const c = loadCatalogue();
    const seen: string[] = [];
    const stop = onCatalogueFallback((f) => seen.push(`${f.language}:${f.key}:${f.reason}`));
    try {
      assert.equal(c.t('xx', 'layout.skip'), en['layout.skip']);
      assert.equal(c.t('fr', 'layout.skip'), files.get('fr')!['layout.skip']);
    } finally {
      stop();
    }
    // Every fallback is reported, so tests can prove a page took none.
    assert.deepEqual(seen, ['xx:layout.skip:language-not-loaded']);
    assert.throws(() => c.t('en', 'no.such.key'), /unknown message key/);
  });

  it('in strict mode a missing message throws, naming the language file and the key', (t) => {
    const dir = tempDir(t);
    writeFileSync(path.join(dir, 'en.json'), JSON.stringify({ a: 'A', b: 'B' }));
    writeFileSync(path.join(dir, 'fr.json'), JSON.stringify({ a: 'Â' }));
    const strict = loadCatalogue({ dir, strict: true });
    assert.equal(strict.t('fr', 'a'), 'Â');
    assert.throws(() => strict.t('fr', 'b'), /message "b" is missing in fr\.json/);
    assert.throws(() => strict.t('de', 'a'), /language "de" is not loaded/);
    assert.equal(loadCatalogue({ dir }).t('fr', 'b'), 'B');
  });
});
