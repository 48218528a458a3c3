import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Categories the evaluation scores (the redactor's own names, merged where the data merges). */
export const EVAL_CATEGORIES = [
  'EMAIL',
  'PHONE',
  'IBAN',
  'CARD',
  'IP',
  'NIR',
  'ADDRESS',
  'PERSON',
] as const;
export type EvalCategory = (typeof EVAL_CATEGORIES)[number];

export interface GoldSpan {
  /** Source label, e.g. NOM, STREET_ADDRESS. */
  label: string;
  /** Mapped category, or undefined for non-target labels (DATE, ORGANIZATION ...). */
  category: EvalCategory | undefined;
  /** UTF-16 offsets. */
  start: number;
  end: number;
}

export interface EvalDoc {
  id: string;
  source: 'presidio-synth' | 'presidio-cases' | 'eds-pseudo';
  lang: 'en' | 'fr';
  text: string;
  gold: GoldSpan[];
  /** Categories scored in this document: every category, or the one a recogniser case labels. */
  scored: readonly EvalCategory[];
}

/**
 * label_map.json names target groups; this maps them to our categories. SECU (French social
 * security number) is not in the suggested map but is exactly our NIR category.
 */
const GROUP_TO_CATEGORY: Readonly<Record<string, EvalCategory>> = {
  EMAIL: 'EMAIL',
  PHONE: 'PHONE',
  IBAN: 'IBAN',
  CREDIT_CARD: 'CARD',
  IP_ADDRESS: 'IP',
  POSTAL_ADDRESS: 'ADDRESS',
  PERSON_NAME: 'PERSON',
};
const EXTRA_LABELS: Readonly<Record<string, EvalCategory>> = { SECU: 'NIR' };

export interface LabelMap {
  direct: Map<string, EvalCategory>;
  /** Labels that count only next to another target span, e.g. VILLE next to ADRESSE. */
  whenAdjacent: Map<string, { category: EvalCategory; to: string }>;
}

export function loadLabelMap(dir: string): LabelMap {
  const raw = JSON.parse(readFileSync(join(dir, 'label_map.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const direct = new Map<string, EvalCategory>(Object.entries(EXTRA_LABELS));
  const whenAdjacent = new Map<string, { category: EvalCategory; to: string }>();
  for (const [group, labels] of Object.entries(raw)) {
    const category = GROUP_TO_CATEGORY[group];
    if (!category || !Array.isArray(labels)) continue;
    for (const l of labels as string[]) {
      const cond = /^(\w+)\s*\(when adjacent to (\w+)\)$/.exec(l);
      if (cond) whenAdjacent.set(cond[1]!, { category, to: cond[2]! });
      else direct.set(l, category);
    }
  }
  return { direct, whenAdjacent };
}

/** Code-point offset -> UTF-16 offset table, or undefined when the text is all BMP. */
export function codePointToUnit(text: string): ((cp: number) => number) | undefined {
  if (!/[\ud800-\udbff]/.test(text)) return undefined;
  const table: number[] = [];
  let unit = 0;
  for (const ch of text) {
    table.push(unit);
    unit += ch.length;
  }
  table.push(unit);
  return (cp) => table[cp] ?? unit;
}

function mapSpans(
  text: string,
  raw: { label: string; start: number; end: number }[],
  labels: LabelMap,
): GoldSpan[] {
  const conv = codePointToUnit(text);
  const spans: GoldSpan[] = raw
    .map((s) => ({
      label: s.label,
      category: labels.direct.get(s.label),
      start: conv ? conv(s.start) : s.start,
      end: conv ? conv(s.end) : s.end,
    }))
    .sort((a, b) => a.start - b.start);
  // Conditional labels: VILLE counts as ADDRESS when it touches an ADRESSE (directly or through
  // the ZIP between them).
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i]!;
      const rule = labels.whenAdjacent.get(s.label);
      if (!rule || s.category) continue;
      const neighbours = [spans[i - 1], spans[i + 1]].filter(
        (n): n is GoldSpan => n !== undefined && n.category === rule.category,
      );
      if (neighbours.some((n) => touches(text, n, s, /^[\s,\-–]*$/))) {
        s.category = rule.category;
        changed = true;
      }
    }
  }
  return mergeAdjacent(text, spans);
}

function touches(text: string, a: GoldSpan, b: GoldSpan, gap: RegExp): boolean {
  const [x, y] = a.start <= b.start ? [a, b] : [b, a];
  return y.start >= x.end && y.start - x.end <= 3 && gap.test(text.slice(x.end, y.start));
}

/**
 * A person is one span though the French set labels first and last names apart ("Rémi" PRENOM +
 * "Foliet" NOM), and an address is one span though it labels street, post code and city apart.
 */
function mergeAdjacent(text: string, spans: GoldSpan[]): GoldSpan[] {
  const out: GoldSpan[] = [];
  for (const s of spans) {
    const prev = out[out.length - 1];
    const gap =
      s.category === 'PERSON' ? /^[ \t]*$/ : s.category === 'ADDRESS' ? /^[\s,\-–]*$/ : null;
    if (prev && s.category && prev.category === s.category && gap && touches(text, prev, s, gap)) {
      out[out.length - 1] = { ...prev, label: `${prev.label}+${s.label}`, end: s.end };
    } else {
      out.push({ ...s });
    }
  }
  return out;
}

interface SynthRecord {
  full_text: string;
  spans: { entity_type: string; start_position: number; end_position: number }[];
}
interface CaseRecord {
  entity: string;
  text: string;
  expected_count: number;
  spans: { start: number; end: number }[];
}
interface EdsRecord {
  note_id: string;
  note_text: string;
  entities: { start: number; end: number; label: string }[];
}

/** Recogniser cases whose labels do not add up (expected_count differs from the spans given). */
export const skipped: string[] = [];

export function loadDocs(dir: string): EvalDoc[] {
  skipped.length = 0;
  const labels = loadLabelMap(dir);
  const docs: EvalDoc[] = [];
  const synth = JSON.parse(
    readFileSync(join(dir, 'presidio-synth-en.json'), 'utf8'),
  ) as SynthRecord[];
  synth.forEach((r, i) => {
    const raw = r.spans.map((s) => ({
      label: s.entity_type,
      start: s.start_position,
      end: s.end_position,
    }));
    docs.push({
      id: `presidio-synth#${i}`,
      source: 'presidio-synth',
      lang: 'en',
      text: r.full_text,
      gold: mapSpans(r.full_text, raw, labels),
      scored: EVAL_CATEGORIES,
    });
  });
  const cases = readFileSync(join(dir, 'presidio-recognizer-cases.jsonl'), 'utf8').split('\n');
  cases.forEach((line, i) => {
    if (!line.trim()) return;
    const r = JSON.parse(line) as CaseRecord;
    const category = labels.direct.get(r.entity);
    // Cases for entities we do not redact (URL) are not scored.
    if (!category) return;
    let raw = r.spans.map((s) => ({ label: r.entity, start: s.start, end: s.end }));
    if (raw.length !== r.expected_count) {
      // A few extracted cases carry expected_count 1 with no span: the whole text is the entity.
      if (r.expected_count === 1 && raw.length === 0) {
        const start = r.text.length - r.text.trimStart().length;
        raw = [{ label: r.entity, start, end: r.text.trimEnd().length }];
      } else {
        skipped.push(`presidio-cases#${i + 1}`);
        return;
      }
    }
    docs.push({
      id: `presidio-cases#${i + 1}`,
      source: 'presidio-cases',
      lang: 'en',
      text: r.text,
      gold: mapSpans(r.text, raw, labels),
      scored: [category],
    });
  });
  const eds = readFileSync(join(dir, 'eds-pseudo-fr.jsonl'), 'utf8').split('\n');
  for (const line of eds) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as EdsRecord;
    docs.push({
      id: `eds-pseudo#${r.note_id}`,
      source: 'eds-pseudo',
      lang: 'fr',
      text: r.note_text,
      gold: mapSpans(r.note_text, r.entities, labels),
      scored: EVAL_CATEGORIES,
    });
  }
  return docs;
}
