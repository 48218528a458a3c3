import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Judge, type JudgeConfig } from '../../src/gate/judge.ts';
import { ObjectorTable } from '../../src/gate/objector-set.ts';
import type { Policy } from '../../src/gate/policy-schema.ts';
import type { FieldMapping } from '../../src/gate/record-fields.ts';
import { RecordScanner, STRING } from '../../src/gate/record-scanner.ts';
import { CONTENT_KINDS } from '../../src/gate/record-vocabulary.ts';
import { redactionPrecheck } from '../../src/gate/redaction-precheck.ts';
import { testPolicy } from './support/judge.ts';

/**
 * The scanner is the judge's fast path; `JSON.parse` is the reference. Whatever the scanner
 * accepts must read exactly as `JSON.parse` reads it, whatever is not JSON it must refuse, and
 * the judge must decide every record the same way on both paths.
 */

const NAMES = ['id', 'author_id', 'kind', 'text', 'mentions', 'n'];
const scanner = new RecordScanner(NAMES);

function scanLine(line: string | Buffer): boolean {
  const b = typeof line === 'string' ? Buffer.from(line) : line;
  return scanner.scan(b, 0, b.length);
}

/** What JSON.parse makes of a line: the object, or undefined when it is not a JSON object. */
function reference(b: Buffer): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(b.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function checkAgainstReference(b: Buffer): void {
  const ok = scanner.scan(b, 0, b.length);
  const ref = reference(b);
  if (ref === undefined) {
    assert.equal(
      ok,
      false,
      `scanner accepted what JSON.parse refuses: ${JSON.stringify(b.toString('latin1'))}`,
    );
    return;
  }
  if (!ok) return; // left to JSON.parse: always allowed
  NAMES.forEach((name, slot) => {
    const expected = Object.hasOwn(ref, name) ? ref[name] : undefined;
    assert.deepEqual(scanner.value(b, slot), expected, `${name} in ${b.toString('utf8')}`);
    const stand = scanner.typeOnly(b, slot);
    assert.equal(Array.isArray(stand), Array.isArray(expected));
    assert.equal(stand === null, expected === null);
    assert.equal(typeof stand, typeof expected);
    if (scanner.type[slot] === STRING) {
      assert.equal(scanner.vocabulary(b, slot), expected);
    }
  });
}

describe('record scanner', () => {
  it('reads top-level fields as JSON.parse does, and only those it was asked for', () => {
    const line = Buffer.from(
      '{ "id" : "p1", "author_id":42, "kind":"post","text":"caf\\u00e9 \\"x\\" ✓", "other": {"id": "no"}, "mentions":["a","b"] , "n": -1.5e3 }',
    );
    assert.equal(scanner.scan(line, 0, line.length), true);
    assert.equal(scanner.value(line, 0), 'p1');
    assert.equal(scanner.value(line, 1), 42);
    assert.equal(scanner.value(line, 2), 'post');
    assert.equal(scanner.value(line, 3), 'café "x" ✓');
    assert.deepEqual(scanner.value(line, 4), ['a', 'b']);
    assert.equal(scanner.value(line, 5), -1500);
  });

  it('refuses what is not JSON', () => {
    for (const bad of [
      '',
      '   ',
      '[]',
      '"x"',
      '{',
      '{"id":"p1"',
      '{"id":"p1",}',
      '{"id":"p1"} x',
      '{"id":"p\u0001"}',
      '{"id":"a\tb"}',
      '{"id":"\\x"}',
      '{"id":"\\u12g4"}',
      '{"id":01}',
      '{"id":1.}',
      '{"id":.5}',
      '{"id":1e}',
      '{"id":-}',
      '{"id":tru}',
      '{"id":nul}',
      '{"id":[1,]}',
      '{"id":{"a"}}',
      '{"id" "p"}',
      '{id:"p"}',
      "{'id':'p'}",
      '\ufeff{"id":"p"}',
    ]) {
      assert.equal(scanLine(bad), false, bad);
      assert.equal(reference(Buffer.from(bad)), undefined, `JSON.parse accepts ${bad}`);
    }
  });

  it('leaves to JSON.parse the records it cannot read exactly', () => {
    // Duplicate captured key (JSON.parse keeps the last), escaped or non-ASCII key.
    assert.equal(scanLine('{"id":"a","id":"b"}'), false);
    assert.equal(scanLine('{"i\\u0064":"a"}'), false);
    assert.equal(scanLine('{"idé":"a"}'), false);
    // Nesting deeper than the scanner follows.
    assert.equal(scanLine(`{"x":${'['.repeat(70)}${']'.repeat(70)}}`), false);
    // A duplicate key that is not read is fine.
    assert.equal(scanLine('{"x":1,"x":2,"id":"a"}'), true);
  });

  it('agrees with JSON.parse on generated and mutated lines', () => {
    fc.assert(
      fc.property(lineBytes, (b) => {
        checkAgainstReference(b);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('record scanner: WebAssembly and JavaScript engines', () => {
  const js = new RecordScanner(NAMES, 'js');
  const wasm = new RecordScanner(NAMES, 'wasm');

  it('runs WebAssembly here (CI would otherwise test JavaScript twice), unless VETO_WASM=0', () => {
    assert.equal(wasm.engine, 'wasm');
    assert.equal(js.engine, 'js');
    process.env.VETO_WASM = '0';
    try {
      assert.equal(new RecordScanner(NAMES, 'wasm').engine, 'js');
    } finally {
      delete process.env.VETO_WASM;
    }
  });

  it('read every line of a batch alike: same answer, same slots', () => {
    fc.assert(
      fc.property(
        fc.array(lineBytes, { minLength: 1, maxLength: 12 }),
        fc.nat(64),
        (lines, pad) => {
          // Lines after some leading bytes, each with its newline, as the judge hands them over.
          const batch = Buffer.concat([
            Buffer.alloc(pad, 32),
            ...lines.flatMap((l) => [l, Buffer.from('\n')]),
          ]);
          wasm.load(batch, batch.length);
          let at = pad;
          for (const line of lines) {
            const end = at + line.length;
            const a = js.scan(batch, at, end);
            const b = wasm.scanAt(at, end);
            assert.equal(b, a, JSON.stringify(line.toString('latin1')));
            if (a) {
              for (let slot = 0; slot < NAMES.length; slot++) {
                assert.equal(wasm.type[slot], js.type[slot], `${NAMES[slot]}: type`);
                if (js.type[slot] === 0) continue;
                assert.equal(wasm.flags[slot], js.flags[slot], `${NAMES[slot]}: flags`);
                assert.equal(wasm.start[slot], js.start[slot], `${NAMES[slot]}: start`);
                assert.equal(wasm.end[slot], js.end[slot], `${NAMES[slot]}: end`);
              }
            }
            at = end + 1;
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('reads batches larger than its memory was (the memory grows under the views)', () => {
    const scanner = new RecordScanner(NAMES, 'wasm');
    for (const count of [10, 3000, 40_000]) {
      const lines = Array.from({ length: count }, (_, i) =>
        JSON.stringify({ id: `r${i}`, author_id: i, text: `text ${'é'.repeat(i % 5)} ${i}` }),
      );
      const batch = Buffer.from(`${lines.join('\n')}\n`);
      scanner.load(batch, batch.length);
      let at = 0;
      for (const line of lines) {
        const end = at + Buffer.byteLength(line);
        assert.equal(scanner.scanAt(at, end), true);
        assert.equal(scanner.value(batch, 0), JSON.parse(line).id);
        assert.equal(scanner.value(batch, 3), JSON.parse(line).text);
        at = end + 1;
      }
    }
  });

  it('looks vocabulary values up alike: same strings, past a full vocabulary and long values', () => {
    const vocabJs = new RecordScanner(NAMES, 'js', [2]);
    const vocabWasm = new RecordScanner(NAMES, 'wasm', [2]);
    // Values as JSON literals: plain, escaped, non-ASCII, at and past the 48 bytes a vocabulary
    // value may have, and more distinct ones than a vocabulary holds (64), across the runs.
    const kindJson = fc.oneof(
      fc.constantFrom(
        '"post"',
        '"p\\u006fst"',
        '"é"',
        `"${'x'.repeat(48)}"`,
        `"${'y'.repeat(49)}"`,
      ),
      fc.nat(90).map((n) => `"kind-${n}"`),
      fc.string({ maxLength: 60 }).map((k) => JSON.stringify(k)),
    );
    fc.assert(
      fc.property(fc.array(kindJson, { minLength: 1, maxLength: 30 }), (kinds) => {
        for (const k of kinds) {
          const line = Buffer.from(`{"id":"a","kind":${k}}`);
          vocabWasm.load(line, line.length);
          const a = vocabWasm.scanAt(0, line.length);
          assert.equal(a, vocabJs.scan(line, 0, line.length));
          if (!a || vocabJs.type[2] !== STRING) continue;
          assert.equal(vocabWasm.vocabulary(line, 2), vocabJs.vocabulary(line, 2));
          assert.equal(vocabWasm.vocabulary(line, 2), JSON.parse(line.toString()).kind);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('applies the redaction pre-check alike', () => {
    // Printable ASCII with 0 to 15 digits put anywhere: texts around every digit count the
    // categories need (2, 4, 5, 12, 13), on either side of the 16-byte steps.
    const text = fc
      .tuple(
        fc.string({
          unit: fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom(...'abc xyz-.') },
            {
              weight: 1,
              arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
            },
          ),
          maxLength: 100,
        }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...'0123456789')), { maxLength: 15 }),
      )
      .map(([t, digits]) => {
        let out = t;
        for (const [at, d] of digits) {
          const i = at % (out.length + 1);
          out = out.slice(0, i) + d + out.slice(i);
        }
        return out;
      });
    for (const categories of [
      ['EMAIL', 'PHONE', 'IP'],
      ['PHONE'],
      ['CARD', 'NIR'],
      ['EMAIL', 'PROFILE_URL', 'IBAN'],
    ] as const) {
      const precheck = redactionPrecheck([...categories]);
      const scanner = new RecordScanner(NAMES, 'wasm');
      scanner.setPrecheck(precheck);
      fc.assert(
        fc.property(fc.nat(40), text, (pad, t) => {
          const bytes = Buffer.from(`${'-'.repeat(pad)}${t}`);
          scanner.load(bytes, bytes.length);
          assert.equal(
            scanner.mayHoldAt(pad, bytes.length),
            precheck.asciiBytes(bytes, pad, bytes.length),
            `${categories.join(',')}: ${JSON.stringify(t)}`,
          );
        }),
        { numRuns: 1500 },
      );
    }
  });

  it('reads long strings, keys and nesting at the edges of its 16-byte steps', () => {
    for (let n = 0; n < 70; n++) {
      for (const fill of ['a', 'é', '\\"', '\\u00e9', '\t']) {
        const text = fill.repeat(n);
        for (const line of [
          `{"id":"${text}","text":"${text}x"}`,
          `{"${'k'.repeat(n)}":1,"id":[${'['.repeat(n % 66)}${']'.repeat(n % 66)}],"n":${n}}`,
        ]) {
          const b = Buffer.from(line);
          wasm.load(b, b.length);
          assert.equal(wasm.scanAt(0, b.length), js.scan(b, 0, b.length), line);
          for (let slot = 0; slot < NAMES.length; slot++) {
            assert.equal(wasm.end[slot], js.end[slot], line);
          }
        }
      }
    }
  });
});

describe('judge: scanner and JSON.parse decide alike', () => {
  const policies = {
    // Dates and regions are read as values.
    strict: testPolicy(),
    // Dates and regions are only type-checked; mentions do not count.
    lenient: testPolicy(
      `format: veto-policy/v1
id: lenient
title: Lenient
purpose: ai-training
legalBasis: { article: GDPR Art. 6(1)(f), interest: test }
notice: { version: "1", minimumDays: 0 }
content:
  kinds: [post, comment, audio-transcript]
  audiences: [public]
minors: { excludeAccounts: true }
objections: { coverMentions: false }
redaction: { enabled: true, categories: [EMAIL, PHONE, IP], defaultRegion: FR }
`,
    ),
  };

  // A renaming mapping: the export says `body`, `type`, `post_id` and its own kind names.
  const renamed: FieldMapping = {
    fields: { text: 'body', kind: 'type', id: 'post_id' },
    kinds: { status: 'post', reply: 'comment' },
  };
  const runs: [string, Policy, FieldMapping][] = [
    ['strict', policies.strict, {}],
    ['lenient', policies.lenient, {}],
    ['strict, renamed fields', policies.strict, renamed],
  ];
  for (const [name, policy, mapping] of runs) {
    it(`same counts, rows, rejects and records (${name})`, () => {
      const table = new ObjectorTable(8);
      for (const a of ['u1', 'u2', '7']) table.add(`acct:${a}`);
      const config = (reader: 'scanner' | 'scanner-js' | 'json-parse'): JudgeConfig => ({
        policy,
        mapping,
        objectors: table.descriptor(),
        inputs: ['in.jsonl'],
        reader,
      });
      // Both scanner engines against the reference, a batch to each in turn.
      const fast = [new Judge(config('scanner')), new Judge(config('scanner-js'))];
      const slow = new Judge(config('json-parse'));
      const records = mapping.fields ? renamedLine(mapping) : recordLine;
      let run = 0;
      fc.assert(
        fc.property(fc.array(fc.oneof(records, lineBytes), { maxLength: 25 }), (lines) => {
          const batch = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
          const a = fast[run++ % 2]!.processBatch(batch, 0, batch.length, 0, 1);
          const b = slow.processBatch(batch, 0, batch.length, 0, 1);
          assert.deepEqual(a.counts, b.counts);
          assert.equal(a.kept, b.kept);
          assert.equal(a.blank, b.blank);
          assert.equal(a.redacted, b.redacted);
          assert.equal(a.rejects, b.rejects);
          assert.equal(Buffer.from(a.decisions).toString(), Buffer.from(b.decisions).toString());
          assert.equal(Buffer.from(a.inclusions).toString(), Buffer.from(b.inclusions).toString());
          // Redacted records are spliced on one path and re-serialised on the other: the same
          // JSON, not the same bytes.
          const parse = (out: Uint8Array) =>
            Buffer.from(out)
              .toString('utf8')
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l) as unknown);
          assert.deepEqual(parse(a.out), parse(b.out));
        }),
        { numRuns: 600 },
      );
    });
  }
});

// --- generators -----------------------------------------------------------------------------

/** Serialises a value as JSON with random white space and random `\u` escapes in strings. */
function serialise(value: unknown, choices: number[]): string {
  let c = 0;
  const pick = () => choices[c++ % choices.length]!;
  const ws = () => [' ', '', '', '\t', '\r', '  '][pick() % 6]!;
  const str = (s: string, escapeOneIn = 3) => {
    const plain = JSON.stringify(s);
    if (pick() % escapeOneIn !== 0) return plain;
    // Escape some characters as \uXXXX (valid JSON, same string).
    return `"${[...plain.slice(1, -1)]
      .map((ch) =>
        pick() % 4 === 0 && ch.length === 1 && ch !== '\\'
          ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`
          : ch,
      )
      .join('')}"`;
  };
  const go = (v: unknown): string => {
    if (typeof v === 'string') return str(v);
    if (Array.isArray(v)) return `[${ws()}${v.map((x) => `${go(x)}${ws()}`).join(`,${ws()}`)}]`;
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      if (pick() % 12 === 0 && entries.length > 0) entries.push(entries[0]!); // a duplicate key
      return `{${ws()}${entries.map(([k, x]) => `${str(k, 12)}${ws()}:${ws()}${go(x)}${ws()}`).join(`,${ws()}`)}}`;
    }
    return JSON.stringify(v);
  };
  return `${ws()}${go(value)}${ws()}`;
}

const leaf = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const { value: anyValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('id', 'a', 'text', 'x'), tie('value'), { maxKeys: 3 }),
  ),
}));
const fieldValue = (good: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: anyValue });
const account = fc.constantFrom('u1', 'u2', 'u3', 'u4', 7, 8, 'a b');
const textValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    'write to jean.dupont@example.fr',
    'call 06 12 34 56 78 now',
    'server 192.168.1.20 is down',
    'café ☕ "quoted" \\ back',
    'mail: a@b.co\ttab',
  ),
);
const recordValue = fc.record(
  {
    id: fieldValue(fc.oneof(fc.string({ minLength: 1, maxLength: 6 }), fc.nat())),
    author_id: fieldValue(account),
    kind: fieldValue(fc.constantFrom(...CONTENT_KINDS, 'story', '')),
    audience: fieldValue(fc.constantFrom('public', 'friends', 'conversation')),
    created_at: fieldValue(
      fc.constantFrom('2025-04-01T10:00:00Z', '2019-01-01', 'yesterday', 1_700_000_000_000),
    ),
    text: fieldValue(textValue),
    author_minor: fieldValue(fc.boolean()),
    author_age: fieldValue(fc.integer({ min: 0, max: 40 })),
    region: fieldValue(fc.constantFrom('FR', 'de', 'US')),
    mentions: fieldValue(fc.array(account, { maxLength: 3 })),
    media: fieldValue(
      fc.array(fc.record({ 'cawg.training-mining': fc.constantFrom('allowed', 'notAllowed') }), {
        maxLength: 2,
      }),
    ),
    depicts_minor: fieldValue(fc.boolean()),
    sensitive: fieldValue(fc.boolean()),
    extra: anyValue,
  },
  { requiredKeys: ['id', 'author_id', 'kind', 'audience', 'created_at', 'text'] },
);
const choices = fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 40 });
const MUTATIONS = [
  '"',
  '\\',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '\t',
  '\u0001',
  'é',
  '0',
  '-',
  'e',
  '.',
  ' ',
  'u',
];
/** A record's bytes, sometimes with one byte changed, inserted or removed. */
const recordLine = mutatedLines(recordValue);

/**
 * Records as an export that names things otherwise writes them: the mapping's names (mostly),
 * the canonical ones or both, and its own kind names.
 */
function renamedLine(mapping: FieldMapping) {
  const renames = Object.entries(mapping.fields ?? {}) as [string, string][];
  const kindNames = Object.keys(mapping.kinds ?? {});
  return mutatedLines(
    fc
      .tuple(recordValue, fc.nat({ max: 5 }), fc.constantFrom(...kindNames, undefined))
      .map(([value, how, kind]) => {
        const r: Record<string, unknown> = { ...(value as Record<string, unknown>) };
        if (kind !== undefined) r.kind = kind;
        for (const [from, to] of renames) {
          if (!(from in r)) continue;
          if (how === 0) continue; // the canonical name only
          r[to] = r[from];
          if (how !== 1) delete r[from]; // how === 1: both names
        }
        return r;
      }),
  );
}

function mutatedLines(values: fc.Arbitrary<unknown>) {
  return fc
    .tuple(values, choices, fc.nat(), fc.nat({ max: 9 }), fc.constantFrom(...MUTATIONS))
    .map(([value, ch, at, how, insert]) => {
      let s = serialise(value, ch);
      const i = s.length === 0 ? 0 : at % s.length;
      if (how === 0) s = s.slice(0, i) + s.slice(i + 1);
      else if (how === 1) s = s.slice(0, i) + insert + s.slice(i);
      let b = Buffer.from(s.replace(/\n/g, ' '));
      if (how === 2 && b.length > 0) {
        b = Buffer.from(b);
        b[i % b.length] = 0xff; // invalid UTF-8
      }
      return b;
    });
}
const lineBytes = fc.oneof(
  { weight: 8, arbitrary: recordLine },
  {
    weight: 1,
    arbitrary: fc
      .tuple(anyValue, choices)
      .map(([v, ch]) => Buffer.from(serialise(v, ch).replace(/\n/g, ' '))),
  },
  {
    weight: 1,
    arbitrary: fc.string({ maxLength: 20 }).map((s) => Buffer.from(s.replace(/\n/g, ' '))),
  },
);

describe('judge: mappings the scanner leaves to JSON.parse', () => {
  it('two fields read from one key, a nested field, an inherited name: same decisions', () => {
    const table = new ObjectorTable(8);
    table.add('acct:u1');
    const lines = [
      '{"id":"a","author_id":"u2","kind":"post","audience":"public","created_at":"2025-04-01","text":"hi","author_minor":false,"region":"FR","user":{"id":"u2"}}',
      '{"id":"b","author_id":"u1","kind":"post","audience":"public","created_at":"2025-04-01","text":"x","author_minor":false,"region":"FR","user":{"id":"u1"}}',
    ];
    const batch = Buffer.from(`${lines.join('\n')}\n`);
    for (const fields of [
      { text: 'id' },
      { author_id: 'user.id' },
      { region: 'constructor' },
    ] as const) {
      const config = (reader: 'scanner' | 'json-parse'): JudgeConfig => ({
        policy: testPolicy(),
        mapping: { fields },
        objectors: table.descriptor(),
        inputs: ['in.jsonl'],
        reader,
      });
      const a = new Judge(config('scanner')).processBatch(batch, 0, batch.length, 0, 1);
      const b = new Judge(config('json-parse')).processBatch(batch, 0, batch.length, 0, 1);
      assert.deepEqual(a.counts, b.counts, JSON.stringify(fields));
      assert.equal(Buffer.from(a.decisions).toString(), Buffer.from(b.decisions).toString());
      assert.equal(a.rejects, b.rejects);
    }
  });
});
