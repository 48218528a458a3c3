import type { Policy } from './policy-schema.ts';
import { parseTimestamp } from './record-fields.ts';
import { PRIVATE_MESSAGE_KIND } from './record-vocabulary.ts';

/**
 * A policy's record rules as one SQL query, for platforms that filter their lake with their own
 * engine (`veto policy sql`, docs/scale.md). The query reads a table of the export schema and
 * the objector set, and gives every record the decision the gate gives it (`src/gate/rules.ts`):
 * the same checks of what a rule needs (a record that fails one is `malformed`), then the rules
 * in the gate's order, first match wins. What it leaves out:
 *
 * - redaction: run `veto redact` on the kept records (`veto dataset import` refuses a record
 *   the policy would still redact);
 * - the notice period and objections received after the snapshot's cut-off: they need the live
 *   registry, and `veto dataset import` applies them;
 * - field mapping: rename the export's columns in the view that feeds the query.
 *
 * The judge is the reference; `test/gate/policy-sql.test.ts` runs this SQL in DuckDB on
 * generated exports and compares every record's decision with the gate's.
 */
export type SqlDialect = 'duckdb';

export interface PolicySqlOptions {
  dialect: SqlDialect;
  /** The table or view of records (default `records`). */
  records?: string;
  /** The table or view of the objector set, column `subject_key` (default `objectors`). */
  objectors?: string;
  /** `kept` (default): the kept records. `decisions`: every record with its decision (`veto_reason`). */
  output?: 'kept' | 'decisions';
  /** Named in the header comment. */
  source?: { path: string; sha256: string };
}

/** The columns the query reads, with the DuckDB types it expects them in. */
export const RECORD_COLUMNS = {
  id: 'VARCHAR',
  author_id: 'VARCHAR',
  kind: 'VARCHAR',
  audience: 'VARCHAR',
  created_at: 'VARCHAR',
  text: 'VARCHAR',
  author_minor: 'BOOLEAN',
  author_age: 'DOUBLE',
  region: 'VARCHAR',
  media: 'JSON',
  mentions: 'VARCHAR[]',
  depicts_minor: 'BOOLEAN',
  sensitive: 'BOOLEAN',
} as const;

/** The `columns` argument of DuckDB's `read_json` for an export in the record schema. */
export function duckdbReadJsonColumns(): string {
  return `{${Object.entries(RECORD_COLUMNS)
    .map(([name, type]) => `${name}: '${type}'`)
    .join(', ')}}`;
}

const MAX_ID_LENGTH = 500;
const MAX_KEY_LENGTH = 512;
const DAY_MS = 86_400_000;
/** `parseTimestamp`'s pattern, with the parts as groups (RE2 has no named groups here). */
const TIMESTAMP_PATTERN =
  '^(\\d{4})-(\\d\\d)-(\\d\\d)(?:[T ](\\d\\d):(\\d\\d)(?::(\\d\\d)(?:\\.(\\d+))?)?(Z|([+-])(\\d\\d):?(\\d\\d))?)?$';
const CAWG_TRAINING_ENTRIES = [
  'cawg.ai_training',
  'cawg.ai_generative_training',
  'cawg.data_mining',
  'c2pa.ai_training',
  'c2pa.ai_generative_training',
  'c2pa.data_mining',
];

function str(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function ident(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) {
    throw new Error(`${JSON.stringify(name)}: a table name is letters, digits, _ and .`);
  }
  return name;
}

function list(values: readonly string[]): string {
  return values.map(str).join(', ');
}

/** A JSON value's own member `name` (`'$."name"'`): present and not null. */
function present(json: string, name: string): string {
  return `coalesce(json_type(${json}, ${str(`$."${name}"`)}), 'NULL') <> 'NULL'`;
}

function member(json: string, name: string): string {
  return `json_extract(${json}, ${str(`$."${name}"`)})`;
}

/** `a ?? b` of two members: the first that is present and not null (else SQL NULL). */
function either(json: string, a: string, b: string): string {
  return `CASE WHEN ${present(json, a)} THEN ${member(json, a)} WHEN ${present(json, b)} THEN ${member(json, b)} END`;
}

/**
 * Whether a `media` JSON array holds an item that says "do not train": `mediaDoNotTrain`
 * (record-fields.ts) on each item, in steps (DuckDB lambdas take no subqueries): each item's
 * CAWG and IPTC values (`a ?? b`), then the CAWG entries (`entries ?? cawg`), then each entry.
 * An unknown value or shape counts as "do not train".
 */
function mediaFlagged(media: string): string {
  const items = `TRY_CAST(${media} AS JSON[])`;
  const step1 = `list_transform(${items}, lambda x: struct_pack(
        c := ${either('x', 'cawg.training-mining', 'training_mining')},
        i := ${either('x', 'plus:DataMining', 'data_mining')}))`;
  const step2 = `list_transform(${step1}, lambda s: struct_pack(c := s.c, i := s.i,
        e := CASE WHEN json_type(s.c) = 'OBJECT' THEN
          CASE WHEN ${present('s.c', 'entries')} THEN ${member('s.c', 'entries')} ELSE s.c END END))`;
  const names = CAWG_TRAINING_ENTRIES.map((name, k) => `n${k} := ${member('s.e', name)}`);
  const step3 = `list_transform(${step2}, lambda s: struct_pack(c := s.c, i := s.i, ${names.join(', ')}))`;
  // A present entry (JSON null included) is "allowed" only as the string or as `{"use": ...}`.
  const entryFlag = (n: string) =>
    `(${n} IS NOT NULL AND NOT coalesce((json_type(${n}) = 'VARCHAR' AND (${n} ->> '$') = 'allowed')
        OR (json_type(${n}) = 'OBJECT' AND json_type(${n}, '$.use') = 'VARCHAR' AND (${n} ->> '$.use') = 'allowed'), false))`;
  const cawgFlag = `CASE
        WHEN s.c IS NULL THEN false
        WHEN json_type(s.c) = 'VARCHAR' THEN (s.c ->> '$') <> 'allowed'
        WHEN json_type(s.c) = 'ARRAY' THEN false
        WHEN json_type(s.c) = 'OBJECT' THEN ${CAWG_TRAINING_ENTRIES.map((_, k) => entryFlag(`s.n${k}`)).join('\n          OR ')}
        ELSE true END`;
  // Only a string can name an allowed IPTC value; other shapes count as "do not train".
  const iptcFlag = `CASE
        WHEN s.i IS NULL THEN false
        WHEN json_type(s.i) = 'VARCHAR' THEN upper(regexp_extract(s.i ->> '$', '([^/]*)$', 1)) NOT IN ('DMI-UNSPECIFIED', 'DMI-ALLOWED')
        ELSE true END`;
  return `len(list_filter(${step3}, lambda s: (${cawgFlag}) OR (${iptcFlag}))) > 0`;
}

/** The SQL text of `veto policy sql`. */
export function policySql(policy: Policy, options: PolicySqlOptions): string {
  if (options.dialect !== 'duckdb') throw new Error(`dialect ${options.dialect}: only duckdb`);
  // Named objectors need the gate's name matching (docs/gate.md "Named objectors"): a query that
  // left them out would keep records the gate drops.
  if (policy.objections.profileUrls.length > 0) {
    throw new Error(
      'objections.profileUrls: named objectors are found by the gate only; this policy has no SQL equivalent',
    );
  }
  const records = ident(options.records ?? 'records');
  const objectors = ident(options.objectors ?? 'objectors');
  const output = options.output ?? 'kept';
  const notBefore =
    policy.content.notBefore !== undefined ? parseTimestamp(policy.content.notBefore) : undefined;
  const adultAge = policy.minors.adultAge;

  // What makes a record `malformed`: a field a rule reads is missing or not what the rule needs.
  const idOk = (col: string, extra: string) =>
    `${col} IS NOT NULL AND length(${col}) BETWEEN 1 AND ${MAX_ID_LENGTH} AND NOT regexp_matches(${col}, '[${extra}]')`;
  const valid = [
    idOk('r.id', '\\x00-\\x1f\\x7f'),
    idOk('r.author_id', '\\x00-\\x20\\x7f'),
    `coalesce(r.kind, '') <> ''`,
    `coalesce(r.audience, '') <> ''`,
    'r.created_at IS NOT NULL',
    'r.text IS NOT NULL',
    // Each mention becomes a subject key that a snapshot can hold.
    `(r.mentions IS NULL OR len(list_filter(r.mentions, lambda m: m IS NULL
        OR length(CASE WHEN starts_with(m, 'acct:') OR starts_with(m, 'email:') THEN m ELSE 'acct:' || m END) > ${MAX_KEY_LENGTH}
        OR regexp_matches(m, '[\\x00-\\x20\\x7f]'))) = 0)`,
    '(r.author_age IS NULL OR r.author_age >= 0)',
    // JSON null is no media; otherwise an array of objects.
    `(r.media IS NULL OR json_type(r.media) = 'NULL' OR (json_type(r.media) = 'ARRAY'
        AND len(list_filter(TRY_CAST(r.media AS JSON[]), lambda x: coalesce(json_type(x), 'NULL') <> 'OBJECT')) = 0))`,
  ];
  if (policy.minors.excludeAccounts) {
    valid.push('(r.author_minor IS NOT NULL OR r.author_age IS NOT NULL)');
  }
  if (policy.content.regions) valid.push(`coalesce(r.region, '') <> ''`);
  if (notBefore !== undefined) valid.push('r.veto_ms IS NOT NULL');

  // The rules after the objector set's, in the gate's order (reasons.ts).
  const rules: [string, string][] = [
    [`r.kind = ${str(PRIVATE_MESSAGE_KIND)}`, 'private-message'],
    [`r.kind NOT IN (${list(policy.content.kinds)})`, 'kind'],
  ];
  if (policy.minors.excludeAccounts) {
    rules.push([`(r.author_minor IS TRUE OR r.author_age < ${adultAge})`, 'minor']);
  }
  if (policy.minors.excludeContentDepictingMinors) {
    rules.push(['r.depicts_minor IS TRUE', 'minor']);
  }
  rules.push([`r.audience NOT IN (${list(policy.content.audiences)})`, 'audience']);
  if (policy.content.regions) {
    rules.push([`upper(r.region) NOT IN (${list(policy.content.regions)})`, 'region']);
  }
  if (notBefore !== undefined) rules.push([`r.veto_ms < ${notBefore}`, 'before-cutoff']);
  rules.push([`(json_type(r.media) = 'ARRAY' AND ${mediaFlagged('r.media')})`, 'media-flag']);
  if (policy.sensitive.exclude) rules.push(['r.sensitive IS TRUE', 'sensitive']);

  const mentionRule = policy.objections.coverMentions
    ? `
      WHEN EXISTS (SELECT 1 FROM unnest(r.mentions) AS u(m) JOIN ${objectors} AS om
          ON om.subject_key = CASE WHEN starts_with(u.m, 'acct:') OR starts_with(u.m, 'email:') THEN u.m ELSE 'acct:' || u.m END)
        THEN 'objected-mention'`
    : '';

  // `created_at` as epoch milliseconds the way `parseTimestamp` reads it: days past the end of
  // a month roll over, hour 24 only as 24:00:00, zone offsets up to 23:59, fractions cut to ms.
  const p = 'r.veto_p';
  // A part as a number, NULL when absent (the engine may evaluate a branch it will not take).
  const n = (part: string) => `TRY_CAST(nullif(${p}.${part}, '') AS BIGINT)`;
  const timed =
    notBefore === undefined
      ? ''
      : `
  veto_parsed AS (
    SELECT *, regexp_extract(coalesce(created_at, ''), ${str(TIMESTAMP_PATTERN)},
        ['y', 'mo', 'd', 'h', 'mi', 's', 'f', 'z', 'zs', 'zh', 'zm']) AS veto_p
    FROM ${records}
  ),
  veto_timed AS (
    SELECT r.*, CASE WHEN ${p}.y <> ''
        AND ${n('mo')} BETWEEN 1 AND 12 AND ${n('d')} BETWEEN 1 AND 31
        AND (${p}.h = '' OR ${n('h')} <= 23
          OR (${n('h')} = 24 AND ${p}.mi = '00' AND ${p}.s IN ('', '00') AND regexp_matches(${p}.f, '^0*$')))
        AND (${p}.mi = '' OR ${n('mi')} <= 59) AND (${p}.s = '' OR ${n('s')} <= 59)
        AND (${p}.zh = '' OR (${n('zh')} <= 23 AND ${n('zm')} <= 59))
      THEN epoch_ms(make_date(${n('y')}::INT, ${n('mo')}::INT, 1)) + (${n('d')} - 1) * ${DAY_MS}
        + coalesce(${n('h')}, 0) * 3600000 + coalesce(${n('mi')}, 0) * 60000
        + coalesce(${n('s')}, 0) * 1000 + coalesce(TRY_CAST(nullif(rpad(left(${p}.f, 3), 3, '0'), '') AS BIGINT), 0)
        - CASE ${p}.zs WHEN '+' THEN 1 WHEN '-' THEN -1 ELSE 0 END
          * (coalesce(${n('zh')}, 0) * 3600000 + coalesce(${n('zm')}, 0) * 60000)
      END AS veto_ms
    FROM veto_parsed AS r
  ),`;

  const header = [
    `-- veto policy sql: the record rules of policy "${policy.id}" (purpose ${policy.purpose})${options.source ? `, ${options.source.path} sha256 ${options.source.sha256}` : ''}`,
    '-- Dialect: DuckDB. Reads:',
    `--   ${records}: one row per record of the export, columns ${Object.entries(RECORD_COLUMNS)
      .map(([n, t]) => `${n} ${t}`)
      .join(', ')}`,
    `--     (a JSONL export: CREATE VIEW ${records} AS SELECT * FROM read_json('export.jsonl', format = 'newline_delimited', columns = ${duckdbReadJsonColumns()}))`,
    `--   ${objectors}: the snapshot, column subject_key (CREATE VIEW ${objectors} AS SELECT * FROM read_parquet('objectors.parquet'))`,
    output === 'kept'
      ? `-- Gives: the kept records, every column of ${records}. Not done here: redaction (veto redact), the notice period`
      : '-- Gives: every record with its decision (column veto_reason), as decisions.tsv. Not done here: the notice period',
    '--   and objections after the cut-off (veto dataset import applies both). See docs/scale.md.',
  ].join('\n');

  const judged = `veto_judged AS (
    SELECT r.*, CASE
      WHEN NOT (${valid.join('\n        AND ')})
        THEN 'malformed'
      WHEN o.subject_key IS NOT NULL THEN 'objected'${mentionRule}
${rules.map(([when, reason]) => `      WHEN ${when} THEN '${reason}'`).join('\n')}
      ELSE 'kept' END AS veto_reason
    FROM ${notBefore === undefined ? records : 'veto_timed'} AS r
    LEFT JOIN ${objectors} AS o ON o.subject_key = 'acct:' || r.author_id
  )`;
  const select =
    output === 'kept'
      ? `SELECT * EXCLUDE (veto_reason${notBefore === undefined ? '' : ', veto_p, veto_ms'}) FROM veto_judged WHERE veto_reason = 'kept'`
      : `SELECT *${notBefore === undefined ? '' : ' EXCLUDE (veto_p, veto_ms)'} FROM veto_judged`;
  return `${header}
WITH${timed}
  ${judged}
${select}
`;
}
