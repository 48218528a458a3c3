import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { luhnValid } from '../../src/redact/checksums/luhn.ts';
import { ibanMod97Valid } from '../../src/redact/checksums/mod97.ts';
import { nirKey, nirKeyValid } from '../../src/redact/checksums/nir-key.ts';

describe('Luhn', () => {
  it('accepts test card numbers', () => {
    for (const n of [
      '4111111111111111',
      '5555555555554444',
      '371449635398431',
      '6011000400000000',
    ]) {
      assert.equal(luhnValid(n), true, n);
    }
  });
  it('rejects a changed digit and non-digits', () => {
    assert.equal(luhnValid('4111111111111112'), false);
    assert.equal(luhnValid('4012888888881882'), false);
    assert.equal(luhnValid('4111-1111'), false);
    assert.equal(luhnValid(''), false);
  });
});

describe('IBAN mod-97', () => {
  it('accepts valid IBANs', () => {
    for (const n of [
      'FR7630006000011234567890189',
      'GB82WEST12345698765432',
      'DE89370400440532013000',
    ]) {
      assert.equal(ibanMod97Valid(n), true, n);
    }
  });
  it('rejects a wrong check digit, a swapped pair and lower case', () => {
    assert.equal(ibanMod97Valid('FR7730006000011234567890189'), false);
    assert.equal(ibanMod97Valid('GB82WEST12345698765423'), false);
    assert.equal(ibanMod97Valid('gb82west12345698765432'), false);
  });
});

describe('NIR key', () => {
  it('computes the key, Corsica included', () => {
    assert.equal(nirKey('1850578006084'), 91);
    assert.equal(nirKey('185052A006084'), 35);
    assert.equal(nirKeyValid('185057800608491'), true);
  });
  it('rejects a wrong key and a wrong length', () => {
    assert.equal(nirKeyValid('185057800608492'), false);
    assert.equal(nirKeyValid('18505780060849'), false);
  });
});
