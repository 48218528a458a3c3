import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildFixtureDataset } from '../removals/support/fixture.ts';
import { consoleApp, StaffBrowser } from '../support/console-session.ts';

describe('console: datasets, recipients and notices pages', () => {
  it('shows each sealed dataset with its manifest, checks and removals; recipients with their backlog', async (t) => {
    const c = await consoleApp(t);
    const { datasetId } = await buildFixtureDataset(c.veto, c.dir);
    await c.veto.afterwards!.addRecipient({
      datasetId,
      name: 'Partner lab',
      webhookUrl: 'http://127.0.0.1:9/hook',
    });
    // u1 objects after the build: a removal is due, waiting for the recipient.
    const res = await c.app.inject({
      method: 'POST',
      url: '/v1/objections',
      headers: c.apiKey,
      payload: { subject: { accountId: 'u1' } },
    });
    assert.equal(res.statusCode, 201, res.body);
    await c.veto.removalPlanner!.drain();

    const anonymous = new StaffBrowser(c.app);
    for (const path of ['/console/datasets', '/console/recipients', '/console/notices'])
      assert.equal((await anonymous.get(path)).statusCode, 303, path);

    const vera = await c.staff('vera');
    const datasets = await vera.get('/console/datasets');
    assert.equal(datasets.statusCode, 200);
    const row = new RegExp(`<td>${datasetId}</td>[\\s\\S]*?</tr>`).exec(datasets.body)?.[0] ?? '';
    assert.ok(row, 'the dataset is listed');
    const numbers = [...row.matchAll(/<td class="number">([^<]*)<\/td>/g)].map((m) => m[1]);
    assert.deepEqual(numbers.slice(1), ['1', '0'], 'one removal waiting, none done');
    assert.match(datasets.body, /Checks performed for ds_fixture/);
    assert.match(datasets.body, /objectors<\/td>\s*<td>Performed/);
    assert.match(datasets.body, /veto dataset verify/);

    const recipients = await vera.get('/console/recipients');
    assert.equal(recipients.statusCode, 200);
    assert.match(recipients.body, /Partner lab/);
    const lab = /<td>Partner lab<\/td>[\s\S]*?<\/tr>/.exec(recipients.body)?.[0] ?? '';
    assert.deepEqual(
      [...lab.matchAll(/<td class="number">([^<]*)<\/td>/g)].map((m) => m[1]),
      ['0', '1', '0'],
    );
    const notices = await vera.get('/console/notices');
    assert.equal(notices.statusCode, 200);
    assert.match(notices.body, /<h1>Notices<\/h1>/);

    // A model trained five months and a half ago: its summary's update is due within 30 days.
    const trainedAt = new Date(Date.now() - 168 * 86_400_000).toISOString();
    const model = await c.veto.afterwards!.addModel({ datasetId, name: 'assistant-v7', trainedAt });
    const overview = await vera.get('/console');
    assert.match(
      overview.body,
      /assistant-v7<\/a>: The six-monthly update of this summary is due by/,
    );
    const models = await vera.get('/console/models');
    assert.equal(models.statusCode, 200);
    assert.match(models.body, /assistant-v7/);
    assert.match(models.body, /The six-monthly update of this summary is due by/);
    const summary = await vera.get(`/console/models/${model.id}/summary`);
    assert.equal(summary.statusCode, 200);
    assert.match(summary.body, /### 2\.4 Data from users of the provider’s services/);
    assert.match(summary.body, /1 removal\(s\) recorded since the build/);
    assert.match(summary.body, /<pre lang="en"/);
    assert.equal((await vera.get('/console/models/mdl_nope/summary')).statusCode, 404);
  });
});
