import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { addressRecognizer } from '../../src/redact/recognizers/address.ts';
import { emailRecognizer } from '../../src/redact/recognizers/email.ts';
import { ibanRecognizer } from '../../src/redact/recognizers/iban.ts';
import { ipRecognizer } from '../../src/redact/recognizers/ip.ts';
import { nirRecognizer } from '../../src/redact/recognizers/nir.ts';
import { createPhoneRecognizer } from '../../src/redact/recognizers/phone.ts';
import type { Recognizer } from '../../src/redact/recognizers/recognizer.ts';
import { KW, scanText, type TextScan } from '../../src/redact/scan.ts';
import { resolveOverlaps } from '../../src/redact/spans.ts';
import type { PiiSpan } from '../../src/redact/types.ts';

/*
 * One test per rule added to close the issue-4 gaps, each with the negatives that keep its
 * precision (the shapes it must not take).
 */
function found(r: Recognizer, text: string): string[] {
  const out: PiiSpan[] = [];
  if (r.mayMatch(text)) r.find(text, out);
  return resolveOverlaps(text, out).map((s) => text.slice(s.start, s.end));
}

describe('shared scan', () => {
  it('finds runs, capitalised words, keywords and IBAN starts in one pass', () => {
    const s = scanText('Tel 01 42 68 53 00, 12 rue de la Paix, IBAN FR76 3000 par Jean');
    assert.deepEqual(
      s.runs.map((r) => r.digits),
      [10, 6],
    );
    assert.ok((s.kinds & KW.PHONE) !== 0 && (s.kinds & KW.FR_STREET) !== 0);
    assert.ok(s.ibanStarts.length === 1);
    assert.deepEqual(
      s.caps.map((c, i) =>
        'Tel 01 42 68 53 00, 12 rue de la Paix, IBAN FR76 3000 par Jean'.slice(c, s.capsEnd[i]),
      ),
      ['Tel', 'Paix', 'IBAN', 'FR', 'Jean'],
    );
  });
  it('knows the USPS street types and the abbreviated street words before a number', () => {
    assert.ok((scanText('12 Heron Points').kinds & KW.EN_STREET) !== 0);
    assert.ok((scanText('4821 QUARRY RIDGE ESTATES').kinds & KW.EN_STREET) !== 0);
    assert.ok((scanText('USS Redwood FPO AE 09502').kinds & KW.PO_BOX) !== 0);
    // "u. 97" (utca) may end a street, "réf. 1234" may not.
    assert.equal(scanText('6076 Petőfi u. 97').wordNumbers.length, 1);
    assert.equal(scanText('réf. 1234-5678').wordNumbers.length, 0);
  });
  it('flags IPv6 shapes only for "::" or six colons, never for times', () => {
    assert.equal(scanText('at 12:30:45 and 16:82:35Z').ipv6Shape, false);
    assert.equal(scanText('fe80::1').ipv6Shape, true);
    assert.equal(scanText('684D:1111:222:3333:4444:5555:6:77').ipv6Shape, true);
  });
  it('notes a link path and a digit exactly where the pre-check regexes would', () => {
    const re = /\.[a-z]{2,6}\/[@\w]/i;
    assert.equal(scanText('see bsky.app/@ana or x.com/jo').urlPath, true);
    assert.equal(scanText('le 12/03/2024 à 10.5 km/h, réf. AB/12').urlPath, false);
    const unit = fc.constantFrom(...'.abcZ/@_1-é x:'.split(''));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 30 }), (t) => {
        assert.equal(scanText(t).urlPath, re.test(t), JSON.stringify(t));
        assert.equal(scanText(t).anyDigit, /[0-9]/.test(t), JSON.stringify(t));
      }),
      { numRuns: 2000 },
    );
  });
  it('reads a text the same whatever was scanned before it and however the string is stored', () => {
    // The scan copies each text into one reused array of UTF-16 units: a short text after a long
    // one must not see the long one's tail, and a text held as two-byte units (sliced from a
    // string with a character beyond Latin-1) must read as the same text held as one-byte units.
    const unit = fc.constantFrom(...'aB2 .-/()@:éÉ\u0301rue St 0612 FR76 '.split(''));
    const copy = (s: TextScan) => JSON.parse(JSON.stringify(s)) as TextScan;
    fc.assert(
      fc.property(
        fc.string({ unit, maxLength: 40 }),
        fc.string({ unit, maxLength: 300 }),
        (t, long) => {
          scanText(`${long}${long}9`);
          const afterLong = copy(scanText(t));
          scanText('x');
          const twoByte = `${t}\u20ac`.slice(0, t.length);
          assert.deepEqual(copy(scanText(twoByte)), afterLong);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('phone rules', () => {
  const phone = createPhoneRecognizer({ defaultRegion: 'FR' });
  it('takes a French number glued to the word before it, in the strict grouping only', () => {
    assert.deepEqual(found(phone, 'Standard04.73.72.17.05'), ['04.73.72.17.05']);
    assert.deepEqual(found(phone, 'F07-22-56-05-31 |'), ['07-22-56-05-31']);
    assert.deepEqual(found(phone, 'Accueil0 5 2 3 5 5 5 7 4 6'), ['0 5 2 3 5 5 5 7 4 6']);
    assert.deepEqual(found(phone, 'Standard(33) 6 65 41 76 70'), ['(33) 6 65 41 76 70']);
    assert.deepEqual(found(phone, 'is415-555-0132'), ['415-555-0132']);
    assert.deepEqual(found(phone, 'ref0428-4433-41'), []);
  });
  it('reads the letter O as a zero in a French-shaped number only', () => {
    assert.deepEqual(found(phone, 'Dr I. POLTAO O1.42.15.93.30 Dr'), ['O1.42.15.93.30']);
    assert.deepEqual(found(phone, 'SANDRAVI 01.42.16.10.O2 Dr'), ['01.42.16.10.O2']);
    assert.deepEqual(found(phone, 'code O1.42.15 ok'), []);
  });
  it('takes a second zero only in pairs or digit by digit', () => {
    assert.deepEqual(found(phone, 'tél. 00 02 46 61 63'), ['00 02 46 61 63']);
    assert.deepEqual(found(phone, '\n0 0 6 5 6 6 1 0 1 6\n'), ['0 0 6 5 6 6 1 0 1 6']);
    assert.deepEqual(found(phone, '\n0 0 - 1 4 - 2 1 - 4 3 - 6 4\n'), [
      '0 0 - 1 4 - 2 1 - 4 3 - 6 4',
    ]);
    assert.deepEqual(found(phone, 'lot 00 024 661 63'), []);
  });
  it('accepts pairs run together and numbers after other numbers of the same run', () => {
    assert.deepEqual(found(phone, '\n06.45.0945.87\n'), ['06.45.0945.87']);
    assert.deepEqual(found(phone, 'source 43 958 - 0743404530 (x)'), ['0743404530']);
  });
  it('does not take 3-3-4 out of a table of counts', () => {
    assert.deepEqual(found(phone, '49 4939 390 390 493 049 9310 1010'), []);
  });
});

describe('e-mail rules', () => {
  it('reads addresses spaced around "@" and dots, with a common top-level domain', () => {
    assert.deepEqual(found(emailRecognizer, '71 tlabelle @ medimail . com'), [
      'tlabelle @ medimail . com',
    ]);
    assert.deepEqual(found(emailRecognizer, 'rendez-vous @ la gare . demain'), []);
  });
  it('reads a one-label domain only after a local part with a dot or underscore', () => {
    assert.deepEqual(found(emailRecognizer, 'Dx antidopage abarasse.jl@fr'), ['abarasse.jl@fr']);
    assert.deepEqual(found(emailRecognizer, 'Cont@ct Dr. J-L ABRAS'), []);
  });
});

describe('IBAN and IP rules', () => {
  it('checks an IBAN typed in lower case', () => {
    assert.deepEqual(found(ibanRecognizer, 'my iban is gb42nawi04454264788619'), [
      'gb42nawi04454264788619',
    ]);
    assert.deepEqual(found(ibanRecognizer, 'my iban is gb43nawi04454264788619'), []);
  });
  it('finds full and IPv4-embedded IPv6 forms after another colon', () => {
    assert.deepEqual(found(ipRecognizer, 'my ip: 684D:1111:222:3333:4444:5555:6:77'), [
      '684D:1111:222:3333:4444:5555:6:77',
    ]);
    assert.deepEqual(found(ipRecognizer, '2001:db8:0:0:0:0:192.168.1.1'), [
      '2001:db8:0:0:0:0:192.168.1.1',
    ]);
  });
});

describe('NIR rules', () => {
  it('takes the key-less 13-digit form of valid structure, any grouping', () => {
    assert.deepEqual(found(nirRecognizer, '\n1850992 759672\n'), ['1850992 759672']);
    assert.deepEqual(found(nirRecognizer, '08-03-2018 28303 32401806 08/03/83'), [
      '28303 32401806',
    ]);
    assert.deepEqual(found(nirRecognizer, 'lot 3850578006084'), []);
    assert.deepEqual(found(nirRecognizer, 'lot 1850500006084'), []);
  });
  it('separates a NIR from the dates printed digit by digit around it', () => {
    assert.deepEqual(
      found(nirRecognizer, 'MATIS 1 5 0 3 2 0 2 4 284 05 07152 362 2 3 0 6 1 9 8 4 Adapt'),
      ['284 05 07152 362'],
    );
    assert.deepEqual(
      found(nirRecognizer, 'Denis 9 0 3 2 0 1 5 1 7 7 0 9 4 2 6 7 9 4 9 0 0 7 0 5 1 9 7 7 ADA'),
      ['1 7 7 0 9 4 2 6 7 9 4 9 0'],
    );
  });
  it('never picks 13 digits out of a longer run of unrelated numbers', () => {
    assert.deepEqual(
      found(nirRecognizer, '(1)15:31 49 4939 390 390 493 049 9310 1010 110 93 15 32'),
      [],
    );
  });
  it('takes the special months and sex digits only as a form prints a NIR', () => {
    // Month 25 (birth month unknown), a wrong key: one digit per box, or the printed groups.
    assert.deepEqual(found(nirRecognizer, 'x 1 8 5 2 5 7 8 0 0 6 0 8 4 1 2 y'), [
      '1 8 5 2 5 7 8 0 0 6 0 8 4 1 2',
    ]);
    assert.deepEqual(found(nirRecognizer, 'n° 1 85 25 78 006 084 12.'), ['1 85 25 78 006 084 12']);
    assert.deepEqual(found(nirRecognizer, 'x 7 8 5 0 5 7 8 0 0 6 0 8 4 y'), [
      '7 8 5 0 5 7 8 0 0 6 0 8 4',
    ]);
    // The same digits compact, or grouped otherwise, are a reference number.
    assert.deepEqual(found(nirRecognizer, 'ref 185257800608412'), []);
    assert.deepEqual(found(nirRecognizer, 'ref 18525 78006 08412'), []);
    // With the right key the special month is taken anywhere.
    assert.deepEqual(found(nirRecognizer, 'ref 185257800608423'), ['185257800608423']);
    // Months 13-19 and 43-49 do not exist, nor department 00 or order 000: printed otherwise,
    // not a NIR ...
    assert.deepEqual(found(nirRecognizer, 'n° 1 85 15 78 006 084 12.'), []);
    assert.deepEqual(found(nirRecognizer, 'x 7 8 5 1 5 7 8 0 0 6 0 8 4 y'), []);
    // ... but 13 to 15 digits one per box after a sex digit 1 or 2 are one, mistyped: a form
    // prints nothing else that way (eds-pseudo's NIRs with months 44 and 48 are printed so).
    assert.deepEqual(found(nirRecognizer, 'x 1 8 5 1 5 7 8 0 0 6 0 8 4 1 2 y'), [
      '1 8 5 1 5 7 8 0 0 6 0 8 4 1 2',
    ]);
    assert.deepEqual(found(nirRecognizer, 'x 2 8 5 4 5 0 0 0 0 6 0 0 0 y'), [
      '2 8 5 4 5 0 0 0 0 6 0 0 0',
    ]);
    // Not after another first digit, not 16 digits, not a 14-digit SIRET (Luhn).
    assert.deepEqual(found(nirRecognizer, 'x 5 8 5 0 5 7 8 0 0 6 0 8 4 y'), []);
    assert.deepEqual(found(nirRecognizer, 'x 1 8 5 1 5 7 8 0 0 6 0 8 4 1 2 3 y'), []);
    assert.deepEqual(found(nirRecognizer, 'x 1 2 3 4 5 6 7 8 9 0 1 2 3 7 y'), []);
  });
  it('takes a NIR whose key was typed with one digit, boxed or announced', () => {
    assert.deepEqual(found(nirRecognizer, 'x 1 8 5 0 5 7 8 0 0 6 0 8 4 7 y'), [
      '1 8 5 0 5 7 8 0 0 6 0 8 4 7',
    ]);
    assert.deepEqual(found(nirRecognizer, 'NIR : 185 057 800 608 47'), ['185 057 800 608 47']);
    assert.deepEqual(found(nirRecognizer, 'ref 18505780060847'), []);
    // A 14-digit number that passes Luhn is a SIRET (a company), not a NIR.
    assert.deepEqual(found(nirRecognizer, 'x 1 8 5 0 5 7 8 0 0 6 0 8 4 2 y'), []);
  });
  it('leaves the house number before a street word out of the digits around a NIR', () => {
    assert.deepEqual(
      found(nirRecognizer, 'Mme X 2 8 5 0 5 7 8 0 0 6 0 8 4 0 1 0 2 1 9 8 0 24 avenue Foch'),
      ['2 8 5 0 5 7 8 0 0 6 0 8 4'],
    );
    // Without the street word the trailing 24 is one more number: no NIR picked out of them.
    assert.deepEqual(
      found(nirRecognizer, 'Mme X 2 8 5 0 5 7 8 0 0 6 0 8 4 0 1 0 2 1 9 8 0 24 pommes'),
      [],
    );
  });
  it('takes any number announced as the social-security number', () => {
    assert.deepEqual(found(nirRecognizer, 'Numéro de sécurité sociale 185 0578 0060.'), [
      '185 0578 0060',
    ]);
    assert.deepEqual(found(nirRecognizer, 'n° SS : 2850578006'), ['2850578006']);
    // Not announced, or a phone number (starts with 0): nothing.
    assert.deepEqual(found(nirRecognizer, 'commande 185 0578 0060.'), []);
    assert.deepEqual(found(nirRecognizer, 'sécurité sociale : 01 23 45 67 89'), []);
  });
  it('takes a grouped NIR with a wrong key, not a compact one', () => {
    assert.deepEqual(found(nirRecognizer, 'né en 1975 1 60 04 25 311 114 26\n'), [
      '1 60 04 25 311 114 26',
    ]);
    assert.deepEqual(found(nirRecognizer, 'ref 185057800608492'), []);
  });
});

describe('address rules', () => {
  it('finds "number street number" international forms', () => {
    assert.deepEqual(found(addressRecognizer, 'address: 28030 Edeby 55, please'), [
      '28030 Edeby 55',
    ]);
    assert.deepEqual(found(addressRecognizer, 'lives at 255 hersnapvej 18, københavn k'), [
      '255 hersnapvej 18',
    ]);
    // The country is left out of the span; its post code is one of its own.
    assert.deepEqual(
      found(addressRecognizer, 'at 213 Pilekrogen 53 Apt. 263, Grand-Leez, Belgium 18431 ok'),
      ['213 Pilekrogen 53 Apt. 263, Grand-Leez', '18431'],
    );
    assert.deepEqual(found(addressRecognizer, 'at 6076 Petőfi u. 97.\nPécs\n'), [
      '6076 Petőfi u. 97.\nPécs',
    ]);
    assert.deepEqual(found(addressRecognizer, 'lives on Via dei Glicini 4 now'), [
      'Via dei Glicini 4',
    ]);
    assert.deepEqual(found(addressRecognizer, 'Address:\nGrazer Bundesstrasse 12\n'), [
      'Grazer Bundesstrasse 12',
    ]);
  });
  it('reads the USPS street types, a second street name, directions and units', () => {
    assert.deepEqual(found(addressRecognizer, 'mail it to 4821 Quarry Ridge Estates Suite 210'), [
      '4821 Quarry Ridge Estates Suite 210',
    ]);
    assert.deepEqual(found(addressRecognizer, 'at 88 Willow Creek Road West, Apt. 3'), [
      '88 Willow Creek Road West, Apt. 3',
    ]);
    assert.deepEqual(found(addressRecognizer, 'to 21 Linden Street Harrow Commons\nSuite 4'), [
      '21 Linden Street Harrow Commons\nSuite 4',
    ]);
    assert.deepEqual(found(addressRecognizer, 'at 350 Fifth Avenue Suite 3300 Apt. 4, ok'), [
      '350 Fifth Avenue Suite 3300 Apt. 4',
    ]);
    assert.deepEqual(found(addressRecognizer, 'we met at 12 Zephyrine Points'), [
      '12 Zephyrine Points',
    ]);
    // A type that is an ordinary noun after ordinary words is a title, unless a unit follows.
    assert.deepEqual(found(addressRecognizer, 'Chapter 5 Key Points'), []);
    assert.deepEqual(found(addressRecognizer, 'we met at 12 Heron Points Apt 4'), [
      '12 Heron Points Apt 4',
    ]);
    // "70s" is a decade, not a house number.
    assert.deepEqual(found(addressRecognizer, 'Top 5 Bands Of The 80s'), []);
  });
  it('continues over the lines of an address, and stops at its sign-off', () => {
    assert.deepEqual(
      found(addressRecognizer, '77 Larkspur Lane\nApt. 5\nSpringfield, IL 62704\nUSA\nPhone: 1'),
      ['77 Larkspur Lane\nApt. 5\nSpringfield, IL 62704'],
    );
    assert.deepEqual(found(addressRecognizer, 'Meet at 12 Main Street\nThanks\nBob'), [
      '12 Main Street',
    ]);
    assert.deepEqual(
      found(addressRecognizer, '12 Main Street, Springfield, IL 62704, USA. Thanks'),
      ['12 Main Street, Springfield, IL 62704'],
    );
  });
  it('keeps quote markers and leaves country names out', () => {
    // A quoted e-mail keeps its "> " markers: one span per line.
    assert.deepEqual(
      found(addressRecognizer, '> 77 Larkspur Lane\n> Apt. 5\n> Springfield\n> Norway 0150'),
      ['77 Larkspur Lane', 'Apt. 5', 'Springfield', '0150'],
    );
    // After a blank line, only a country's post code still belongs to the address.
    assert.deepEqual(
      found(addressRecognizer, '77 Larkspur Lane\nApt. 5\nSpringfield\n\n Norway 0150'),
      ['77 Larkspur Lane\nApt. 5\nSpringfield', '0150'],
    );
    assert.deepEqual(found(addressRecognizer, '77 Larkspur Lane\n\nTotal 2024'), [
      '77 Larkspur Lane',
    ]);
    assert.deepEqual(found(addressRecognizer, '77 Larkspur Lane\nSpringfield\nNorway 0150'), [
      '77 Larkspur Lane\nSpringfield',
      '0150',
    ]);
  });
  it('finds military ship addresses, lower-case addresses with a unit, announced zip codes', () => {
    assert.deepEqual(found(addressRecognizer, 'send it to USS Redwood\nFPO AE 09502.'), [
      'USS Redwood\nFPO AE 09502',
    ]);
    assert.deepEqual(found(addressRecognizer, 'to uscgc harbor\nfpo ap 96601?'), [
      'uscgc harbor\nfpo ap 96601',
    ]);
    assert.deepEqual(found(addressRecognizer, 'the USS Enterprise 1701 was a ship'), []);
    assert.deepEqual(found(addressRecognizer, 'at 918 calle de las flores 22 apt. 7, ok'), [
      '918 calle de las flores 22 apt. 7',
    ]);
    assert.deepEqual(found(addressRecognizer, 'I have 3 cats and 2 dogs in apt 4'), []);
    assert.deepEqual(found(addressRecognizer, 'ZIP: 394 13'), ['394 13']);
    assert.deepEqual(found(addressRecognizer, 'my zip code is 880'), ['880']);
    assert.deepEqual(found(addressRecognizer, 'postcode SW1A 1AA please'), ['SW1A 1AA']);
    assert.deepEqual(found(addressRecognizer, 'the zip code field is empty'), []);
  });
  it('finds a street named without its number after "on" or "at"', () => {
    assert.deepEqual(found(addressRecognizer, 'the shop on Baker Street was closed'), [
      'Baker Street',
    ]);
    assert.deepEqual(found(addressRecognizer, 'I read it on Wall Street Journal pages'), []);
    assert.deepEqual(found(addressRecognizer, 'Baker Street is long'), []);
  });
  it('does not take sentences, table references or form fields', () => {
    assert.deepEqual(found(addressRecognizer, 'he has 3 children and 2 dogs'), []);
    assert.deepEqual(found(addressRecognizer, 'see page 12 Table 3 above'), []);
    assert.deepEqual(found(addressRecognizer, '8 5 0 2 1 8 0 MARTIN Edouard 8 5 0 4'), []);
  });
  it('finds "the corner of" two streets', () => {
    assert.deepEqual(
      found(addressRecognizer, 'it is the corner of Dalbraut 99 and Frederikke Coves'),
      ['the corner of Dalbraut 99 and Frederikke Coves'],
    );
  });
  it('keeps French street names case-sensitive after an any-case street type', () => {
    assert.deepEqual(found(addressRecognizer, 'au 153 rue du Lys avaient été abandonnées.'), [
      '153 rue du Lys',
    ]);
    assert.deepEqual(found(addressRecognizer, 'au cours de cette entrevue datée du 20 mars'), []);
    assert.deepEqual(
      found(
        addressRecognizer,
        '19 AVENUE DE LA REPUBLIQUE, STUDIO 25, 92 100 BOULOGNE-BILLANCOURT',
      ),
      ['19 AVENUE DE LA REPUBLIQUE, STUDIO 25, 92 100 BOULOGNE-BILLANCOURT'],
    );
  });
  it('finds a post code after its city, and European streets with post code and city', () => {
    assert.deepEqual(found(addressRecognizer, 'résidant à Marseille, 13006.'), [
      'Marseille, 13006',
    ]);
    assert.deepEqual(found(addressRecognizer, 'à Paris dans le 75001.'), ['75001']);
    assert.deepEqual(found(addressRecognizer, 'à Paris dans le 75001 cas'), []);
    assert.deepEqual(found(addressRecognizer, 'Inc, SchlussStrasse 13, 3049 Leipzig, +32'), [
      'SchlussStrasse 13, 3049 Leipzig',
    ]);
  });
});
