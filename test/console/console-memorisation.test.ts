import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent } from '../../src/domain/types.ts';
import { buildFixtureDataset } from '../removals/support/fixture.ts';
import { consoleApp, StaffBrowser } from '../support/console-session.ts';

async function staffEvents(veto: { store: { readEvents(): AsyncIterable<AuditEvent> } }) {
  const out: AuditEvent[] = [];
  for await (const e of veto.store.readEvents()) if (e.type.startsWith('staff.')) out.push(e);
  return out;
}

/** A console app with a sealed dataset, a model trained on it and two reports people filed. */
async function withReports(t: Parameters<typeof consoleApp>[0]) {
  const c = await consoleApp(t);
  const { datasetId } = await buildFixtureDataset(c.veto, c.dir);
  const model = await c.app.inject({
    method: 'POST',
    url: `/v1/admin/datasets/${datasetId}/models`,
    headers: c.admin,
    payload: { name: 'assistant-v7' },
  });
  assert.equal(model.statusCode, 201, model.body);
  const modelId = model.json().id as string;
  const report = async (account: string, lang: string, email?: string) => {
    const res = await c.app.inject({
      method: 'POST',
      url: '/v1/me/memorisation-reports',
      headers: await c.user(account, { lang, ...(email ? { email } : {}) }),
      payload: { modelId, description: `It printed the home address of ${account}.` },
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json() as { id: string; reference: string; dueAt: string };
  };
  const fr = await report('u1', 'fr', 'u1@example.org');
  const de = await report('u3', 'de');
  await c.veto.dispatcher.deliverDue();
  c.mailer.sent.length = 0;
  return { ...c, modelId, fr, de };
}

describe('console: memorisation reports', () => {
  it('a viewer lists and reads reports (each read audited) but cannot answer or export them', async (t) => {
    const c = await withReports(t);
    const vera = await c.staff('vera');
    const list = await vera.get('/console/memorisation');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, new RegExp(c.fr.reference));
    assert.match(list.body, new RegExp(c.de.reference));
    assert.match(list.body, /Reports waiting for an answer: 2/);
    assert.match(list.body, /assistant-v7/);
    assert.doesNotMatch(list.body, /memorisation-reports\.csv/, 'no export link for a viewer');
    const one = await vera.get(`/console/memorisation/${c.fr.reference}`);
    assert.equal(one.statusCode, 200);
    assert.match(one.body, /It printed the home address of u1\./);
    assert.doesNotMatch(one.body, /name="answer"/, 'no answer form for a viewer');
    assert.doesNotMatch(one.body, /u1@example\.org/, 'the address is never shown');
    const answer = await vera.post(`/console/memorisation/${c.fr.reference}/answer`, {
      _csrf: StaffBrowser.csrf(one),
      outcome: 'mitigated',
      answer: 'Filtered.',
    });
    assert.equal(answer.statusCode, 403);
    assert.equal((await vera.get('/console/exports/memorisation-reports.csv')).statusCode, 403);
    const events = await staffEvents(c.veto);
    assert.deepEqual(
      events.map((e) => e.type),
      ['staff.signed-in', 'staff.read-reports', 'staff.read-report'],
    );
    assert.equal(events[2]!.data.reference, c.fr.reference);
    assert.equal((events[2]!.data.staff as { sub: string }).sub, 'vera');
    const stored = await c.veto.afterwards!.memorisationReportByReference(c.fr.reference);
    assert.equal(stored?.answer, null);
  });

  it('a reviewer answers once; the answer is emailed in the person’s language and audited', async (t) => {
    const c = await withReports(t);
    const remi = await c.staff('remi');
    const page = await remi.get(`/console/memorisation/${c.fr.reference}`);
    assert.match(page.body, /name="answer"/);
    const csrf = StaffBrowser.csrf(page);
    const bad = await remi.post(`/console/memorisation/${c.fr.reference}/answer`, {
      _csrf: csrf,
      outcome: 'shrugged',
      answer: 'x',
    });
    assert.equal(bad.statusCode, 400);
    const done = await remi.post(`/console/memorisation/${c.fr.reference}/answer`, {
      _csrf: csrf,
      outcome: 'mitigated',
      answer: 'Nous avons ajouté un filtre de sortie pour votre adresse.',
    });
    assert.equal(done.statusCode, 303, done.body);
    assert.equal(done.headers.location, `/console/memorisation/${c.fr.reference}?done=answered`);
    const after = await remi.get(done.headers.location as string);
    assert.match(after.body, /The answer is recorded/);
    assert.doesNotMatch(after.body, /name="answer"/, 'answered: no form any more');

    await c.veto.dispatcher.deliverDue();
    const mails = c.mailer.to('u1@example.org');
    assert.equal(mails.length, 1);
    assert.match(mails[0]!.subject, new RegExp(`Réponse à votre signalement ${c.fr.reference}`));
    assert.match(mails[0]!.text, /Nous y avons donné suite/);
    assert.match(mails[0]!.text, /ajouté un filtre de sortie/);

    const again = await remi.post(`/console/memorisation/${c.fr.reference}/answer`, {
      _csrf: csrf,
      outcome: 'not-reproduced',
      answer: 'Second thoughts.',
    });
    assert.equal(again.statusCode, 409);
    const stored = await c.veto.afterwards!.memorisationReportByReference(c.fr.reference);
    assert.equal(stored?.answer?.outcome, 'mitigated');
    assert.equal(stored?.answer?.answeredBy, 'staff:remi');

    // No address known for the other person: answered and recorded, nothing emailed.
    const other = await remi.get(`/console/memorisation/${c.de.reference}`);
    const none = await remi.post(`/console/memorisation/${c.de.reference}/answer`, {
      _csrf: StaffBrowser.csrf(other),
      outcome: 'no-personal-data',
      answer: 'Kein Personenbezug.',
    });
    assert.equal(none.statusCode, 303);
    await c.veto.dispatcher.deliverDue();
    assert.equal(c.mailer.sent.length, 1);

    const answered = (await staffEvents(c.veto)).filter((e) => e.type === 'staff.answered-report');
    assert.deepEqual(
      answered.map((e) => [e.data.reference, e.data.outcome, e.data.emailed]),
      [
        [c.fr.reference, 'mitigated', true],
        [c.de.reference, 'no-personal-data', false],
      ],
    );

    const csv = await remi.get('/console/exports/memorisation-reports.csv');
    assert.equal(csv.statusCode, 200);
    const lines = csv.body.trim().split('\r\n');
    assert.equal(
      lines[0],
      'reference,modelId,language,receivedAt,dueAt,answeredAt,answeredBy,outcome',
    );
    assert.equal(lines.length, 3);
    assert.doesNotMatch(csv.body, /@|home address/, 'no address, no free text');
    const json = (await remi.get('/console/exports/memorisation-reports.json')).json() as {
      reference: string;
      outcome: string;
    }[];
    assert.deepEqual(
      json.map((r) => [r.reference, r.outcome]).sort(),
      [
        [c.de.reference, 'no-personal-data'],
        [c.fr.reference, 'mitigated'],
      ].sort(),
    );
    const verified = await c.veto.registry.verifyAudit();
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });
});
