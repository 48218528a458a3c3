import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent } from '../../src/domain/types.ts';
import { consoleApp, StaffBrowser } from '../support/console-session.ts';

async function staffEvents(veto: { store: { readEvents(): AsyncIterable<AuditEvent> } }) {
  const out: AuditEvent[] = [];
  for await (const e of veto.store.readEvents()) if (e.type.startsWith('staff.')) out.push(e);
  return out;
}

async function objectAs(
  app: Awaited<ReturnType<typeof consoleApp>>,
  accountId: string,
  lang = 'en',
): Promise<{ id: string; reference: string }> {
  const res = await app.app.inject({
    method: 'POST',
    url: '/v1/objections',
    headers: app.apiKey,
    payload: { subject: { accountId }, language: lang },
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

describe('console access: OpenID Connect sign-in, roles, audited reads', () => {
  it('no console page or action is reachable without a staff session', async (t) => {
    const c = await consoleApp(t, { reviewMode: true });
    const o = await objectAs(c, 'acct-1');
    const anonymous = new StaffBrowser(c.app);
    for (const path of [
      '/console',
      '/console/reviews',
      '/console/objections',
      `/console/objections/${o.reference}`,
      '/console/exports',
      '/console/exports/objections.csv',
      '/console/figures/objections-per-day.json',
    ]) {
      const res = await anonymous.get(path);
      assert.equal(res.statusCode, 303, path);
      assert.equal(
        res.headers.location,
        `/console/login?${new URLSearchParams({ returnTo: path })}`,
        path,
      );
    }
    const post = await anonymous.post(`/console/objections/${o.reference}/decision`, {
      outcome: 'overridden',
      reason: 'x',
    });
    assert.equal(post.statusCode, 401);
    assert.equal((await c.veto.registry.getObjection(o.id))?.review, 'pending');
    // A forged session cookie is no session.
    const forged = await anonymous.get('/console', { cookie: 'veto_staff=abc.def' });
    assert.equal(forged.statusCode, 303);
  });

  it('signs staff in at the provider; the role comes from the claim; no role, no console', async (t) => {
    const c = await consoleApp(t);
    const viewer = await c.staff('vera');
    assert.equal(viewer.last?.statusCode, 303, viewer.last?.body);
    assert.equal(viewer.last?.headers.location, '/console');
    const page = await viewer.get('/console');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Staff vera, viewer/);

    const stranger = await c.staff('mallory');
    assert.equal(stranger.last?.statusCode, 403);
    assert.match(stranger.last?.body ?? '', /no role in this console/);
    assert.equal((await stranger.get('/console')).statusCode, 303);

    const signedIn = (await staffEvents(c.veto)).filter((e) => e.type === 'staff.signed-in');
    assert.deepEqual(
      signedIn.map((e) => e.data.staff as { sub: string; role: string; issuer: string }),
      [{ issuer: c.provider.issuer, sub: 'vera', role: 'viewer', name: 'Staff vera' }],
    );
  });

  it('the callback refuses a code without the sign-in it answers (state kept in the browser)', async (t) => {
    const c = await consoleApp(t);
    const b = new StaffBrowser(c.app);
    const res = await b.get('/console/callback?code=abc&state=def');
    assert.equal(res.statusCode, 400);
    assert.equal((await b.get('/console')).statusCode, 303);
  });

  it('a viewer reads figures and one objection (audited), but cannot decide or export personal data', async (t) => {
    const c = await consoleApp(t, { reviewMode: true });
    const o = await objectAs(c, 'acct-7');
    const vera = await c.staff('vera');
    const page = await vera.get(`/console/objections/${o.reference}`);
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /name="outcome"/, 'no decision form for a viewer');
    const reads = (await staffEvents(c.veto)).filter((e) => e.type === 'staff.read-objection');
    assert.equal(reads.length, 1);
    assert.equal(reads[0]!.data.objection, o.id);
    assert.equal((reads[0]!.data.staff as { sub: string }).sub, 'vera');

    const decide = await vera.post(`/console/objections/${o.reference}/decision`, {
      _csrf: StaffBrowser.csrf(page),
      outcome: 'overridden',
      reason: 'compelling grounds',
    });
    assert.equal(decide.statusCode, 403);
    assert.equal((await c.veto.registry.getObjection(o.id))?.review, 'pending');
    for (const file of ['objections.csv', 'objections.json', 'review-queue.csv']) {
      const res = await vera.get(`/console/exports/${file}`);
      assert.equal(res.statusCode, 403, file);
    }
    const exports = await vera.get('/console/exports');
    assert.doesNotMatch(exports.body, /exports\/objections\.csv/);
    assert.equal((await vera.get('/console/figures/objections-per-day.csv')).statusCode, 200);
    assert.equal((await staffEvents(c.veto)).filter((e) => e.type === 'staff.export').length, 0);
  });

  it('a reviewer decides through the form; the decision names the staff member, and is audited', async (t) => {
    const c = await consoleApp(t, { reviewMode: true });
    const o = await objectAs(c, 'acct-9');
    const remi = await c.staff('remi');
    const queue = await remi.get('/console/reviews');
    assert.match(queue.body, new RegExp(o.reference));
    const page = await remi.get(`/console/objections/${o.reference}`);
    assert.match(page.body, /name="outcome"/);
    const stale = await remi.post(`/console/objections/${o.reference}/decision`, {
      _csrf: 'forged',
      outcome: 'upheld',
      reason: 'r',
    });
    assert.equal(stale.statusCode, 403, 'CSRF');
    const res = await remi.post(`/console/objections/${o.reference}/decision`, {
      _csrf: StaffBrowser.csrf(page),
      outcome: 'upheld',
      reason: 'No compelling grounds.',
    });
    assert.equal(res.statusCode, 303, res.body);
    const after = await c.veto.registry.getObjection(o.id);
    assert.equal(after?.review, 'upheld');
    assert.equal(after?.decidedBy, 'staff:remi');
    const types = (await staffEvents(c.veto)).map((e) => e.type);
    assert.deepEqual(types, [
      'staff.signed-in',
      'staff.read-review-queue',
      'staff.read-objection',
      'staff.decided',
    ]);
    const verified = await c.veto.registry.verifyAudit();
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });
});
