import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createRedactor } from '../../src/redact/redactor.ts';
import { snapToCharacters } from '../../src/redact/spans.ts';

describe('createRedactor', () => {
  it('returns the same string instance when nothing is found', () => {
    const r = createRedactor();
    const text = 'rien à signaler ici, 12 pommes';
    const res = r.redact(text);
    assert.equal(res.changed, false);
    assert.equal(res.text, text);
    assert.equal(res.spans.length, 0);
  });

  it('writes typed placeholders', () => {
    const r = createRedactor();
    const res = r.redact(
      'mail jean@example.fr, tel 06 12 34 56 78, IBAN FR7630006000011234567890189',
    );
    assert.equal(res.text, 'mail <EMAIL>, tel <PHONE>, IBAN <IBAN>');
    assert.equal(res.changed, true);
  });

  it('gives the same pseudonym to the same value under one key, another under another key', () => {
    const a = createRedactor({ mode: 'pseudonym', pseudonymKey: 'k'.repeat(32) });
    const b = createRedactor({ mode: 'pseudonym', pseudonymKey: 'x'.repeat(32) });
    const t1 = a.redact('call +33 6 12 34 56 78').text;
    const t2 = a.redact('or +33612345678').text;
    const p1 = /<PHONE_[0-9a-f]{10}>/.exec(t1)?.[0];
    assert.ok(p1);
    assert.ok(t2.includes(p1!));
    assert.ok(!b.redact('call +33 6 12 34 56 78').text.includes(p1!));
  });

  it('gives a phone number one pseudonym however it is written (national or international)', () => {
    const r = createRedactor({
      mode: 'pseudonym',
      pseudonymKey: 'k'.repeat(32),
      defaultRegion: 'FR',
    });
    const one = r.redact('appelez le 06 12 34 56 78').text.match(/<PHONE_\w+>/)![0];
    assert.equal(r.redact('call +33 6 12 34 56 78').text.match(/<PHONE_\w+>/)![0], one);
    assert.equal(r.redact('tel 0612345678').text.match(/<PHONE_\w+>/)![0], one);
    assert.notEqual(r.redact('appelez le 06 12 34 56 79').text.match(/<PHONE_\w+>/)![0], one);
  });

  it('refuses pseudonym mode without a key', () => {
    assert.throws(() => createRedactor({ mode: 'pseudonym' }), /pseudonymKey/);
  });

  it('redacts objector terms everywhere', () => {
    const r = createRedactor({ objectorTerms: ['Zorglub Martin'], categories: ['EMAIL'] });
    assert.equal(r.redact('Selon zorglub martin, oui.').text, 'Selon <OBJECTOR>, oui.');
  });

  it('never leaves a combining accent or half an emoji outside a span', () => {
    const text = 'Jose\u0301 👍🏽 ok';
    // A span that stops before the accent is widened over it; one that starts on the skin-tone
    // modifier's low surrogate is moved back to the start of the pair.
    assert.deepEqual(snapToCharacters(text, { category: 'PERSON', start: 0, end: 4 }).end, 5);
    assert.deepEqual(snapToCharacters(text, { category: 'PERSON', start: 7, end: 9 }).start, 6);
    const r = createRedactor({ objectorTerms: ['José'] });
    assert.equal(r.redact('José 👍🏽 ok').text, '<OBJECTOR> 👍🏽 ok');
  });
});

/** Well-formed UTF-16: every high surrogate followed by a low one and vice versa. */
function wellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

describe('span edges and characters outside the BMP', () => {
  it('keeps a supplementary-plane combining mark with the character it belongs to', () => {
    // Found by the property test below: U+110BA (Kaithi nukta) after a Kaithi letter.
    const text = 'jean@example.fr\u{11099}\u{110BA}';
    const res = createRedactor().redact(text);
    assert.deepEqual(res.spans, [{ category: 'EMAIL', start: 0, end: text.length }]);
    assert.equal(res.text, '<EMAIL>');
  });
});

describe('redaction never breaks the text (property)', () => {
  const pieces = fc.constantFrom(
    ' ',
    ', ',
    '\n',
    'é',
    'e\u0301',
    '😀',
    '👍🏽',
    '👨‍👩‍👧',
    '🇫🇷',
    '中文',
    'Rémi Foliet',
    'Dr SERVAIS',
    'jean@example.fr',
    '+33 6 12 34 56 78',
    '01 42 68 53 00',
    'FR7630006000011234567890189',
    '4111 1111 1111 1111',
    '192.168.1.10',
    'fe80::1',
    '1 85 05 78 006 084 91',
    '@jdoe',
    '12 rue de la Paix 75002 Paris',
    'Jose',
    '2024-03-01',
    '12:30',
    'the',
    'x',
  );
  const texts = fc
    .array(fc.oneof(pieces, fc.string({ unit: 'grapheme', maxLength: 6 })), { maxLength: 25 })
    .map((a) => a.join(''));
  const redactor = createRedactor({ objectorTerms: ['Jose', 'Rémi'] });

  it('keeps UTF-16 valid, spans ordered and disjoint, text outside spans intact', () => {
    fc.assert(
      fc.property(texts, (text) => {
        const res = redactor.redact(text);
        assert.ok(wellFormed(res.text));
        let prevEnd = 0;
        let rebuilt = '';
        for (const s of res.spans) {
          assert.ok(s.start >= prevEnd && s.end > s.start && s.end <= text.length);
          // Span edges never split a surrogate pair nor strand a combining mark.
          assert.ok(!/^(?:[\udc00-\udfff]|\p{M}|\u200d|\ufe0f)/u.test(text.slice(s.start)));
          assert.ok(
            !/^(?:[\udc00-\udfff]|\p{M}|\u200d|\ufe0f)/u.test(text.slice(s.end)) ||
              s.end === text.length,
          );
          rebuilt += text.slice(prevEnd, s.start);
          rebuilt += `<${s.category}>`;
          prevEnd = s.end;
        }
        rebuilt += text.slice(prevEnd);
        assert.equal(res.text, rebuilt);
        if (!res.changed) assert.equal(res.text, text);
      }),
      { numRuns: 400 },
    );
  });
});
