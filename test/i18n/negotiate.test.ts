import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptedLanguages, lookupLanguage, negotiateLanguage } from '../../src/i18n/negotiate.ts';
import { EU_LANGUAGES } from '../support/eu-languages.ts';

const available = ['en', 'fr'];

describe('language negotiation', () => {
  it('follows RFC 4647 lookup from a regional tag to its base language', () => {
    assert.equal(negotiateLanguage({ acceptLanguage: 'fr-BE' }, available, 'en'), 'fr');
    assert.equal(negotiateLanguage({ acceptLanguage: 'fr-CA,fr;q=0.9' }, available, 'en'), 'fr');
    assert.equal(lookupLanguage('fr-Latn-BE', available), 'fr');
    assert.equal(lookupLanguage('de-AT', available), undefined);
  });

  it('walks Accept-Language by weight, skipping what is not available', () => {
    assert.equal(
      negotiateLanguage({ acceptLanguage: 'de-DE,de;q=0.9,fr;q=0.5,en;q=0.4' }, available, 'en'),
      'fr',
    );
    assert.equal(
      negotiateLanguage({ acceptLanguage: 'en;q=0.2, fr;q=0.8' }, available, 'en'),
      'fr',
    );
    assert.equal(negotiateLanguage({ acceptLanguage: 'fr;q=0, en' }, available, 'fr'), 'en');
  });

  it('puts the account language before the browser, and an explicit choice before both', () => {
    assert.equal(
      negotiateLanguage({ account: 'fr', acceptLanguage: 'en-US' }, available, 'en'),
      'fr',
    );
    assert.equal(
      negotiateLanguage({ chosen: 'en', account: 'fr', acceptLanguage: 'fr' }, available, 'fr'),
      'en',
    );
    // An account language Veto does not speak falls through to the browser's.
    assert.equal(negotiateLanguage({ account: 'pl', acceptLanguage: 'fr' }, available, 'en'), 'fr');
  });

  it('falls back to the default on nothing usable, including garbage headers', () => {
    assert.equal(negotiateLanguage({}, available, 'fr'), 'fr');
    assert.equal(negotiateLanguage({ acceptLanguage: '*' }, available, 'fr'), 'fr');
    assert.equal(negotiateLanguage({ acceptLanguage: ';;;,@@,q=1' }, available, 'en'), 'en');
    assert.equal(negotiateLanguage({ account: 'not a tag!' }, available, 'en'), 'en');
    assert.deepEqual(acceptedLanguages(undefined), []);
  });

  it('with the 24 EU languages: regional tags reach their language, never a neighbour', () => {
    const eu = [...EU_LANGUAGES];
    const cases: [string, string][] = [
      ['fr-BE', 'fr'],
      ['pt-BR', 'pt'],
      ['de-AT,de;q=0.9', 'de'],
      ['el-GR', 'el'],
      ['ga-IE', 'ga'],
      ['mt-MT,en;q=0.5', 'mt'],
      ['sv-FI', 'sv'],
      ['nl-BE', 'nl'],
      ['hr-HR', 'hr'],
      // Norwegian and Serbian are not official EU languages: the next preference, or the default.
      ['nb-NO,da;q=0.8', 'da'],
      ['sr-Latn-RS', 'en'],
    ];
    for (const [header, expected] of cases) {
      assert.equal(negotiateLanguage({ acceptLanguage: header }, eu, 'en'), expected, header);
    }
    assert.equal(
      negotiateLanguage({ account: 'pl', acceptLanguage: 'de' }, eu, 'en'),
      'pl',
      'the account language first',
    );
  });
});
