import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildFixtureDataset } from '../removals/support/fixture.ts';
import { testApp } from '../support/test-app.ts';

test('/metrics: objections by channel and purpose, intake latency, backlogs, code emails', async (t) => {
  const { app, veto, apiKey, admin } = await testApp(t);
  const objected = await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: apiKey,
    payload: { subject: { accountId: 'metrics-1' } },
  });
  assert.ok(objected.statusCode === 201 || objected.statusCode === 200, objected.body);
  // The same again: not a new objection, not counted twice.
  await app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: apiKey,
    payload: { subject: { accountId: 'metrics-1' } },
  });
  for (let i = 0; i < 6; i++) {
    await veto.registry.requestEmailCode('someone@example.org', 'en').catch(() => {});
  }

  assert.equal((await app.inject({ url: '/metrics' })).statusCode, 401);
  const res = await app.inject({ url: '/metrics', headers: admin });
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /text\/plain/);
  const text = res.body;
  assert.match(text, /veto_objections_total\{channel="api",purpose="ai-training"\} 1\n/);
  assert.match(text, /veto_intake_duration_seconds_count\{route="POST \/v1\/objections"\} 2\n/);
  assert.match(text, /veto_code_emails_total\{outcome="sent"\} 5\n/);
  assert.match(text, /veto_code_emails_total\{outcome="refused"\} 1\n/);
  assert.match(text, /veto_outbox_pending \d+\n/);
  assert.match(text, /veto_outbox_oldest_age_seconds [\d.e+-]+\n/);
  assert.match(text, /veto_recipient_pending 0\n/);
  assert.match(text, /veto_recipient_failing_messages 0\n/);
  assert.match(text, /# HELP veto_job_last_pass_age_seconds/);
});

test('/metrics: gate builds sealed per purpose, the latest build’s duration and age', async (t) => {
  const { app, veto, admin, dir } = await testApp(t);
  const before = (await app.inject({ url: '/metrics', headers: admin })).body;
  assert.doesNotMatch(before, /veto_gate_datasets_sealed\{/);
  // A build run outside the server (as `veto gate build` is), recorded in the same registry.
  await buildFixtureDataset(veto, dir, 'ds_metrics_1');
  mkdirSync(join(dir, 'second'));
  await buildFixtureDataset(veto, join(dir, 'second'), 'ds_metrics_2');
  const text = (await app.inject({ url: '/metrics', headers: admin })).body;
  assert.match(text, /veto_gate_datasets_sealed\{purpose="ai-training"\} 2\n/);
  const duration = Number(
    /veto_gate_last_build_duration_seconds\{purpose="ai-training"\} ([\d.e+-]+)\n/.exec(text)?.[1],
  );
  assert.ok(duration >= 0 && duration < 600, `duration ${duration}`);
  const age = Number(
    /veto_gate_last_build_age_seconds\{purpose="ai-training"\} ([\d.e+-]+)\n/.exec(text)?.[1],
  );
  assert.ok(age >= 0 && age < 600, `age ${age}`);
});
