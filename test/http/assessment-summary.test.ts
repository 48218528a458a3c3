import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAssessmentText } from '../../src/domain/assessment/assessment-text.ts';
import { readNoticeDirectory } from '../../src/domain/notices/notice-files.ts';
import { loadPolicy } from '../../src/gate/policy.ts';
import { buildApp } from '../../src/http/app.ts';
import { TEST_POLICY } from '../gate/support/fixtures.ts';
import { ADAPTERS, adapterAvailable, testVetoOn } from '../support/veto-on.ts';

/**
 * The public summary of the legitimate-interest assessment over HTTP, on both adapters: the
 * page in the reader's language (the operator's summary translated when it can be, else in its
 * own language with its `lang`), each version at its own address, the JSON in the API, and the
 * notice pages and the notice text leading to it.
 */
const DEMO_POLICY = fileURLToPath(new URL('../../policies/demo.yaml', import.meta.url));
const DEMO_TEXT = fileURLToPath(new URL('../../policies/demo-assessment.yaml', import.meta.url));
const NOTICE_DIR = fileURLToPath(new URL('../../notices/2026-01', import.meta.url));

for (const adapter of ADAPTERS) {
  describe(`the assessment's public summary (${adapter})`, () => {
    it('is published beside the notice, in the reader’s language, every version kept', async (t) => {
      if (!(await adapterAvailable(adapter))) return t.skip();
      const { veto, dir } = await testVetoOn(adapter, t);
      const app = await buildApp(veto);
      t.after(() => app.close());
      const get = (url: string) => app.inject({ url, headers: { accept: 'text/html' } });

      const empty = await get('/assessment?lang=en');
      assert.equal(empty.statusCode, 200);
      assert.match(empty.body, /No assessment has been published yet\./);

      const text = parseAssessmentText(readFileSync(DEMO_TEXT, 'utf8'), DEMO_TEXT);
      const { stored: first } = await veto.assessments.record(await loadPolicy(DEMO_POLICY), text);
      // A second policy version with its own record: the page shows the latest of each policy.
      const other = path.join(dir, 'test-policy.yaml');
      writeFileSync(other, TEST_POLICY);
      const otherText = readFileSync(DEMO_TEXT, 'utf8')
        .replace('policy: demo', 'policy: test')
        .replace(/translations:[\s\S]*$/, '');
      const { stored: second } = await veto.assessments.record(
        await loadPolicy(other),
        parseAssessmentText(otherText, 'other.yaml'),
      );

      const fr = await get('/assessment?lang=fr');
      assert.equal(fr.statusCode, 200);
      assert.match(fr.body, /<html lang="fr"/);
      assert.match(fr.body, /<h1>Évaluation de l’intérêt légitime : synthèse<\/h1>/);
      // The demo's summary has a French translation: shown without another lang attribute.
      assert.match(fr.body, /<p>Nous utilisons les publications et commentaires publics/);
      // The test policy's has none: the operator's English, marked as such, and said.
      assert.match(fr.body, /<p lang="en">We use public posts and comments/);
      assert.match(
        fr.body,
        /Cette synthèse est en English : le responsable du traitement ne l’a pas traduite\./,
      );
      assert.match(fr.body, /Les messages privés entre personnes ne sont jamais utilisés\./);
      assert.match(
        fr.body,
        /Les contenus des comptes de personnes de moins de 18 ans ne sont jamais utilisés\./,
      );
      assert.match(fr.body, /<code>message-to-assistant<\/code>/);
      assert.match(fr.body, new RegExp(`href="/assessment/${first.id}"`));
      assert.match(fr.body, new RegExp(`href="/assessment/${second.id}"`));

      const en = await get('/assessment?lang=en');
      assert.match(en.body, /<p>We use public posts and comments/);
      assert.match(en.body, /3\. Balancing: your interests and rights/);
      assert.match(en.body, /Maximum time training datasets are kept \(months\): 24/);

      const one = await get(`/assessment/${first.id}?lang=en`);
      assert.equal(one.statusCode, 200);
      assert.match(one.body, /Demo Social, generative AI training \(demo policy\)/);
      assert.doesNotMatch(one.body, /<h2 id="assessment-1-title">Test policy/);
      const missing = await get('/assessment/lia-9999-000000000000?lang=en');
      assert.equal(missing.statusCode, 404);
      assert.match(missing.body, /This assessment does not exist\./);

      const json = await app.inject({ url: '/v1/assessments?lang=fr' });
      assert.equal(json.statusCode, 200);
      const body = json.json() as {
        assessments: { id: string; summaryLanguage: string; facts: { contentKinds: string[] } }[];
      };
      assert.deepEqual(
        body.assessments.map((a) => [a.id, a.summaryLanguage]),
        [
          [second.id, 'en'],
          [first.id, 'fr'],
        ],
      );
      assert.deepEqual(body.assessments[1]!.facts.contentKinds, [
        'post',
        'comment',
        'message-to-assistant',
        'message-from-assistant',
      ]);
      const openapi = (await app.inject({ url: '/openapi.json' })).json() as {
        paths: Record<string, unknown>;
      };
      assert.ok(openapi.paths['/v1/assessments'], 'in the OpenAPI document');

      // Beside the notice: its pages link to the summary, and so does the notice text.
      await veto.notices.publish(readNoticeDirectory(NOTICE_DIR), 'test');
      const notice = await get('/notice?lang=de');
      assert.match(
        notice.body,
        /<a href="\/assessment">Wie wir unser Interesse gegen Ihre Rechte abgewogen haben \(Interessenabwägung\)<\/a>/,
      );
      assert.match(
        notice.body,
        /fasst die Interessenabwägung zusammen: <a href="http:\/\/[^"]+\/assessment\?lang=de">/,
      );
    });
  });
}
