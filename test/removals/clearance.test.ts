import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testApp } from '../support/test-app.ts';
import { runVeto, sqliteEnv } from '../support/veto-cli.ts';
import { buildFixtureDataset } from './support/fixture.ts';

/**
 * Clearance at training time, through HTTP and the `veto` command: what a training job must
 * still remove from a dataset version (item ids, never who objected), read from the objections
 * effective now even before the removal planner has recorded the removal, and "cleared" only
 * when nothing is left.
 */
const SECRET = 'test-secret-0123456789-0123456789-0123456789';

test('GET /v1/datasets/{id}/clearance and veto dataset clearance', async (t) => {
  const { app, veto, dir, apiKey, admin, user } = await testApp(t);
  const { datasetId } = await buildFixtureDataset(veto, dir);
  const clearance = (query = '', headers: Record<string, string> = apiKey) =>
    app.inject({ method: 'GET', url: `/v1/datasets/${datasetId}/clearance${query}`, headers });

  // Nobody objected: cleared.
  let r = await clearance();
  assert.equal(r.statusCode, 200, r.body);
  assert.equal(r.json().cleared, true);
  assert.match(r.json().reason, /^cleared: nobody whose content is in this version has objected/);
  assert.deepEqual(r.json().itemIds, []);

  // u1 objects (author of p1, p2, mentioned in p3). Before the planner has run: not cleared,
  // the items come from the objection effective now.
  const objected = await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: { ...apiKey, 'idempotency-key': 'clearance-u1' },
    payload: { subject: { accountId: 'u1' } },
  });
  assert.equal(objected.statusCode, 201, objected.body);
  r = await clearance();
  assert.equal(r.json().cleared, false);
  assert.deepEqual(r.json().itemIds, ['p1', 'p2', 'p3']);
  assert.equal(r.json().unplannedItems, 3);
  assert.deepEqual(r.json().removals, []);
  assert.match(r.json().reason, /not cleared: 3 items .*\(3 items of objections not yet planned\)/);
  // Never who objected.
  assert.doesNotMatch(r.body, /"u1"|acct:/);

  // Planned: the same items, now as a recorded removal.
  await veto.removalPlanner!.drain();
  r = await clearance();
  const removals = r.json().removals as { id: string; itemIds: string[] }[];
  assert.equal(removals.length, 1);
  assert.deepEqual([...removals[0]!.itemIds].sort(), ['p1', 'p2', 'p3']);
  assert.equal(r.json().unplannedItems, 0);
  assert.equal(r.json().cleared, false);
  assert.match(r.json().reason, /1 recorded removal not applied/);

  // The pipeline applied it: cleared (and stays cleared while the objection stands).
  r = await clearance(`?appliedThrough=${removals[0]!.id}`, admin);
  assert.equal(r.statusCode, 200);
  assert.equal(r.json().cleared, true);
  assert.deepEqual(r.json().itemIds, []);

  // Refusals: unknown removal, unknown dataset, a person's token, no credentials.
  r = await clearance('?appliedThrough=rm_nope');
  assert.equal(r.statusCode, 400);
  assert.match(r.body, /appliedThrough/);
  const missing = await app.inject({
    method: 'GET',
    url: '/v1/datasets/ds_nope/clearance',
    headers: apiKey,
  });
  assert.equal(missing.statusCode, 404);
  assert.equal((await clearance('', await user('u1'))).statusCode, 403);
  assert.equal((await clearance('', {})).statusCode, 401);
  const openapi = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  assert.ok(openapi.paths['/v1/datasets/{datasetId}/clearance']?.get, 'documented');

  // The command: exit 3 while not cleared, 0 once the removal is applied.
  const env = sqliteEnv(dir, SECRET);
  const cli = runVeto(env, 'dataset', 'clearance', datasetId);
  assert.equal(cli.code, 3, cli.err);
  assert.match(cli.out, new RegExp(`dataset ${datasetId}: not cleared: 3 items`));
  assert.match(cli.out, /remove p1\n {2}remove p2\n {2}remove p3/);
  const json = runVeto(env, 'dataset', 'clearance', datasetId, '--json');
  assert.equal(json.code, 3);
  assert.deepEqual(JSON.parse(json.out).itemIds, ['p1', 'p2', 'p3']);
  const done = runVeto(
    env,
    'dataset',
    'clearance',
    datasetId,
    '--applied-through',
    removals[0]!.id,
  );
  assert.equal(done.code, 0, done.err);
  assert.match(done.out, /: cleared: every removal recorded against this version was applied/);
  const unknown = runVeto(env, 'dataset', 'clearance', 'ds_nope');
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.err, /no recorded dataset ds_nope/);
});
