import assert from 'node:assert/strict';
import { test } from 'node:test';
import { publishDemoNoticeIfNone } from '../../src/cli/notice-commands.ts';
import { testApp } from '../support/test-app.ts';

/**
 * The notice's first "object" link is the first thing a person on a phone sees: on the portal it
 * leads to the button (and, after objecting, to the status there), not back to the same page.
 */
test("the notice's object link leads to the button, then to the status", async (t) => {
  const { app, veto, user } = await testApp(t, { demo: true });
  await publishDemoNoticeIfNone(veto);
  const auth = await user('alice');
  const token = auth.authorization.slice('Bearer '.length);
  const signIn = await app.inject({ url: `/session?token=${token}&next=/` });
  const cookie = [signIn.headers['set-cookie']]
    .flat()
    .filter(Boolean)
    .map((c) => String(c).split(';')[0])
    .join('; ');
  const page = await app.inject({ url: '/?lang=en', headers: { cookie } });
  assert.equal(page.statusCode, 200);
  const first = /<a href="([^"]*)"[^>]*>Object to the use of my content<\/a>/.exec(page.body);
  assert.ok(first, 'the notice has its object link');
  assert.equal(first[1], '#object-action');
  const target = /<div id="object-action"[^>]*>([\s\S]*?)<\/div>\s*<\/section>/.exec(page.body);
  assert.ok(target, 'the link target exists');
  assert.match(target[1]!, /<button type="submit"/);

  await veto.registry.object({
    subject: { kind: 'account', accountId: 'alice' },
    channel: 'api',
    language: 'en',
  });
  const after = await app.inject({ url: '/?lang=en', headers: { cookie } });
  const status = /<div id="object-action"[^>]*>([\s\S]*?)<\/div>\s*<\/section>/.exec(after.body);
  assert.ok(status);
  assert.match(status[1]!, /You objected on/);
});
