import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseNoticeMarkdown,
  renderNoticeMarkdown,
} from '../../src/domain/notices/notice-markdown.ts';

const values = {
  platformName: 'A*B <script>',
  objectUrl: 'https://veto.example/?lang=en&x=1',
  nonUserObjectUrl: 'https://veto.example/non-user',
  noticeUrl: 'https://veto.example/notice/v1',
  assessmentUrl: 'https://veto.example/assessment',
  effectiveDate: '1 June 2026',
  version: 'v1',
  controllerName: 'C',
  controllerContact: 'c@x',
  dpoContact: 'd@x',
  recipients: 'R',
  retention: '24 months',
  supervisoryAuthority: 'SA',
};
const good = `# Notice of {platformName}\n\nIntro <b>raw</b> [bad](javascript:alert(1))\n\n:::right-to-object\n## Your right to object\n[Object]({objectUrl})\n:::\n\n## More\n`;

describe('notice Markdown', () => {
  it('accepts a text with a title and one right-to-object block holding the direct link', () => {
    assert.deepEqual(parseNoticeMarkdown(good, 'm').issues, []);
  });

  it('names each problem with its line', () => {
    const reasons = (md: string) =>
      parseNoticeMarkdown(md, 'm')
        .issues.map((i) => i.reason)
        .join(' | ');
    assert.match(reasons('no title\n'), /no title/);
    assert.match(reasons('# T\n'), /no "your right to object" block/);
    assert.match(
      reasons('# T\n:::right-to-object\n## H\n[x]({objectUrl})\n'),
      /line 2: .*never closed/,
    );
    assert.match(
      reasons('# T\n:::right-to-object\n[x]({objectUrl})\n:::\n'),
      /needs its own heading/,
    );
    assert.match(
      reasons('# T\n:::right-to-object\n## H\n[x](https://a.b)\n:::\n'),
      /direct objection link/,
    );
    assert.match(
      reasons(`${good}\n:::right-to-object\n## H\n[x]({objectUrl})\n:::\n`),
      /more than one/,
    );
    assert.match(reasons(`${good}\nSee {objetUrl}\n`), /line 12: unknown placeholder \{objetUrl\}/);
  });

  it('renders without raw HTML or script links, values as literal text, block in its own section', () => {
    const r = renderNoticeMarkdown(good, values);
    assert.doesNotMatch(r.html, /<script>|<b>|href="javascript:/);
    assert.match(r.html, /<h1>Notice of A\*B &lt;script&gt;<\/h1>/);
    assert.match(r.blockHtml, /<h2 id="right-to-object-heading">Your right to object<\/h2>/);
    assert.match(r.blockHtml, /href="https:\/\/veto\.example\/\?lang=en&amp;x=1"/);
    assert.match(
      r.html,
      /<section class="right-to-object" aria-labelledby="right-to-object-heading">/,
    );
    assert.equal(r.title, 'Notice of A*B <script>');
    assert.match(r.markdown, /\[Object\]\(https:\/\/veto\.example\/\?lang=en&x=1\)/);
  });
});
