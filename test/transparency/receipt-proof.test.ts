import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { COSIGNATURE_V1, generateSigner } from '../../src/transparency/signed-note.ts';
import { tempDir } from '../support/temp.ts';
import { testApp } from '../support/test-app.ts';
import { runVeto } from '../support/veto-cli.ts';

/**
 * A receipt's proof from the API (GET /v1/objections/{id}/proof), checked offline by the
 * spawned `veto receipt verify FILE` with the published key; every edit of it is refused.
 */
test('the receipt proof from the API verifies offline, and any edit of it fails', {
  timeout: 120_000,
}, async (t) => {
  const ctx = await testApp(t);
  const { app } = ctx;
  const ids: string[] = [];
  for (const accountId of ['ana', 'ben', 'chloé']) {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/objections',
      headers: ctx.apiKey,
      payload: { subject: { accountId } },
    });
    assert.equal(r.statusCode, 201, r.body);
    ids.push(r.json().id);
  }
  const logKey = (await app.inject('/v1/transparency/keys')).json().log as string;
  const res = await app.inject({ url: `/v1/objections/${ids[1]}/proof`, headers: ctx.apiKey });
  assert.equal(res.statusCode, 200, res.body);
  const proof = res.json();
  assert.equal(proof.format, 'veto-receipt-proof/v1');
  assert.equal(proof.objectionId, ids[1]);
  assert.equal(proof.logKey, logKey);
  assert.ok(proof.inclusion.length > 0);
  const missing = await app.inject({
    url: '/v1/objections/00000000-0000-4000-8000-000000000000/proof',
    headers: ctx.apiKey,
  });
  assert.equal(missing.statusCode, 404);

  const dir = tempDir(t);
  const save = (name: string, value: unknown) => {
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(value));
    return file;
  };
  const good = runVeto({}, 'receipt', 'verify', save('good.json', proof), '--log-key', logKey);
  assert.equal(good.code, 0, good.err);
  assert.match(
    good.out,
    new RegExp(`objection ${ids[1]} \\(VT-[^)]+\\) recorded .*leaf \\d+ is in the log`),
  );
  assert.match(good.out, /receipt proof OK/);
  const embedded = runVeto({}, 'receipt', 'verify', path.join(dir, 'good.json'));
  assert.equal(embedded.code, 0, embedded.err);
  assert.match(embedded.out, /checked against the key written in the receipt/);

  const other = generateSigner(JSON.parse(JSON.stringify(proof.logKey)).split('+')[0]);
  const witness = generateSigner('w.example', COSIGNATURE_V1);
  const edits: [string, unknown, RegExp][] = [
    [
      'leaf edited',
      { ...proof, leaf: proof.leaf.replace('"ai-training"', '"direct-marketing"') },
      /inclusion proof: leaf/,
    ],
    ['index moved', { ...proof, leafIndex: proof.leafIndex + 1 }, /leaf: not the recording/],
    [
      'proof hash changed',
      { ...proof, inclusion: [Buffer.alloc(32).toString('base64'), ...proof.inclusion.slice(1)] },
      /inclusion proof/,
    ],
    ['another log key', { ...proof, logKey: other.vkey }, /checkpoint: .*no valid signature/],
    ['a witness key as log key', { ...proof, logKey: witness.vkey }, /checkpoint: /],
    ['not a proof', { hello: 'world' }, /not a receipt proof/],
  ];
  for (const [name, value, why] of edits) {
    const r = runVeto({}, 'receipt', 'verify', save(`${name}.json`, value));
    assert.equal(r.code, 1, `${name}: ${r.out}${r.err}`);
    assert.match(r.err, why, name);
    assert.match(r.err, /receipt proof FAILED/);
  }
  // The key published by the registry wins over one slipped into the receipt.
  const swapped = runVeto(
    {},
    'receipt',
    'verify',
    save('swapped.json', { ...proof, logKey: other.vkey }),
    '--log-key',
    logKey,
  );
  assert.equal(swapped.code, 0, swapped.err);
});

test('the receipt email links to the proof page, which the server verifies', async (t) => {
  const ctx = await testApp(t);
  const r = await ctx.app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: ctx.apiKey,
    payload: { subject: { accountId: 'dora' }, receiptEmail: 'dora@example.org', language: 'fr' },
  });
  assert.equal(r.statusCode, 201, r.body);
  assert.equal(await ctx.veto.dispatcher.deliverDue(), 1);
  const mail = ctx.mailer.sent.find((m) => m.to === 'dora@example.org')!;
  const text = JSON.stringify(mail);
  const link = /https?:\/\/[^\s"\\]+\/receipt\/VT-[^\s"\\/]+\/proof\?t=[^\s"\\]+/.exec(text);
  assert.ok(link, `no proof link in the receipt email: ${text.slice(0, 2000)}`);
  assert.match(text, /La preuve que votre opposition figure dans le journal public/);
  const url = new URL(link[0]);
  const page = await ctx.app.inject({
    url: url.pathname + url.search,
    headers: { 'accept-language': 'fr' },
  });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Vérifié : votre opposition figure dans le journal public/);
  assert.doesNotMatch(page.body, /<script/);
  // Without the token, the same page is nobody's business.
  const anonymous = await ctx.app.inject({ url: url.pathname });
  assert.equal(anonymous.statusCode, 404);
});
