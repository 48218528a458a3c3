import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signDemoToken } from '../../src/http/auth/platform-token.ts';
import { readLocaleFiles } from '../../src/i18n/catalogue.ts';
import type { CaptureMailer } from '../support/capture-mailer.ts';
import { testApp } from '../support/test-app.ts';
import { TEST_JWT_SECRET } from '../support/test-veto.ts';
import { InjectBrowser, visibleText } from './support/browser-like.ts';

type Ctx = { after: (fn: () => void | Promise<void>) => void };

const REF = /\/receipt\/(VT-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})$/;

async function setup(t: Ctx) {
  const ctx = await testApp(t, { demo: true });
  return { ...ctx, mailer: ctx.mailer as CaptureMailer };
}

async function signIn(
  b: InjectBrowser,
  claims: { sub: string; lang?: string; email?: string; name?: string; zoneinfo?: string },
  next = '/',
) {
  const token = await signDemoToken(TEST_JWT_SECRET, claims);
  const res = await b.get(
    `/session?token=${encodeURIComponent(token)}&next=${encodeURIComponent(next)}`,
  );
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers.location, next);
  return b.follow(res);
}

function codeFrom(mailer: CaptureMailer, address: string): string {
  const last = mailer.to(address).at(-1);
  assert.ok(last, `no email sent to ${address}`);
  const m = last.text.match(/\b(\d{6})\b/);
  assert.ok(m, 'no code in the email');
  return m[1]!;
}

describe('portal: notice and language', () => {
  it('speaks French to fr-BE browsers, English by default, with lang, skip link and switcher', async (t) => {
    const { app } = await setup(t);
    const fr = await new InjectBrowser(app, { 'accept-language': 'fr-BE,fr;q=0.9,en;q=0.5' }).get(
      '/',
    );
    assert.equal(fr.statusCode, 200);
    assert.match(fr.body, /<html lang="fr"/);
    assert.match(fr.body, /<a class="skip-link" href="#main">Aller au contenu principal<\/a>/);
    assert.match(fr.body, /<main id="main"/);
    assert.match(fr.body, /Votre droit d’opposition/);
    assert.match(fr.body, /href="\/\?lang=en" hreflang="en" lang="en">English/);
    assert.equal(fr.headers['content-language'], 'fr');
    const en = await new InjectBrowser(app).get('/');
    assert.match(en.body, /<html lang="en"/);
    assert.match(en.body, /Your right to object/);
  });

  it('uses the account language over Accept-Language, and the switcher over both', async (t) => {
    const { app } = await setup(t);
    const b = new InjectBrowser(app, { 'accept-language': 'en-US' });
    const page = await signIn(b, { sub: 'acct-fr', lang: 'fr', name: 'Amélie' });
    assert.match(page.body, /<html lang="fr"/);
    assert.match(page.body, /Connecté·e en tant que Amélie/);
    const switched = await b.get('/?lang=en');
    assert.match(switched.body, /<html lang="en"/);
    // The choice is remembered on the next page.
    assert.match((await b.get('/non-user')).body, /<html lang="en"/);
  });

  it('the switcher keeps the place, including the status token, and drops nothing else', async (t) => {
    const { app } = await setup(t);
    const b = new InjectBrowser(app);
    const res = await b.get('/status/VT-0000-0000-0000?t=abc&lang=fr');
    assert.equal(res.statusCode, 404);
    assert.match(res.body, /href="\/status\/VT-0000-0000-0000\?t=abc&amp;lang=en"/);
  });
});

describe('portal: a signed-in user objects in one step', () => {
  it('one button, no reason, no code, no re-login; receipt with reference and email', async (t) => {
    const { app, veto, mailer } = await setup(t);
    const b = new InjectBrowser(app);
    const notice = await signIn(b, {
      sub: 'acct-1',
      lang: 'fr',
      email: 'amelie@example.org',
      name: 'Amélie',
    });
    // The notice page itself carries the form: one button, an optional message, nothing required.
    const form =
      notice.body.match(/<form method="post" action="\/object"[\s\S]*?<\/form>/)?.[0] ?? '';
    assert.match(
      form,
      /<button type="submit"[^>]*>Je m’oppose à l’utilisation de mes contenus<\/button>/,
    );
    assert.doesNotMatch(form, /required/);
    assert.equal((form.match(/<button/g) ?? []).length, 1);

    const posted = await b.post('/object', { _csrf: b.csrf() });
    assert.equal(posted.statusCode, 303);
    const ref = String(posted.headers.location).match(REF)?.[1];
    assert.ok(ref, `redirected to ${posted.headers.location}`);
    const receipt = await b.follow(posted);
    assert.equal(receipt.statusCode, 200);
    assert.match(receipt.body, /Votre opposition est enregistrée/);
    assert.ok(receipt.body.includes(ref));

    const stored = await veto.registry.getByReference(ref);
    assert.equal(stored?.status, 'effective');
    assert.equal(stored?.channel, 'portal');
    assert.equal(stored?.reasonText, null);
    assert.equal(stored?.language, 'fr');

    // The same receipt by email, in French, with a working status link.
    await veto.dispatcher.deliverDue();
    const mail = mailer.to('amelie@example.org').at(-1);
    assert.ok(mail, 'receipt email sent');
    assert.ok(mail.subject.includes(ref));
    assert.match(mail.text, /Bonjour/);
    const link = mail.text.match(/https?:\/\/\S+\/status\/\S+/)?.[0];
    assert.ok(link, 'status link in the receipt');
    const fromLink = await new InjectBrowser(app).get(link.replace(/^https?:\/\/[^/]+/, ''));
    assert.equal(fromLink.statusCode, 200);
    assert.ok(fromLink.body.includes(ref));

    // Back on the notice, the person sees their own objection instead of the button.
    const again = await b.get('/');
    assert.match(again.body, /Vous vous êtes opposé·e le/);
    assert.doesNotMatch(again.body, /action="\/object"/);
  });

  it('tolerates double submission: one objection, the same receipt twice', async (t) => {
    const { app, veto } = await setup(t);
    const b = new InjectBrowser(app);
    await signIn(b, { sub: 'acct-2' });
    const csrf = b.csrf();
    const [r1, r2] = await Promise.all([
      b.post('/object', { _csrf: csrf, reasonText: 'Not my consent' }),
      b.post('/object', { _csrf: csrf, reasonText: 'Not my consent' }),
    ]);
    assert.equal(r1.statusCode, 303);
    assert.equal(r2.statusCode, 303);
    assert.equal(r1.headers.location, r2.headers.location);
    const list = await veto.registry.objectionsOf({ kind: 'account', accountId: 'acct-2' });
    assert.equal(list.length, 1);
    assert.equal(list[0]!.reasonText, 'Not my consent');
  });

  it('refuses a form without a valid CSRF token, with a catalogue message', async (t) => {
    const { app, veto } = await setup(t);
    const b = new InjectBrowser(app, { 'accept-language': 'fr' });
    await signIn(b, { sub: 'acct-3' });
    const missing = await b.post('/object', {});
    assert.equal(missing.statusCode, 403);
    assert.match(missing.body, /Ce formulaire a expiré/);
    // A token from another person's session does not work either.
    const other = new InjectBrowser(app);
    await signIn(other, { sub: 'acct-4' });
    const foreign = await b.post('/object', { _csrf: other.csrf() });
    assert.equal(foreign.statusCode, 403);
    assert.equal(
      (await veto.registry.objectionsOf({ kind: 'account', accountId: 'acct-3' })).length,
      0,
    );
  });

  it('rejects a bad platform token and never redirects off-site', async (t) => {
    const { app } = await setup(t);
    const b = new InjectBrowser(app, { 'accept-language': 'fr' });
    const bad = await b.get('/session?token=not-a-jwt&next=/');
    assert.equal(bad.statusCode, 401);
    assert.match(bad.body, /Ce lien ne fonctionne plus/);
    const token = await signDemoToken(TEST_JWT_SECRET, { sub: 'acct-5' });
    const evil = await b.get(
      `/session?token=${token}&next=${encodeURIComponent('//evil.example/x')}`,
    );
    assert.equal(evil.headers.location, '/');
    // GET /?token=... also signs in, and the token leaves the address bar.
    const root = await b.get(`/?token=${token}`);
    assert.equal(root.statusCode, 303);
    assert.equal(root.headers.location, '/');
  });

  it('POST /object without a session asks to come from the platform', async (t) => {
    const { app } = await setup(t);
    const b = new InjectBrowser(app);
    await b.get('/non-user');
    const res = await b.post('/object', { _csrf: b.csrf() });
    assert.equal(res.statusCode, 401);
    assert.match(res.body, /Open this page again from Demo Social/);
  });
});

describe('portal: status and withdrawal', () => {
  it('owner sees status and withdraws with confirmation; a resubmission is harmless', async (t) => {
    const { app, veto } = await setup(t);
    const b = new InjectBrowser(app);
    await signIn(b, { sub: 'acct-w', lang: 'en' });
    const posted = await b.post('/object', { _csrf: b.csrf() });
    const ref = String(posted.headers.location).match(REF)![1]!;
    const status = await b.get(`/status/${ref}`);
    assert.match(status.body, /Effective: your content is excluded/);
    const confirm = await b.get(`/withdraw/${ref}`);
    assert.match(confirm.body, /Withdraw your objection\?/);
    const csrf = b.csrf();
    const w1 = await b.post(`/withdraw/${ref}`, { _csrf: csrf });
    assert.equal(w1.statusCode, 303);
    const after = await b.follow(w1);
    assert.match(after.body, /Withdrawn on/);
    assert.match(after.body, /Your objection is withdrawn/);
    const w2 = await b.post(`/withdraw/${ref}`, { _csrf: csrf });
    assert.equal(w2.statusCode, 303);
    assert.equal((await veto.registry.getByReference(ref))?.status, 'withdrawn');
    // The list of one's objections, and the notice offers to object again.
    assert.ok((await b.get('/status')).body.includes(ref));
    assert.match((await b.get('/')).body, /action="\/object"/);
  });

  it('shows times in the time zone the platform gives (zoneinfo), else in UTC, and says which', async (t) => {
    const { app, veto, mailer } = await setup(t);
    const paris = new InjectBrowser(app);
    await signIn(paris, {
      sub: 'acct-tz',
      lang: 'fr',
      zoneinfo: 'Europe/Paris',
      email: 'tz@example.org',
    });
    const ref = String(
      (await paris.post('/object', { _csrf: paris.csrf() })).headers.location,
    ).match(REF)![1]!;
    const received = new Date((await veto.registry.getByReference(ref))!.receivedAt);
    const local = (timeZone: string) =>
      new Intl.DateTimeFormat('fr', { hour: '2-digit', minute: '2-digit', timeZone }).format(
        received,
      );
    const status = (await paris.get(`/status/${ref}`)).body;
    assert.ok(status.includes(`${local('Europe/Paris')} Europe/Paris`), 'received in Paris time');
    assert.match(
      status,
      /Les dates et heures sont indiquées dans le fuseau horaire Europe\/Paris\./,
    );
    assert.doesNotMatch(status, /temps universel/);

    // A zone the runtime does not know is ignored: UTC, said plainly.
    const elsewhere = new InjectBrowser(app);
    await signIn(elsewhere, { sub: 'acct-tz', lang: 'fr', zoneinfo: 'Mars/Olympus_Mons' });
    const utc = (await elsewhere.get(`/status/${ref}`)).body;
    assert.ok(utc.includes(`${local('UTC')} UTC`), 'received in UTC');
    assert.match(utc, /temps universel \(UTC\)/);

    // The receipt and the withdrawal's confirmation by email give their times in the zone the
    // person had when they acted, and name it.
    await veto.dispatcher.deliverDue();
    const receipt = mailer.to('tz@example.org').at(-1)!;
    assert.ok(receipt.text.includes(`${local('Europe/Paris')} Europe/Paris`), receipt.text);
    assert.doesNotMatch(receipt.text, /UTC/);
    const withdrawn = await paris.post(`/withdraw/${ref}`, { _csrf: paris.csrf() });
    assert.equal(withdrawn.statusCode, 303);
    await veto.dispatcher.deliverDue();
    const confirmation = mailer.to('tz@example.org').at(-1)!;
    assert.match(confirmation.subject, /retirée/);
    const ended = new Date((await veto.registry.getByReference(ref))!.endedAt!);
    const endedInParis = new Intl.DateTimeFormat('fr', {
      hour: '2-digit',
      minute: '2-digit',
      timeZone: 'Europe/Paris',
    }).format(ended);
    assert.ok(confirmation.text.includes(`${endedInParis} Europe/Paris`), confirmation.text);

    // Without a zone, the email says UTC.
    const plain = new InjectBrowser(app);
    await signIn(plain, { sub: 'acct-no-tz', lang: 'fr', email: 'utc@example.org' });
    await plain.post('/object', { _csrf: plain.csrf() });
    await veto.dispatcher.deliverDue();
    assert.match(mailer.to('utc@example.org').at(-1)!.text, /\d\d:\d\d UTC/);
  });

  it('nobody else can see or withdraw it: the answer equals that for an unknown reference', async (t) => {
    const { app, veto } = await setup(t);
    const owner = new InjectBrowser(app);
    await signIn(owner, { sub: 'acct-owner' });
    const ref = String(
      (await owner.post('/object', { _csrf: owner.csrf() })).headers.location,
    ).match(REF)![1]!;

    const stranger = new InjectBrowser(app);
    await signIn(stranger, { sub: 'acct-stranger' });
    const theirs = await stranger.get(`/status/${ref}`);
    const unknown = await stranger.get('/status/VT-ZZZZ-ZZZZ-ZZZZ');
    assert.equal(theirs.statusCode, 404);
    assert.equal(unknown.statusCode, 404);
    assert.equal(
      visibleText(theirs.body).replace(ref, 'REF'),
      visibleText(unknown.body).replace('VT-ZZZZ-ZZZZ-ZZZZ', 'REF'),
    );
    assert.equal((await stranger.get(`/status/${ref}?t=forged`)).statusCode, 404);
    assert.equal((await stranger.get(`/receipt/${ref}`)).statusCode, 404);
    const w = await stranger.post(`/withdraw/${ref}`, { _csrf: stranger.csrf(), t: 'forged' });
    assert.equal(w.statusCode, 404);
    assert.equal((await veto.registry.getByReference(ref))?.status, 'effective');

    // With the status token from the receipt, anyone holding the link can see it.
    const o = (await veto.registry.getByReference(ref))!;
    const viaLink = await new InjectBrowser(app).get(
      `/status/${ref}?t=${veto.registry.statusToken(o)}`,
    );
    assert.equal(viaLink.statusCode, 200);
    assert.match(viaLink.body, new RegExp(`/withdraw/${ref}\\?t=`));
  });
});

describe('portal: a non-user objects with an email address and a code', () => {
  it('email, code, places where they appear; receipt; double submission lands on the same receipt', async (t) => {
    const { app, veto, mailer } = await setup(t);
    const b = new InjectBrowser(app, { 'accept-language': 'fr-FR' });
    await b.get('/non-user');
    const sent = await b.post('/non-user', { _csrf: b.csrf(), email: 'camille@example.org' });
    assert.equal(sent.statusCode, 303);
    assert.equal(sent.headers.location, '/non-user/verify');
    const verify = await b.follow(sent);
    assert.match(verify.body, /Saisissez votre code/);
    const code = codeFrom(mailer, 'camille@example.org');
    assert.match(mailer.to('camille@example.org')[0]!.subject, /Votre code/);

    const wrong = await b.post('/non-user/verify', {
      _csrf: b.csrf(),
      code: code === '000000' ? '111111' : '000000',
    });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /Ce code n’est pas correct/);
    assert.match(wrong.body, /aria-invalid="true"/);

    const form = {
      _csrf: b.csrf(),
      code,
      appearsAt: '@camille.m\nhttps://demo.example/p/1\n@camille.m',
      reasonText: '',
    };
    const [r1, r2] = await Promise.all([
      b.post('/non-user/verify', form),
      b.post('/non-user/verify', form),
    ]);
    assert.equal(r1.statusCode, 303, r1.body.slice(0, 500));
    assert.equal(r2.statusCode, 303, r2.body.slice(0, 500));
    assert.equal(r1.headers.location, r2.headers.location);
    const ref = String(r1.headers.location).match(REF)![1]!;
    const receipt = await b.follow(r1);
    assert.match(receipt.body, /les contenus vous concernant/);
    const o = (await veto.registry.getByReference(ref))!;
    assert.equal(o.subjectKind, 'non-user');
    assert.deepEqual(o.appearsAt, ['@camille.m', 'https://demo.example/p/1']);
    // A later resubmission (cookie now proves the address) needs no code either.
    const r3 = await b.post('/non-user/verify', { _csrf: b.csrf(), code: '' });
    assert.equal(r3.headers.location, r1.headers.location);
    // Their status list works from the verified session.
    assert.ok((await b.get('/status')).body.includes(ref));
  });

  it('asking for a code says the same thing whether or not the address already objected', async (t) => {
    const { app, veto } = await setup(t);
    await veto.registry.object({
      subject: { kind: 'email', email: 'known@example.org' },
      channel: 'api',
      language: 'en',
    });
    const ask = async (email: string) => {
      const b = new InjectBrowser(app);
      await b.get('/non-user');
      const res = await b.post('/non-user', { _csrf: b.csrf(), email });
      return {
        status: res.statusCode,
        location: res.headers.location,
        page: visibleText((await b.follow(res)).body).replace(email, 'EMAIL'),
      };
    };
    assert.deepEqual(await ask('known@example.org'), await ask('unknown@example.org'));
  });

  it('explains bad input next to the field, from the catalogue', async (t) => {
    const { app } = await setup(t);
    const b = new InjectBrowser(app, { 'accept-language': 'fr' });
    await b.get('/non-user');
    const res = await b.post('/non-user', { _csrf: b.csrf(), email: 'not-an-address' });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /<div class="error-summary" role="alert"/);
    assert.match(res.body, /<a href="#email">Saisissez une adresse électronique/);
    assert.match(res.body, /id="email-error"/);
    assert.match(res.body, /aria-describedby="email-hint email-error"/);
    // Without a pending address, the code step sends the person back to the first step.
    assert.equal(
      (await new InjectBrowser(app).get('/non-user/verify')).headers.location,
      '/non-user',
    );
  });

  it('rate limits are reported from the catalogue', async (t) => {
    const { app } = await setup(t);
    const b = new InjectBrowser(app);
    await b.get('/non-user');
    let last = await b.post('/non-user', { _csrf: b.csrf(), email: 'many@example.org' });
    for (let i = 0; i < 6 && last.statusCode === 303; i++) {
      await b.get('/non-user');
      last = await b.post('/non-user', { _csrf: b.csrf(), email: 'many@example.org' });
    }
    assert.equal(last.statusCode, 429);
    assert.match(last.body, /Too many attempts/);
  });
});

describe('portal: no English inside French pages', () => {
  const en = readLocaleFiles().get('en')!;
  const fr = readLocaleFiles().get('fr')!;
  // Literal stretches of English messages (placeholders removed) long enough to be telling.
  const fragments = Object.entries(en)
    .filter(([key, value]) => fr[key] !== value && !value.includes('plural'))
    .flatMap(([, value]) => value.split(/\{[^}]*\}/))
    .map((s) => s.trim())
    .filter((s) => s.length >= 12);

  it('every French page and error uses French messages only', async (t) => {
    const { app, veto, mailer } = await setup(t);
    const pages: [string, string][] = [];
    const b = new InjectBrowser(app, { 'accept-language': 'fr-BE' });
    const add = (name: string, body: string) => pages.push([name, body]);
    add('notice (signed out)', (await b.get('/')).body);
    add('non-user', (await b.get('/non-user')).body);
    add('non-user error', (await b.post('/non-user', { _csrf: b.csrf(), email: 'x' })).body);
    await b.post('/non-user', { _csrf: b.csrf(), email: 'fr@example.org' });
    add('verify', (await b.get('/non-user/verify')).body);
    add('verify error', (await b.post('/non-user/verify', { _csrf: b.csrf(), code: '12' })).body);
    add(
      'status (signed out)',
      (await new InjectBrowser(app, { 'accept-language': 'fr' }).get('/status')).body,
    );
    add('404', (await b.get('/status/VT-0000-0000-0000')).body);
    add('token invalid', (await b.get('/session?token=x')).body);
    add('csrf', (await b.post('/non-user', {})).body);
    add('demo', (await b.get('/demo')).body);
    const user = new InjectBrowser(app, { 'accept-language': 'en' });
    add(
      'notice (signed in)',
      (await signIn(user, { sub: 'fr-1', lang: 'fr', email: 'fr1@example.org' })).body,
    );
    const posted = await user.post('/object', { _csrf: user.csrf(), reasonText: 'x' });
    const ref = String(posted.headers.location).match(REF)![1]!;
    add('receipt', (await user.follow(posted)).body);
    add('status', (await user.get(`/status/${ref}`)).body);
    add('status list', (await user.get('/status')).body);
    add('withdraw', (await user.get(`/withdraw/${ref}`)).body);
    await user.post(`/withdraw/${ref}`, { _csrf: user.csrf() });
    add('withdrawn', (await user.get(`/status/${ref}?withdrawn=1`)).body);
    await veto.dispatcher.deliverDue();
    for (const m of mailer.to('fr1@example.org')) add(`email ${m.subject}`, m.html);

    assert.ok(fragments.length > 100, `${fragments.length} English fragments to look for`);
    for (const [name, body] of pages) {
      assert.match(body, /<html lang="fr"/, `${name} is not marked French`);
      const text = visibleText(body);
      const leaks = fragments.filter((f) => text.includes(f));
      assert.deepEqual(leaks, [], `${name} shows English: ${leaks.join(' | ')}`);
    }
  });
});

describe('portal: security headers and assets', () => {
  it('serves one stylesheet and keeps status tokens out of Referer headers', async (t) => {
    const { app } = await setup(t);
    const css = await app.inject({ method: 'GET', url: '/assets/portal.css' });
    assert.equal(css.statusCode, 200);
    assert.match(String(css.headers['content-type']), /text\/css/);
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.equal(page.headers['cache-control'], 'no-store');
    const cookie = String(page.headers['set-cookie']);
    assert.match(cookie, /veto_csrf=.*HttpOnly.*SameSite=Lax/);
  });
});
