import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { modelSummaryMarkdown } from '../../src/domain/model-summary.ts';
import { sampleContentLanguages } from '../../src/gate/content-languages.ts';
import {
  detectHere,
  detectLanguages,
  languageDetectorRunsOn,
} from '../../src/gate/language-detection.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { VETO_BIN } from '../support/veto-command.ts';
import { jsonl, record, tempDir, writePolicy, writeSnapshot } from './support/fixtures.ts';

const run = promisify(execFile);

const FRENCH = [
  'Nous sommes allés au marché ce matin et les fraises étaient vraiment délicieuses.',
  'Je ne comprends pas pourquoi la réunion a été repoussée encore une fois à la semaine prochaine.',
  'Le concert de samedi soir était magnifique, merci à tous les musiciens pour cette belle soirée.',
  'Quelqu’un connaît un bon garagiste dans le quartier ? Ma voiture fait un bruit bizarre depuis hier.',
  'Les enfants ont adoré la sortie au musée, surtout la salle des dinosaures et les squelettes.',
];
const ENGLISH = [
  'We finally finished painting the kitchen and it looks so much brighter than before.',
  'Does anyone know whether the library is open on Sunday afternoons during the holidays?',
  'The train was delayed again this morning, so I missed the first half of the meeting.',
  'Just tried the new bakery around the corner and their cinnamon rolls are amazing.',
  'Our team won the match last night after a really tense second half, what a game!',
];

describe('the languages of the kept content', () => {
  it('samples at most 2,000 records at evenly spaced byte offsets, and prefers the export’s field', async () => {
    const dir = await tempDir();
    const file = join(dir, 'data.jsonl');
    const lines: unknown[] = [];
    for (let i = 0; i < 6_001; i++) {
      // Every third record carries its language in a nested field (mapped below): a tag with a
      // region, one in capitals, and one that is no language tag at all (detected instead).
      const meta =
        i % 3 === 0 ? { meta: { language: ['de-AT', 'DE', '12'][(i / 3) % 3] } } : { meta: {} };
      lines.push({ id: `r${i}`, body: i % 2 ? FRENCH[i % 5] : ENGLISH[i % 5], ...meta });
    }
    const text = jsonl(lines);
    await writeFile(file, text);
    const mapping = { fields: { lang: 'meta.language', text: 'body' } } as const;
    const l = await sampleContentLanguages(file, { records: 6_001, mapping });
    assert.equal(l.sampling, 'byte-offsets');
    // Lines are 100-200 bytes and offsets ~400 bytes apart: 2,000 distinct lines.
    assert.equal(l.sampled, 2_000);
    assert.equal(l.fromField + l.detected + l.undetermined, l.sampled);
    // Which lines: the first line starting at or after each offset, found again here.
    const starts: number[] = [];
    for (let at = 0, i = 0; i < 6_001; i++) {
      starts.push(at);
      at += Buffer.byteLength(JSON.stringify(lines[i])) + 1;
    }
    const size = Buffer.byteLength(text);
    const picked = [...Array(2_000).keys()].map((k) => {
      const offset = Math.floor((k * size) / 2_000);
      return starts.findIndex((s) => s >= offset);
    });
    const tagged = picked.filter((i) => i % 3 === 0 && (i / 3) % 3 !== 2);
    assert.equal(l.fromField, tagged.length, 'de-AT and DE are tags; 12 is not');
    const german = l.languages.find((x) => x.language === 'de')!;
    assert.equal(german.records, tagged.length);
    // Both languages of the texts, in about the shares they have (half each of the untagged).
    const en = l.languages.find((x) => x.language === 'en')!.records;
    const fr = l.languages.find((x) => x.language === 'fr')!.records;
    assert.ok(Math.abs(en - fr) < 0.1 * (en + fr), JSON.stringify(l.languages));
    assert.ok(l.undetermined <= 10, `${l.undetermined} undetermined`);
    // The same file gives the same figures.
    assert.deepEqual(await sampleContentLanguages(file, { records: 6_001, mapping }), l);
    // Up to 2,000 records: every one.
    const few = await sampleContentLanguages(file, { records: 6_001, mapping, sample: 7_000 });
    assert.equal(few.sampling, 'all');
    assert.equal(few.sampled, 6_001);
  });

  it('finds the sampled lines when they are longer than its read window', async () => {
    const dir = await tempDir();
    const file = join(dir, 'data.jsonl');
    // Lines of 40 bytes to 50 KB (the window is 16 KB), each tagged with one of four languages.
    const tagsOf = ['fr', 'en', 'de', 'it'];
    const lines = [...Array(300).keys()].map((i) =>
      JSON.stringify({
        id: `r${i}`,
        lang: tagsOf[(i * 7) % 4],
        text: 'x'.repeat((i * 7919) % 50_000),
      }),
    );
    const text = `${lines.join('\n')}\n`;
    await writeFile(file, text);
    const size = Buffer.byteLength(text);
    const starts: number[] = [];
    for (let at = 0, i = 0; i < lines.length; i++) {
      starts.push(at);
      at += Buffer.byteLength(lines[i]!) + 1;
    }
    const expected = new Map<string, number>();
    let last = -1;
    for (let k = 0; k < 60; k++) {
      const i = starts.findIndex((s) => s >= Math.floor((k * size) / 60));
      if (i < 0 || i === last) continue;
      last = i;
      const tag = tagsOf[(i * 7) % 4]!;
      expected.set(tag, (expected.get(tag) ?? 0) + 1);
    }
    const l = await sampleContentLanguages(file, { records: 300, sample: 60 });
    assert.equal(
      l.fromField,
      [...expected.values()].reduce((a, b) => a + b, 0),
    );
    assert.deepEqual(
      Object.fromEntries(l.languages.map((x) => [x.language, x.records])),
      Object.fromEntries(expected),
    );
  });

  it('`veto gate build` records them in the manifest, the Croissant card and the AI Act summary', async () => {
    const dir = await tempDir();
    const input = join(dir, 'export.jsonl');
    const records = [];
    for (let i = 0; i < 300; i++) {
      const french = i % 3 !== 0;
      records.push(
        record({
          id: `p${i}`,
          author_id: `u${i}`,
          text: french ? FRENCH[i % 5] : ENGLISH[i % 5],
          // Some English records say so themselves.
          ...(!french && i % 2 === 0 ? { lang: 'en-GB' } : {}),
        }),
      );
    }
    await writeFile(input, jsonl(records));
    const out = join(dir, 'datasets');
    const { stderr } = await run(
      process.execPath,
      [
        ...[VETO_BIN, 'gate', 'build', '--policy', await writePolicy(dir), '--input', input],
        ...['--out', out, '--snapshot', await writeSnapshot(dir, []), '--offline'],
        ...['--dataset-id', 'ds_lang'],
      ],
      { env: { ...process.env, VETO_LOG_LEVEL: 'silent' } },
    );
    const sealedDir = join(out, 'ds_lang');
    const manifest = JSON.parse(
      await readFile(join(sealedDir, 'manifest.json'), 'utf8'),
    ) as DatasetManifest;
    assert.equal(manifest.counts.kept, 300, stderr);
    const l = manifest.languages!;
    assert.equal(l.sampled, 300, 'under 2,000 kept: every record');
    assert.equal(l.sampling, 'all');
    assert.equal(l.fromField, 50);
    assert.equal(l.languages[0]!.language, 'fr');
    assert.ok(l.languages[0]!.records >= 195, JSON.stringify(l));
    assert.ok(l.languages.find((x) => x.language === 'en')!.records >= 95, JSON.stringify(l));

    const card = await run(process.execPath, [VETO_BIN, 'dataset', 'croissant', sealedDir]);
    assert.deepEqual(JSON.parse(card.stdout).inLanguage, ['fr', 'en']);

    // The summary weighs each dataset's sample by its kept records.
    const small = {
      ...manifest,
      datasetId: 'ds_small',
      languages: {
        ...l,
        records: 100,
        sampled: 100,
        fromField: 0,
        detected: 100,
        undetermined: 0,
        languages: [{ language: 'de', records: 100 }],
      },
    } satisfies DatasetManifest;
    const md = modelSummaryMarkdown({
      model: {
        id: 'mdl_1',
        datasetId: 'ds_lang',
        name: 'm',
        recordedAt: '2026-12-01T00:00:00.000Z',
        trainedAt: null,
      },
      datasets: [
        { manifest, recordedAt: manifest.finishedAt, removals: [] },
        { manifest: small, recordedAt: manifest.finishedAt, removals: [] },
      ],
      platformName: 'Example Social',
      now: '2026-12-06T00:00:00.000Z',
    });
    const line = md.split('\n').find((x) => x.startsWith('- Languages:'))!;
    const share = (name: string) => Number(new RegExp(`${name} (\\d+) %`).exec(line)?.[1]);
    const fr = l.languages.find((x) => x.language === 'fr')!.records;
    assert.equal(share('French'), Math.round((100 * fr) / 400), line);
    assert.equal(share('German'), 25, line);
    assert.match(line, /estimated from 400 sampled records of 400 kept/);
    assert.match(line, /language field for 50, detected from the text for the rest/);
  });
});

describe('language detection on its own thread', () => {
  it('answers as the detector does on this thread, in order, for texts of every kind', async () => {
    const texts = [
      ...FRENCH,
      ...ENGLISH,
      // Too short or mixed for a reliable answer, numbers only, another alphabet, empty.
      'ok',
      'Bonjour hello guten Tag',
      '12 34 56',
      'Ήταν μια όμορφη μέρα στην παραλία με τους φίλους μας και τα παιδιά.',
      '',
    ];
    const onThread = await detectLanguages(texts);
    assert.equal(await languageDetectorRunsOn(), 'thread');
    assert.deepEqual(onThread, await detectHere(texts));
    assert.deepEqual(onThread.slice(0, 10), [
      ...FRENCH.map(() => 'fr'),
      ...ENGLISH.map(() => 'en'),
    ]);
    // Calls at once get their own answers.
    const [a, b] = await Promise.all([detectLanguages(FRENCH), detectLanguages(ENGLISH)]);
    assert.deepEqual([a, b], [FRENCH.map(() => 'fr'), ENGLISH.map(() => 'en')]);
  });
});
