import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { consoleApp, StaffBrowser } from '../support/console-session.ts';
import { NOTICE_ITEMS_ENV, runVeto } from '../support/veto-cli.ts';

/**
 * The Art. 30 record in the console: generated from the running configuration, policies and
 * notice by the same function as `veto record art30` (the download is byte for byte what the
 * command keeps), with the versions the command kept; for every staff role, in the staff
 * member's language.
 */
const POLICY = fileURLToPath(new URL('../../policies/meta-2025.yaml', import.meta.url));
const PAGE = '/console/records/art30';

describe('console: the Art. 30 record', () => {
  it('shows the current record, its Markdown and printable forms, and the versions kept, in French and English', {
    timeout: 120_000,
  }, async (t) => {
    const c = await consoleApp(t, { policies: [POLICY] });
    const anonymous = new StaffBrowser(c.app);
    for (const url of [PAGE, `${PAGE}.md`, `${PAGE}.html`])
      assert.equal((await anonymous.get(url)).statusCode, 303, url);

    const vera = await c.staff('vera');
    const before = await vera.get(PAGE);
    assert.equal(before.statusCode, 200);
    assert.match(
      before.body,
      /<a href="\/console\/records\/art30" aria-current="page">Art\. 30 record<\/a>/,
    );
    assert.match(before.body, /<h1>Art\. 30 record<\/h1>/);
    assert.match(before.body, /<article class="record" lang="en"/);
    assert.match(before.body, /<h2>Record of processing activities \(GDPR Art\. 30\(1\)\)/);
    assert.match(before.body, /<h3>5\. Recipients<\/h3>/);
    assert.match(before.body, /<li>Example AI Lab SARL<\/li>/);
    assert.match(before.body, /policy <code>meta-2025<\/code>/);
    assert.match(before.body, /No version kept yet/);
    assert.doesNotMatch(before.body, /differs from the latest version kept/);
    assert.doesNotMatch(before.body, /No dataset policy is configured/);

    // The command, on the same registry and configuration, its policy from VETO_POLICIES.
    const env = {
      VETO_DATA_DIR: c.config.dataDir,
      VETO_DATABASE_URL: c.config.databaseUrl,
      VETO_SECRET: c.config.secret,
      VETO_POLICIES: POLICY,
      ...NOTICE_ITEMS_ENV,
    };
    const kept = runVeto(env, 'record', 'art30');
    assert.equal(kept.code, 0, kept.err);
    assert.match(kept.out, /new version 0001-/);
    const dir = path.join(c.config.dataDir, 'records', 'art30');
    const file = readdirSync(dir).find((f) => f.endsWith('.md'))!;
    const markdown = readFileSync(path.join(dir, file), 'utf8');
    const version = file.slice(0, -3);

    const download = await vera.get(`${PAGE}.md`);
    assert.equal(download.statusCode, 200);
    assert.match(String(download.headers['content-type']), /^text\/markdown/);
    assert.match(String(download.headers['content-disposition']), /attachment/);
    assert.equal(download.body, markdown, 'the console’s record is the command’s, byte for byte');

    const printable = await vera.get(`${PAGE}.html`);
    assert.equal(printable.statusCode, 200);
    assert.match(printable.body, /<h2>5\. Recipients<\/h2>/);
    assert.match(printable.body, new RegExp(`Version ${version}`));

    const en = await vera.get(PAGE);
    assert.match(en.body, new RegExp(`This record is the version kept as ${version}\\.`));
    const sha256 = createHash('sha256').update(markdown).digest('hex');
    const row = new RegExp(
      `<tr><td>${version}</td><td>([^<]+)</td><td><code>${sha256}</code></td><td>`,
    ).exec(en.body);
    assert.ok(row, 'the kept version is listed with its sha256');
    assert.ok(Math.abs(Date.now() - Date.parse(row[1]!)) < 120_000, `kept just now (${row[1]})`);

    // A changed configuration is not what was kept: the console says so.
    const changed = runVeto({ ...env, VETO_RETENTION_MONTHS: '12' }, 'record', 'art30');
    assert.match(changed.out, /new version 0002-/);
    const after = await vera.get(PAGE);
    assert.match(after.body, /differs from the latest version kept/);
    assert.match(after.body, new RegExp(`<td>${version}</td>`));
    assert.match(after.body, /<td>0002-[0-9a-f]{12}<\/td>/);

    // In French: the page's text from the catalogue; the record itself stays in English.
    const fr = await vera.get(`${PAGE}?lang=fr`);
    assert.equal(fr.statusCode, 200);
    assert.match(fr.body, /<html lang="fr"/);
    assert.match(fr.body, /<h1>Registre art\. 30<\/h1>/);
    assert.match(fr.body, /Versions conservées/);
    assert.match(fr.body, /Télécharger le registre \(Markdown\)/);
    assert.match(fr.body, /diffère de la dernière version conservée/);
    assert.match(fr.body, /<h3>5\. Recipients<\/h3>/);

    // Every staff role reads it.
    for (const login of ['remi', 'ada'])
      assert.equal((await (await c.staff(login)).get(PAGE)).statusCode, 200, login);

    // Every kept version can be downloaded as it was kept, Markdown and printable page.
    const first = await vera.get(`${PAGE}/versions/${version}.md`);
    assert.equal(first.statusCode, 200);
    assert.match(String(first.headers['content-type']), /^text\/markdown/);
    assert.match(
      String(first.headers['content-disposition']),
      new RegExp(`art30-record-${version}\\.md`),
    );
    assert.equal(first.body, markdown, 'version 1 as the command kept it, not the current record');
    const firstHtml = await vera.get(`${PAGE}/versions/${version}.html`);
    assert.equal(firstHtml.statusCode, 200);
    assert.equal(firstHtml.body, readFileSync(path.join(dir, `${version}.html`), 'utf8'));
    assert.match(
      after.body,
      new RegExp(`href="${PAGE}/versions/${version}\\.md" download>${version} \\(Markdown\\)</a>`),
    );
    assert.match(
      after.body,
      new RegExp(`href="${PAGE}/versions/${version}\\.html">${version}, printable page</a>`),
    );
    // Only kept versions' names are served: no other file, no path outside the folder.
    for (const bad of ['0009-000000000000.md', '..%2F..%2Fsecret.md', 'x.md', `${version}.txt`])
      assert.equal((await vera.get(`${PAGE}/versions/${bad}`)).statusCode, 404, bad);
    assert.equal((await anonymous.get(`${PAGE}/versions/${version}.md`)).statusCode, 303);

    // Keeping a version from the console is the controller's act: admins only, audited.
    assert.doesNotMatch(
      after.body,
      /Keep this record as a new version/,
      'a viewer is not offered it',
    );
    const csrf = StaffBrowser.csrf(after);
    const refused = await vera.post(`${PAGE}/keep`, { _csrf: csrf });
    assert.equal(refused.statusCode, 403);
    const ada = await c.staff('ada');
    const adaPage = await ada.get(`${PAGE}?lang=fr`);
    assert.match(adaPage.body, /Conserver ce registre comme nouvelle version/);
    // The server runs the first configuration, which differs from version 2 (12 months).
    const keptHere = await ada.post(`${PAGE}/keep`, { _csrf: StaffBrowser.csrf(adaPage) });
    assert.equal(keptHere.statusCode, 303);
    assert.equal(keptHere.headers.location, `${PAGE}?done=kept`);
    const third = readdirSync(dir).filter((f) => /^0003-[0-9a-f]{12}\.(md|html)$/.test(f));
    assert.equal(third.length, 2, 'the console keeps the Markdown and the printable page');
    assert.equal(
      readFileSync(path.join(dir, third.find((f) => f.endsWith('.md'))!), 'utf8'),
      markdown,
      'what is kept is the record as the console shows it (the server runs the first configuration)',
    );
    const done = await ada.get(`${PAGE}?done=kept&lang=fr`);
    assert.match(done.body, /Le registre est conservé/);
    assert.match(done.body, /Ce registre est la version conservée sous le nom 0003-/);
    assert.doesNotMatch(
      done.body,
      /Conserver ce registre comme nouvelle version/,
      'nothing new to keep',
    );
    assert.equal(readdirSync(dir).length, 6, 'three versions, nothing overwritten');
    const events = [];
    for await (const e of c.veto.store.readEvents()) events.push(e);
    const keptEvent = events.find((e) => e.type === 'staff.kept-art30');
    assert.ok(keptEvent, 'keeping is an audit event');
    assert.equal((keptEvent.data as { staff: { sub: string } }).staff.sub, 'ada');
    assert.match(String((keptEvent.data as { version: string }).version), /^0003-/);
  });

  it('says when no dataset policy is configured, and still shows the record', async (t) => {
    const c = await consoleApp(t);
    const vera = await c.staff('vera');
    const page = await vera.get(PAGE);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /No dataset policy is configured \(VETO_POLICIES\)/);
    assert.match(page.body, /no dataset policy given/);
  });
});
