import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openCheckpoint, signCheckpoint } from '../../src/transparency/checkpoint.ts';
import {
  COSIGNATURE_V1,
  cosignatureLine,
  generateSigner,
  hasValidSignature,
  parseNote,
  parseSigner,
  parseVerifier,
  signNote,
  validCosignature,
} from '../../src/transparency/signed-note.ts';

// The example key and note of golang.org/x/mod/sumdb/note (the reference implementation of
// C2SP signed-note), used as data: Ed25519 is deterministic, so the signature must match.
const GO_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT =
  'If you think cryptography is the answer to your problem,\n' +
  "then you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;
// The C2SP signed-note specification's example verifier key and note.
const SPEC_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const SPEC_NOTE =
  'This is an example message.\n\n' +
  '\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

describe('C2SP signed notes (Ed25519)', () => {
  test('reproduce the reference signature byte for byte, and verify it', () => {
    const signer = parseSigner(GO_SKEY);
    assert.equal(signer.vkey, GO_VKEY);
    assert.equal(signNote(signer, GO_TEXT), GO_NOTE);
    assert.ok(hasValidSignature(parseNote(GO_NOTE), parseVerifier(GO_VKEY)));
  });

  test('verify the specification example', () => {
    assert.ok(hasValidSignature(parseNote(SPEC_NOTE), parseVerifier(SPEC_VKEY)));
    assert.ok(
      !hasValidSignature(
        parseNote(SPEC_NOTE.replace('example message', 'exampl3 message')),
        parseVerifier(SPEC_VKEY),
      ),
    );
  });

  test('refuse malformed keys and notes, naming what is wrong', () => {
    assert.throws(
      () => parseVerifier('PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
      /key id 00000000 does not match/,
    );
    assert.throws(() => parseSigner('PRIVATE+KEY+x'), /PRIVATE\+KEY/);
    assert.throws(() => parseNote('no signatures\n'), /no signature block/);
    assert.throws(() => parseNote('text\n\n- not a dash line\n'), /malformed signature line/);
  });

  test('checkpoints: signed by the log key; old keys keep old checkpoints verifiable', () => {
    const old = generateSigner('veto.test/log');
    const current = generateSigner('veto.test/log');
    const root = Buffer.alloc(32, 7);
    const before = signCheckpoint(old, 10, root);
    const after = signCheckpoint(current, 12, root);
    assert.equal(openCheckpoint(before, [current, old]).size, 10);
    assert.equal(openCheckpoint(after, [current, old]).signedBy.vkey, current.vkey);
    assert.throws(() => openCheckpoint(before, [current]), /no valid signature/);
    assert.throws(
      () => openCheckpoint(after.replace('\n12\n', '\n13\n'), [current]),
      /no valid signature/,
    );
  });

  test('tlog-cosignature/v1: a witness cosigns the checkpoint text at a time', () => {
    const log = generateSigner('veto.test/log');
    const witness = generateSigner('witness.test/w1', COSIGNATURE_V1);
    assert.match(witness.vkey, /^witness\.test\/w1\+[0-9a-f]{8}\+B/);
    const note = signCheckpoint(log, 5, Buffer.alloc(32, 1));
    const text = parseNote(note).text;
    const cosigned = note + cosignatureLine(witness, text, 1_700_000_000);
    const found = validCosignature(parseNote(cosigned), parseVerifier(witness.vkey));
    assert.equal(found?.timestamp, 1_700_000_000);
    // The log's own key is not a cosigner, and a cosignature moved to another checkpoint fails.
    assert.equal(validCosignature(parseNote(note), parseVerifier(witness.vkey)), null);
    const other = signCheckpoint(log, 6, Buffer.alloc(32, 1));
    const moved = other + cosignatureLine(witness, text, 1_700_000_000);
    assert.equal(validCosignature(parseNote(moved), parseVerifier(witness.vkey)), null);
  });
});
