import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openCheckpoint } from '../../src/transparency/checkpoint.ts';
import { eventLeafHash } from '../../src/transparency/event-leaves.ts';
import { nodeHash, verifyConsistency, verifyInclusion } from '../../src/transparency/merkle.ts';
import {
  COSIGNATURE_V1,
  cosignatureLine,
  generateSigner,
  parseNote,
  parseVerifier,
  validCosignature,
} from '../../src/transparency/signed-note.ts';
import { collect } from '../store/registry-store.suite.ts';
import { testApp } from '../support/test-app.ts';

const hashes = (b64s: string[]) => b64s.map((h) => Buffer.from(h, 'base64'));

async function object(ctx: Awaited<ReturnType<typeof testApp>>, accountId: string) {
  const r = await ctx.app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: ctx.apiKey,
    payload: { subject: { accountId } },
  });
  assert.equal(r.statusCode, 201, r.body);
}

test('checkpoints, inclusion and consistency proofs over HTTP verify with the published key', async (t) => {
  const ctx = await testApp(t);
  const { app } = ctx;
  const keys = (await app.inject('/v1/transparency/keys')).json();
  const logKey = parseVerifier(keys.log);
  assert.equal(keys.origin, logKey.name);

  await object(ctx, 'u-1');
  const first = await app.inject('/v1/transparency/checkpoint');
  assert.equal(first.statusCode, 200);
  assert.match(first.headers['content-type'] as string, /^text\/plain/);
  const before = openCheckpoint(first.body, [logKey]);
  assert.equal(before.size, 1);

  for (let i = 2; i <= 5; i += 1) await object(ctx, `u-${i}`);
  const after = openCheckpoint((await app.inject('/v1/transparency/checkpoint')).body, [logKey]);
  assert.equal(after.size, 5);

  const events = await collect(ctx.veto.store.readEvents());
  for (let i = 0; i < 5; i += 1) {
    const r = await app.inject(`/v1/transparency/proof/inclusion?index=${i}&size=5`);
    assert.equal(r.statusCode, 200, r.body);
    assert.ok(
      verifyInclusion(i, 5, eventLeafHash(events[i]!), hashes(r.json().hashes), after.root),
    );
  }
  const c = await app.inject('/v1/transparency/proof/consistency?from=1&to=5');
  assert.ok(verifyConsistency(1, 5, before.root, after.root, hashes(c.json().hashes)));

  // Out of range and malformed requests are problems naming the reason.
  const beyond = await app.inject('/v1/transparency/proof/inclusion?index=0&size=6');
  assert.equal(beyond.statusCode, 400);
  assert.match(beyond.json().detail, /holds 5 entries/);
  assert.equal(
    (await app.inject('/v1/transparency/proof/consistency?from=5&to=1')).statusCode,
    400,
  );
  assert.equal(
    (await app.inject('/v1/transparency/proof/inclusion?index=x&size=1')).statusCode,
    400,
  );

  // The level-0 tile holds the leaf hashes; its root over 4 leaves matches the proofs.
  const tile = await app.inject('/v1/transparency/tile/0/000.p/4');
  assert.equal(tile.statusCode, 200);
  assert.equal(tile.rawPayload.length, 4 * 32);
  assert.deepEqual(tile.rawPayload.subarray(0, 32), eventLeafHash(events[0]!));
  assert.equal((await app.inject('/v1/transparency/tile/0/000')).statusCode, 404, 'not full yet');
  assert.equal((await app.inject('/v1/transparency/tile/0/000.p/6')).statusCode, 404);
  const root4 = nodeHash(
    nodeHash(tile.rawPayload.subarray(0, 32), tile.rawPayload.subarray(32, 64)),
    nodeHash(tile.rawPayload.subarray(64, 96), tile.rawPayload.subarray(96, 128)),
  );
  const p = await app.inject('/v1/transparency/proof/inclusion?index=4&size=5');
  assert.deepEqual(hashes(p.json().hashes)[0], root4);

  const paths = Object.keys((await app.inject('/openapi.json')).json().paths);
  for (const path of [
    '/v1/transparency/checkpoint',
    '/v1/transparency/proof/inclusion',
    '/v1/transparency/proof/consistency',
    '/v1/transparency/cosignatures',
  ]) {
    assert.ok(paths.includes(path), path);
  }
});

test('witness cosignatures: accepted from configured witnesses, stored and served', async (t) => {
  const witness = generateSigner('ngo.test/witness', COSIGNATURE_V1);
  const stranger = generateSigner('stranger.test/w', COSIGNATURE_V1);
  const ctx = await testApp(t, { transparencyWitnesses: [witness.vkey] });
  const { app } = ctx;
  await object(ctx, 'u-1');
  assert.equal((await app.inject('/v1/transparency/cosigned-checkpoint')).statusCode, 404);
  const note = (await app.inject('/v1/transparency/checkpoint')).body;
  const text = parseNote(note).text;

  const post = (body: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/transparency/cosignatures',
      headers: { 'content-type': 'text/plain' },
      payload: body,
    });
  const unknown = await post(note + cosignatureLine(stranger, text, 1_800_000_000));
  assert.equal(unknown.statusCode, 400);
  assert.match(unknown.json().detail, /no valid cosignature by a witness this log knows/);
  const forged = await post(
    note.replace(/\n1\n/, '\n2\n') + cosignatureLine(witness, text, 1_800_000_000),
  );
  assert.equal(forged.statusCode, 400, 'a checkpoint the log did not sign');

  const ok = await post(note + cosignatureLine(witness, text, 1_800_000_000));
  assert.equal(ok.statusCode, 201, ok.body);
  assert.deepEqual(ok.json(), { size: 1, witnesses: ['ngo.test/witness'] });
  const served = await app.inject('/v1/transparency/cosigned-checkpoint');
  assert.equal(served.statusCode, 200);
  assert.equal(
    validCosignature(parseNote(served.body), parseVerifier(witness.vkey))?.timestamp,
    1_800_000_000,
  );
});
