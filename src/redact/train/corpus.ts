import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { codePointToUnit } from '../eval/dataset.ts';

/*
 * The labelled text the person-name model learns from and is measured on, all from the shared
 * evaluation folder (never copied into the project):
 * - ner/: real tweets, Broad Twitter Corpus sections A, B, E, G, H and the WNUT 2017 training
 *   split (CC BY 4.0), person, location, organisation (and WNUT's product, creative work, group);
 * - pii/eds-pseudo-fr.jsonl: French clinical notes (synthetic, but French), NOM and PRENOM;
 * - pii/presidio-synth-en.json: synthetic English documents, PERSON, places, organisations.
 *
 * Which part is held out is fixed here, so every script and test agrees: one fifth of every set,
 * chosen by a hash of the document's text (so a section's tweets of every kind are both learnt
 * from and measured on).
 */

export type EntityType = 'PER' | 'LOC' | 'ORG' | 'OTHER';

export interface Entity {
  type: EntityType;
  /** UTF-16 offsets into the document's text. */
  start: number;
  end: number;
  /** A person labelled on an @handle: scored apart, never learnt as a name. */
  handle: boolean;
}

export type Source =
  | 'btc-a'
  | 'btc-b'
  | 'btc-e'
  | 'btc-g'
  | 'btc-h'
  | 'wnut17'
  | 'eds-pseudo'
  | 'presidio-synth';

export interface LabelledDoc {
  id: string;
  source: Source;
  lang: 'en' | 'fr';
  text: string;
  entities: Entity[];
}

export const TWEET_SOURCES: readonly Source[] = [
  'btc-a',
  'btc-b',
  'btc-e',
  'btc-g',
  'btc-h',
  'wnut17',
];

const CONLL_TYPE: Readonly<Record<string, EntityType>> = {
  PER: 'PER',
  person: 'PER',
  LOC: 'LOC',
  location: 'LOC',
  ORG: 'ORG',
  corporation: 'ORG',
  group: 'ORG',
  product: 'OTHER',
  'creative-work': 'OTHER',
};

/**
 * A CoNLL file: a token and its tag per line, a blank line between documents; a document's
 * text is its tokens joined by single spaces (the corpus README's convention).
 */
export function parseConll(content: string, source: Source, file: string): LabelledDoc[] {
  const docs: LabelledDoc[] = [];
  let tokens: string[] = [];
  let tags: string[] = [];
  const flush = () => {
    if (tokens.length === 0) return;
    let text = '';
    const entities: Entity[] = [];
    let open: Entity | undefined;
    tokens.forEach((tok, i) => {
      if (i > 0) text += ' ';
      const start = text.length;
      text += tok;
      const tag = tags[i]!;
      const kind = tag.slice(2);
      const type = CONLL_TYPE[kind];
      if (tag === 'O' || !type) {
        open = undefined;
        return;
      }
      if (tag.startsWith('I-') && open && open.type === type) {
        open.end = text.length;
        return;
      }
      open = { type, start, end: text.length, handle: false };
      entities.push(open);
    });
    // Some sections split a handle from its '@' ("@ Theory_Versa"): a handle all the same.
    for (const e of entities) {
      e.handle =
        e.type === 'PER' && (text[e.start] === '@' || text.slice(e.start - 2, e.start) === '@ ');
    }
    docs.push({ id: `${source}#${docs.length + 1}`, source, lang: 'en', text, entities });
    tokens = [];
    tags = [];
  };
  const lines = content.split('\n');
  lines.forEach((line, n) => {
    if (line.trim() === '') {
      flush();
      return;
    }
    const tab = line.lastIndexOf('\t');
    if (tab < 0) throw new Error(`${file}:${n + 1}: expected "token<TAB>tag"`);
    // A few tokens are empty (a character lost upstream): nothing to join.
    if (tab === 0) return;
    tokens.push(line.slice(0, tab));
    tags.push(line.slice(tab + 1).trim());
  });
  flush();
  return docs;
}

const EDS_TYPE: Readonly<Record<string, EntityType>> = {
  NOM: 'PER',
  PRENOM: 'PER',
  VILLE: 'LOC',
  ADRESSE: 'LOC',
  ZIP: 'LOC',
  HOPITAL: 'ORG',
};
const PRESIDIO_TYPE: Readonly<Record<string, EntityType>> = {
  PERSON: 'PER',
  GPE: 'LOC',
  STREET_ADDRESS: 'LOC',
  ZIP_CODE: 'LOC',
  ORGANIZATION: 'ORG',
};

/** Spans sorted; a first name and a surname labelled apart ("Rémi" + "Foliet") become one. */
function mergePersons(text: string, raw: Entity[]): Entity[] {
  const sorted = [...raw].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Entity[] = [];
  for (const e of sorted) {
    const prev = out[out.length - 1];
    if (
      prev &&
      prev.type === 'PER' &&
      e.type === 'PER' &&
      e.start >= prev.end &&
      /^[ \t]*$/.test(text.slice(prev.end, e.start))
    ) {
      prev.end = e.end;
    } else {
      out.push({ ...e });
    }
  }
  return out;
}

function loadEds(file: string): LabelledDoc[] {
  const docs: LabelledDoc[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as {
      note_id: string;
      note_text: string;
      entities: { start: number; end: number; label: string }[];
    };
    const conv = codePointToUnit(r.note_text);
    const raw = r.entities.map((e) => ({
      type: EDS_TYPE[e.label] ?? 'OTHER',
      start: conv ? conv(e.start) : e.start,
      end: conv ? conv(e.end) : e.end,
      handle: false,
    }));
    docs.push({
      id: `eds-pseudo#${r.note_id}`,
      source: 'eds-pseudo',
      lang: 'fr',
      text: r.note_text,
      entities: mergePersons(r.note_text, raw),
    });
  }
  return docs;
}

function loadPresidio(file: string): LabelledDoc[] {
  const records = JSON.parse(readFileSync(file, 'utf8')) as {
    full_text: string;
    spans: { entity_type: string; start_position: number; end_position: number }[];
  }[];
  return records.map((r, i) => {
    const conv = codePointToUnit(r.full_text);
    const raw = r.spans.map((s) => ({
      type: PRESIDIO_TYPE[s.entity_type] ?? 'OTHER',
      start: conv ? conv(s.start_position) : s.start_position,
      end: conv ? conv(s.end_position) : s.end_position,
      handle: false,
    }));
    return {
      id: `presidio-synth#${i}`,
      source: 'presidio-synth' as const,
      lang: 'en' as const,
      text: r.full_text,
      entities: mergePersons(r.full_text, raw),
    };
  });
}

/** Every labelled document of the shared folder `evalDir` (holding ner/ and pii/). */
export function loadCorpus(evalDir: string): LabelledDoc[] {
  const docs: LabelledDoc[] = [];
  for (const s of ['a', 'b', 'e', 'g', 'h']) {
    const file = join(evalDir, 'ner', `btc-${s}.conll`);
    docs.push(...parseConll(readFileSync(file, 'utf8'), `btc-${s}` as Source, file));
  }
  const wnut = join(evalDir, 'ner', 'wnut17-train.conll');
  docs.push(...parseConll(readFileSync(wnut, 'utf8'), 'wnut17', wnut));
  docs.push(...loadEds(join(evalDir, 'pii', 'eds-pseudo-fr.jsonl')));
  docs.push(...loadPresidio(join(evalDir, 'pii', 'presidio-synth-en.json')));
  return docs;
}

/** FNV-1a of a string's UTF-16 units: a stable hash for the split. */
export function textHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export type Split = 'train' | 'heldout';

/** The fixed split: a fifth of every set by text hash is held out; the rest trains. */
export function splitOf(doc: LabelledDoc): Split {
  return textHash(doc.text) % 5 === 0 ? 'heldout' : 'train';
}

/** The part of the held-out material each figure is reported on. */
export const HELDOUT_SETS = [
  {
    name: 'btc a+b+e+g+h (tweets)',
    lang: 'en',
    sources: ['btc-a', 'btc-b', 'btc-e', 'btc-g', 'btc-h'],
  },
  { name: 'wnut17 train (tweets, Reddit, YouTube)', lang: 'en', sources: ['wnut17'] },
  { name: 'eds-pseudo (French notes, synthetic)', lang: 'fr', sources: ['eds-pseudo'] },
  { name: 'presidio-synth (English, synthetic)', lang: 'en', sources: ['presidio-synth'] },
] as const;
