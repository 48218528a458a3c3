import assert from 'node:assert/strict';
import { test } from 'node:test';
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
