import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testApp } from '../support/test-app.ts';
import { InjectBrowser } from './support/browser-like.ts';

describe('demo platform', () => {
  it('switches accounts and links each member to Veto with a signed session token', async (t) => {
    const { app } = await testApp(t, { demo: true });
    const b = new InjectBrowser(app, { 'accept-language': 'en' });
    const visitor = await b.get('/demo');
    assert.equal(visitor.statusCode, 200);
    assert.match(visitor.body, /Camille Martin/);
    assert.match(visitor.body, /<p lang="fr">Anniversaire/);
    assert.match(visitor.body, /href="\/non-user"/);
    for (const id of ['demo-amelie', 'demo-oliver', 'demo-lea'])
      assert.ok(visitor.body.includes(`value="${id}"`));

    const login = await b.post('/demo/login', { _csrf: b.csrf(), account: 'demo-amelie' });
    assert.equal(login.statusCode, 303);
    const feed = await b.follow(login);
    assert.match(feed.body, /<html lang="fr"/);
    const link = feed.body.match(/href="(\/session\?token=[^"]+)"/)?.[1]?.replace(/&amp;/g, '&');
    assert.ok(link, 'banner links to Veto with a token');
    const notice = await b.follow(await b.get(link));
    assert.match(notice.body, /<html lang="fr"/);
    assert.match(notice.body, /Connecté·e en tant que Amélie Durand/);
    assert.match(notice.body, /action="\/object"/);

    await b.get('/demo');
    const minor = await b.follow(
      await b.post('/demo/login', { _csrf: b.csrf(), account: 'demo-lea' }),
    );
    assert.match(minor.body, /moins de 18/);
  });

  it('refuses the login switch without its CSRF token', async (t) => {
    const { app } = await testApp(t, { demo: true });
    const res = await new InjectBrowser(app).post('/demo/login', { account: 'demo-oliver' });
    assert.equal(res.statusCode, 403);
  });
});
