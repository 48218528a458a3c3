import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressRecognizer } from '../../src/redact/recognizers/address.ts';
import { cardRecognizer } from '../../src/redact/recognizers/card.ts';
import { emailRecognizer } from '../../src/redact/recognizers/email.ts';
import { handleRecognizer } from '../../src/redact/recognizers/handle.ts';
import { ibanRecognizer } from '../../src/redact/recognizers/iban.ts';
import { ipRecognizer } from '../../src/redact/recognizers/ip.ts';
import { nirRecognizer } from '../../src/redact/recognizers/nir.ts';
import { createObjectorRecognizer } from '../../src/redact/recognizers/objector-terms.ts';
import { createPersonRecognizer } from '../../src/redact/recognizers/person.ts';
import { createPhoneRecognizer } from '../../src/redact/recognizers/phone.ts';
import { profileUrlRecognizer } from '../../src/redact/recognizers/profile-url.ts';
import type { Recognizer } from '../../src/redact/recognizers/recognizer.ts';
import { resolveOverlaps } from '../../src/redact/spans.ts';
import type { PiiSpan } from '../../src/redact/types.ts';

/** What the redactor keeps from one recogniser (its overlaps and repeats resolved). */
function found(r: Recognizer, text: string): string[] {
  const out: PiiSpan[] = [];
  if (r.mayMatch(text)) r.find(text, out);
  return resolveOverlaps(text, out).map((s) => text.slice(s.start, s.end));
}

describe('email', () => {
  it('finds addresses, IDN included, without trailing dot', () => {
    assert.deepEqual(found(emailRecognizer, 'écrire à jean.dupont@example.fr.'), [
      'jean.dupont@example.fr',
    ]);
    assert.deepEqual(found(emailRecognizer, 'a@xn--d1acufc.xn--p1ai'), ['a@xn--d1acufc.xn--p1ai']);
  });
  it('ignores incomplete addresses', () => {
    assert.deepEqual(found(emailRecognizer, 'my email is info@presidio.'), []);
    assert.deepEqual(found(emailRecognizer, 'hello-world here'), []);
  });
});

describe('phone', () => {
  const phone = createPhoneRecognizer({ defaultRegion: 'FR' });
  it('finds international and national formats', () => {
    for (const t of [
      '+33 6 12 34 56 78',
      '0033 1 42 68 53 00',
      '01 42 68 53 00',
      '01.42.68.53.00',
      '0 5 . 3 1 . 2 1 . 6 5 . 0 6',
      '(415) 555-0132',
      '+44 (20) 7123 4567',
      '+49 30 1234567',
      '030 1234567',
      '+41 44 668 18 00',
      '+32 2 555 12 12',
      '+34 912 345 678',
      '+39 06 678 4343',
      '+31 20 123 4567',
      '+48 22 123 45 67',
      '+351 21 123 4567',
      '345-899-3560x4587',
    ]) {
      assert.deepEqual(found(phone, `tel ${t} !`), [t], t);
    }
  });
  it('keeps a strongly shaped number that libphonenumber would reject', () => {
    assert.deepEqual(found(phone, 'appelez le 01 00 00 00 00'), ['01 00 00 00 00']);
  });
  it('does not take dates, times, amounts or references', () => {
    for (const t of [
      'le 12.05.2019 à 14:30',
      '2024-03-01',
      'total 1 234,56 €',
      'réf. 0428-4433-41',
      '18/02/2019 16:34',
    ]) {
      assert.deepEqual(found(phone, t), [], t);
    }
  });
});

describe('IBAN', () => {
  it('finds compact and grouped IBANs', () => {
    assert.deepEqual(found(ibanRecognizer, 'IBAN FR76 3000 6000 0112 3456 7890 189.'), [
      'FR76 3000 6000 0112 3456 7890 189',
    ]);
    assert.deepEqual(found(ibanRecognizer, 'GB82WEST12345698765432'), ['GB82WEST12345698765432']);
  });
  it('rejects bad check digits and bad lengths', () => {
    assert.deepEqual(found(ibanRecognizer, 'FR77 3000 6000 0112 3456 7890 189'), []);
    assert.deepEqual(found(ibanRecognizer, 'AL47 2121 1009 0000 0002 3569 8741 2'), []);
    assert.deepEqual(found(ibanRecognizer, 'AL47 212A 1009 0000 0002 3569 8741'), []);
  });
});

describe('card', () => {
  it('finds Luhn-valid numbers in printed groupings', () => {
    assert.deepEqual(
      found(cardRecognizer, '4012888888881881 4012-8888-8888-1881 4012 8888 8888 1881'),
      ['4012888888881881', '4012-8888-8888-1881', '4012 8888 8888 1881'],
    );
    assert.deepEqual(found(cardRecognizer, 'amex 3714 496353 98431'), ['3714 496353 98431']);
  });
  it('rejects Luhn failures and free-form groupings', () => {
    assert.deepEqual(found(cardRecognizer, 'my card 4012-8888-8888-1882'), []);
    assert.deepEqual(found(cardRecognizer, '36168002586008'), []);
    assert.deepEqual(found(cardRecognizer, '4 0 1 2 8 8 8 8 8 8 8 8 1 8 8 1'), []);
  });
});

describe('IP', () => {
  it('finds IPv4 and IPv6', () => {
    assert.deepEqual(found(ipRecognizer, 'from 192.168.0.1 and fe80::1ff:fe23:4567:890a.'), [
      '192.168.0.1',
      'fe80::1ff:fe23:4567:890a',
    ]);
    assert.deepEqual(found(ipRecognizer, '::ffff:192.0.2.1'), ['::ffff:192.0.2.1']);
  });
  it('rejects out-of-range octets, versions and times', () => {
    assert.deepEqual(found(ipRecognizer, '256.1.1.1 1.2.3.4.5 at 12:30:45'), []);
  });
});

describe('NIR', () => {
  it('finds a NIR with a valid key, compact or grouped', () => {
    assert.deepEqual(found(nirRecognizer, 'NIR 185057800608491'), ['185057800608491']);
    assert.deepEqual(found(nirRecognizer, 'n° 1 85 05 78 006 084 91.'), ['1 85 05 78 006 084 91']);
    assert.deepEqual(found(nirRecognizer, 'corse 1 85 05 2A 006 084 35'), [
      '1 85 05 2A 006 084 35',
    ]);
  });
  it('rejects a compact number with a wrong key and an impossible month', () => {
    assert.deepEqual(found(nirRecognizer, 'ref 185057800608492'), []);
    assert.deepEqual(found(nirRecognizer, 'ref 185157800608491'), []);
  });
  it('takes the key-less form only when written like a NIR or announced', () => {
    assert.deepEqual(found(nirRecognizer, 'x 1 8 5 0 5 7 8 0 0 6 0 8 4 y'), [
      '1 8 5 0 5 7 8 0 0 6 0 8 4',
    ]);
    assert.deepEqual(found(nirRecognizer, 'sécurité sociale : 1850578006084'), ['1850578006084']);
    // A 13-digit number of valid NIR structure is taken without its key; one whose
    // month or sex digit is impossible is not.
    assert.deepEqual(found(nirRecognizer, 'commande 1850578006084'), ['1850578006084']);
    assert.deepEqual(found(nirRecognizer, 'commande 1851378006084'), []);
  });
});

describe('address', () => {
  it('finds French and English forms', () => {
    assert.deepEqual(found(addressRecognizer, 'habite au 12, rue de la Paix 75002 Paris.'), [
      '12, rue de la Paix 75002 Paris',
    ]);
    assert.deepEqual(
      found(addressRecognizer, 'ship to 385 Gemsbok St, Springfield, IL 62704 today'),
      ['385 Gemsbok St, Springfield, IL 62704'],
    );
    assert.deepEqual(found(addressRecognizer, 'P.O. Box 242'), ['P.O. Box 242']);
  });
});

describe('handle and profile URL', () => {
  it('finds @handles but not e-mail addresses', () => {
    assert.deepEqual(
      found(handleRecognizer, 'thanks @jane_doe and @bob@mastodon.social, mail a@b.fr'),
      ['@jane_doe', '@bob@mastodon.social'],
    );
  });
  it('finds profile links, not post links', () => {
    assert.deepEqual(
      found(
        profileUrlRecognizer,
        'see https://www.linkedin.com/in/jane-doe-123 and https://x.com/search?q=a',
      ),
      ['https://www.linkedin.com/in/jane-doe-123'],
    );
  });
});

describe('person', () => {
  const person = createPersonRecognizer();
  it('finds names from the lists and titled names', () => {
    assert.deepEqual(found(person, 'Hier, Rémi Foliet a vu le Dr SERVAIS Maurice.'), [
      'Rémi Foliet',
      'SERVAIS Maurice',
    ]);
    assert.deepEqual(found(person, 'I met Julieta S. Almeida yesterday'), ['Julieta S. Almeida']);
  });
  it('leaves ordinary capitalised words and places', () => {
    assert.deepEqual(found(person, 'The White Stripes played in Paris on Monday.'), []);
  });
});

describe('objector terms', () => {
  const terms = createObjectorRecognizer(['Jean Dupont', '@jdoe', 'İlker']);
  it('matches case-insensitively at word boundaries', () => {
    assert.deepEqual(found(terms, 'JEAN DUPONT et jean dupont, @JDoe'), [
      'JEAN DUPONT',
      'jean dupont',
      '@JDoe',
    ]);
    assert.deepEqual(found(terms, 'Jean Dupontel, xJean Dupont'), []);
    assert.deepEqual(found(terms, 'salut İlker !'), ['İlker']);
  });
  it('scales to thousands of terms with one automaton', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `Person${i} Name${i}`);
    const r = createObjectorRecognizer(many);
    assert.deepEqual(found(r, 'x person4999 name4999 y person12 name1 z'), ['person4999 name4999']);
  });
});
