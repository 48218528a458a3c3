/**
 * The content record schema (docs/gate.md "Record schema") and the field mapping that adapts an
 * export that names things differently.
 *
 * Canonical fields: `id`, `author_id`, `kind`, `audience`, `created_at`, `text` (required);
 * `author_minor`, `author_age`, `region`, `media`, `mentions`, `reply_to`, `depicts_minor`,
 * `sensitive` (optional, some required by a policy).
 */
export const CANONICAL_FIELDS = [
  'id',
  'author_id',
  'kind',
  'audience',
  'created_at',
  'text',
  'author_minor',
  'author_age',
  'region',
  'media',
  'mentions',
  'reply_to',
  'depicts_minor',
  'sensitive',
] as const;
export type CanonicalField = (typeof CANONICAL_FIELDS)[number];

/**
 * Fields no rule reads but that describe the content: `lang` (a BCP 47 tag) gives the record's
 * language for the manifest's language figures (`content-languages.ts`). Mappable like the rest.
 */
export const DESCRIPTIVE_FIELDS = ['lang'] as const;
export type RecordField = CanonicalField | (typeof DESCRIPTIVE_FIELDS)[number];
const MAPPABLE: readonly string[] = [...CANONICAL_FIELDS, ...DESCRIPTIVE_FIELDS];

/**
 * How an export's records map onto the schema: `fields` gives, per canonical field, the dotted
 * path in the source record (`author.id`); `kinds` and `audiences` translate values
 * (`{"status": "post", "dm": "private-message"}`). Unmapped fields and values are used as is.
 */
export interface FieldMapping {
  fields?: Partial<Record<RecordField, string>>;
  kinds?: Record<string, string>;
  audiences?: Record<string, string>;
}

export type Getter = (record: Record<string, unknown>) => unknown;
export type Setter = (record: Record<string, unknown>, value: unknown) => void;

export function checkMapping(mapping: FieldMapping): string[] {
  const problems: string[] = [];
  for (const [field, path] of Object.entries(mapping.fields ?? {})) {
    if (!MAPPABLE.includes(field)) {
      problems.push(`fields.${field}: not a record field (known: ${MAPPABLE.join(', ')})`);
    } else if (typeof path !== 'string' || !/^[^.]+(\.[^.]+)*$/.test(path)) {
      problems.push(`fields.${field}: must be a dotted path such as "author.id"`);
    }
  }
  for (const group of ['kinds', 'audiences'] as const) {
    for (const [from, to] of Object.entries(mapping[group] ?? {})) {
      if (typeof to !== 'string') problems.push(`${group}.${from}: must map to a string`);
    }
  }
  return problems;
}

function pathOf(mapping: FieldMapping, field: RecordField): string[] {
  return (mapping.fields?.[field] ?? field).split('.');
}

export function getterFor(mapping: FieldMapping, field: RecordField): Getter {
  const path = pathOf(mapping, field);
  if (path.length === 1) {
    const key = path[0]!;
    // Plain access: an inherited property (a function) fails every type check downstream.
    // One function per field, compiled for its key: a shared `(r) => r[key]` sees every field's
    // key at one property load, which V8 then treats as megamorphic (a hash lookup per access).
    return new Function('r', `return r[${JSON.stringify(key)}];`) as Getter;
  }
  return (r) => {
    let v: unknown = r;
    for (const key of path) {
      if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key)) return undefined;
      v = (v as Record<string, unknown>)[key];
    }
    return v;
  };
}

export function setterFor(mapping: FieldMapping, field: CanonicalField): Setter {
  const path = pathOf(mapping, field);
  const last = path[path.length - 1]!;
  return (r, value) => {
    let v: Record<string, unknown> = r;
    for (let i = 0; i < path.length - 1; i++) v = v[path[i]!] as Record<string, unknown>;
    v[last] = value;
  };
}

export function mappedName(mapping: FieldMapping, field: CanonicalField): string {
  return mapping.fields?.[field] ?? field;
}

/** `created_at` as epoch ms, or NaN. Zone-less timestamps are UTC (never the machine's zone). */
export function parseTimestamp(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value !== 'string') return Number.NaN;
  const m = /^(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d(?::\d\d(?:\.\d+)?)?)(Z|[+-]\d\d:?\d\d)?)?$/.exec(
    value,
  );
  if (!m) return Number.NaN;
  if (!m[2]) return Date.parse(`${m[1]}T00:00:00Z`);
  return Date.parse(`${m[1]}T${m[2]}${m[3] ?? 'Z'}`);
}

const CAWG_TRAINING_ENTRIES = [
  'cawg.ai_training',
  'cawg.ai_generative_training',
  'cawg.data_mining',
  'c2pa.ai_training',
  'c2pa.ai_generative_training',
  'c2pa.data_mining',
];

/**
 * Whether one media item says "do not train". Reads CAWG `cawg.training-mining` (key
 * `cawg.training-mining` or `training_mining`: either a `use` string or the assertion's entries
 * `{ "cawg.ai_training": { "use": … }, … }`) and IPTC `plus:DataMining` (key `plus:DataMining`
 * or `data_mining`). "constrained" counts as not allowed; a value we do not recognise counts as
 * not allowed too (fail closed). Returns a reason string, or undefined when training is allowed.
 */
export function mediaDoNotTrain(item: Record<string, unknown>): string | undefined {
  const cawg = item['cawg.training-mining'] ?? item.training_mining;
  if (cawg !== undefined && cawg !== null) {
    if (typeof cawg === 'string') {
      if (cawg !== 'allowed') return `CAWG training-mining "${cawg}"`;
    } else if (typeof cawg === 'object') {
      const entries = ((cawg as Record<string, unknown>).entries ?? cawg) as Record<
        string,
        unknown
      >;
      for (const name of CAWG_TRAINING_ENTRIES) {
        const entry = entries[name];
        if (entry === undefined) continue;
        const use = typeof entry === 'string' ? entry : (entry as { use?: unknown } | null)?.use;
        if (use !== 'allowed') return `CAWG ${name} "${String(use)}"`;
      }
    } else {
      return 'CAWG training-mining of unknown shape';
    }
  }
  const iptc = item['plus:DataMining'] ?? item.data_mining;
  if (iptc !== undefined && iptc !== null) {
    const v = String(iptc);
    const code = v.slice(v.lastIndexOf('/') + 1).toUpperCase();
    if (code !== 'DMI-UNSPECIFIED' && code !== 'DMI-ALLOWED') return `IPTC plus:DataMining "${v}"`;
  }
  return undefined;
}
