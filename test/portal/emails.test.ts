import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCatalogue } from '../../src/i18n/catalogue.ts';
import type { EmailKind } from '../../src/mail/mailer.ts';
import { createEmailRenderer, statusLink } from '../../src/mail/templates.ts';
import { EU_LANGUAGES, requireLocaleFile } from '../support/eu-languages.ts';

const KINDS: EmailKind[] = ['receipt', 'code', 'withdrawal', 'extension', 'decision'];
const vars = {
  platformName: 'Demo Social',
  reference: 'VT-7K3M-9QXP-2HDA',
  purpose: 'ai-training',
  receivedAt: '2026-01-31T23:30:00.000Z',
  dueAt: '2026-03-31T23:30:00.000Z',
  endedAt: '2026-02-02T08:00:00.000Z',
  statusUrl: 'https://veto.example/status/VT-7K3M-9QXP-2HDA?t=abc<&>',
  reason: 'Need <b>more</b> time',
  code: '042137',
  minutes: 15,
};

describe('email templates', () => {
  const render = createEmailRenderer();
  // Strict: a message missing in the email's language throws instead of falling back to English.
  let strictRender: ReturnType<typeof createEmailRenderer> | undefined;
  const strict = () => {
    strictRender ??= createEmailRenderer({ catalogue: loadCatalogue({ strict: true }) });
    return strictRender;
  };
  for (const lang of EU_LANGUAGES) {
    for (const kind of KINDS) {
      it(`${kind} in ${lang}: subject, text and HTML from the catalogue`, () => {
        requireLocaleFile(lang);
        const m = strict()(kind, lang, vars);
        assert.ok(m.subject.length > 5);
        assert.match(m.html, new RegExp(`<html lang="${lang}">`));
        assert.doesNotMatch(m.text + m.html, /\{[a-zA-Z]+\}|undefined|NaN|Invalid Date/);
        if (kind === 'code') assert.match(m.text, /042137/);
        else {
          assert.ok(m.subject.includes(vars.reference));
          assert.ok(m.text.includes(vars.statusUrl), 'status link in the text part');
        }
        // Everything interpolated into HTML is escaped.
        assert.doesNotMatch(m.html, /<b>more<\/b>|abc<&>/);
      });
    }
  }

  it('French receipts use French dates and purposes; unknown languages fall back by lookup', () => {
    const fr = render('receipt', 'fr-BE', vars);
    assert.match(fr.text, /31 janvier 2026 à 23:30 UTC/);
    assert.match(fr.text, /Entraînement de modèles d’intelligence artificielle/);
    assert.match(render('receipt', 'ja', vars).text, /31 January 2026/);
  });

  it('a refusal states the reasons and the right to complain (Art. 12(4))', () => {
    const m = render('decision', 'en', {
      ...vars,
      outcome: 'overridden',
      reason: 'Compelling grounds',
    });
    assert.match(m.text, /Compelling grounds/);
    assert.match(m.text, /complain to a data protection authority/);
    assert.doesNotMatch(render('decision', 'en', { ...vars, outcome: 'upheld' }).text, /complain/);
  });

  it('builds the status link the portal serves', () => {
    assert.equal(
      statusLink('https://v.example/', 'VT-1', 'a+b'),
      'https://v.example/status/VT-1?t=a%2Bb',
    );
  });
});
