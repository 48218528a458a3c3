import { createHash } from 'node:crypto';
import MarkdownIt from 'markdown-it';
import type { FieldIssue } from '../errors.ts';
import { stripPromiseMarkers } from './notice-promises.ts';

/**
 * Notice texts are Markdown with message placeholders. Two rules make a text publishable:
 *
 * 1. It starts with (or contains) one level-1 heading: the notice's title.
 * 2. It holds exactly one "your right to object" block (GDPR Art. 21(4): the right must be
 *    "presented clearly and separately from any other information"), fenced like this, with a
 *    heading and a link to `{objectUrl}`, the direct objection link:
 *
 *        :::right-to-object
 *        ## Your right to object
 *        ... [Object now]({objectUrl})
 *        :::
 *
 * Placeholders are `{name}` with a name from `PLACEHOLDERS`; anything else is refused at
 * publication (a typo would otherwise reach people as a literal "{objetUrl}"). Values are
 * computed per language by code (dates through Intl), never concatenated into sentences.
 */
export const PLACEHOLDERS = [
  'platformName',
  'objectUrl',
  'nonUserObjectUrl',
  'noticeUrl',
  'assessmentUrl',
  'effectiveDate',
  'version',
  'controllerName',
  'controllerContact',
  'dpoContact',
  'recipients',
  'retention',
  'supervisoryAuthority',
] as const;
export type PlaceholderName = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Record<PlaceholderName, string>;

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9]*)\}/g;
const BLOCK_OPEN = /^:::\s*right-to-object\s*$/;
const BLOCK_CLOSE = /^:::\s*$/;
const H1 = /^#\s+(.+?)\s*#*\s*$/;
const HEADING = /^#{1,6}\s+\S/;

/** CRLF to LF, no BOM: the form that is hashed and stored. */
export function normalizeMarkdown(source: string): string {
  return source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface NoticeParts {
  title: string;
  /** Markdown before the block, without the title heading. */
  before: string;
  /** The block's Markdown, without its fences. */
  block: string;
  after: string;
}

/**
 * Splits a text into title, body and the right-to-object block, and lists every problem with
 * its line (1-based) so an author can fix a file in one pass. `field` prefixes each issue.
 */
export function parseNoticeMarkdown(
  markdown: string,
  field: string,
): { parts: NoticeParts | undefined; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const lines = markdown.split('\n');
  let title: string | undefined;
  let titleLine = -1;
  let open = -1;
  let close = -1;
  let blocks = 0;
  lines.forEach((line, i) => {
    for (const m of line.matchAll(PLACEHOLDER)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
        issues.push({
          field,
          reason: `line ${i + 1}: unknown placeholder {${m[1]}} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`,
        });
      }
    }
    if (open >= 0 && close < 0) {
      if (BLOCK_CLOSE.test(line)) close = i;
      else if (BLOCK_OPEN.test(line))
        issues.push({ field, reason: `line ${i + 1}: right-to-object blocks cannot nest` });
      return;
    }
    if (BLOCK_OPEN.test(line)) {
      blocks += 1;
      if (blocks === 1) open = i;
      return;
    }
    const h1 = H1.exec(line);
    if (h1 && title === undefined) {
      title = h1[1]!;
      titleLine = i;
    }
  });
  if (title === undefined)
    issues.push({ field, reason: 'no title: the text needs a level-1 heading ("# ...")' });
  if (blocks === 0) {
    issues.push({
      field,
      reason:
        'no "your right to object" block (GDPR Art. 21(4)): add a ":::right-to-object" ... ":::" block with a heading and a link to {objectUrl}',
    });
  } else if (blocks > 1) {
    issues.push({ field, reason: 'more than one ":::right-to-object" block: keep exactly one' });
  }
  if (open >= 0 && close < 0)
    issues.push({
      field,
      reason: `line ${open + 1}: the right-to-object block is never closed (":::")`,
    });
  if (open >= 0 && close > open) {
    const inner = lines.slice(open + 1, close);
    if (!inner.some((l) => HEADING.test(l)))
      issues.push({
        field,
        reason: `line ${open + 1}: the right-to-object block needs its own heading (e.g. "## Your right to object")`,
      });
    if (!inner.some((l) => /\]\(\s*\{objectUrl\}\s*\)/.test(l)))
      issues.push({
        field,
        reason: `line ${open + 1}: the right-to-object block needs the direct objection link "[...]({objectUrl})"`,
      });
  }
  if (issues.length > 0 || title === undefined || open < 0 || close < 0)
    return { parts: undefined, issues };
  const before = lines.slice(0, open).filter((_, i) => i !== titleLine);
  return {
    parts: {
      title,
      before: before.join('\n').trim(),
      block: lines
        .slice(open + 1, close)
        .join('\n')
        .trim(),
      after: lines
        .slice(close + 1)
        .join('\n')
        .trim(),
    },
    issues,
  };
}

const md = new MarkdownIt('commonmark', { html: false, linkify: false, typographer: false });

/** Backslash-escapes ASCII punctuation so a value is literal text (or a literal URL) in Markdown. */
function markdownLiteral(value: string): string {
  return value.replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`);
}

function fill(text: string, values: PlaceholderValues, encode: (v: string) => string): string {
  return text.replace(PLACEHOLDER, (whole, name: string) =>
    name in values ? encode(values[name as PlaceholderName]) : whole,
  );
}

/** A notice text rendered for one reader: the filled-in Markdown and its HTML. */
export interface RenderedNotice {
  title: string;
  /** The whole text with placeholders filled in (for clients that render Markdown). */
  markdown: string;
  /** The whole text as HTML, the right-to-object block in a separate `<section>` where it stands. */
  html: string;
  /** The body without the title, before and after the block, and the block alone (HTML). */
  beforeHtml: string;
  blockHtml: string;
  afterHtml: string;
  /** The block's Markdown, filled in, for plain-text emails. */
  blockMarkdown: string;
}

/**
 * Renders a published text. Author HTML is never passed through (markdown-it `html: false`
 * escapes it) and markdown-it refuses `javascript:` and similar link targets, so a notice cannot
 * inject script or markup into the portal or the platform's pages.
 */
export function renderNoticeMarkdown(source: string, values: PlaceholderValues): RenderedNotice {
  // Promise markers are for publication's check against the policy, not for readers.
  const markdown = stripPromiseMarkers(source);
  const { parts } = parseNoticeMarkdown(markdown, 'markdown');
  if (!parts)
    throw new Error('renderNoticeMarkdown: the text was not validated before publication');
  const html = (s: string) => md.render(fill(s, values, markdownLiteral));
  const plain = (s: string) => fill(s, values, (v) => v);
  const title = plain(parts.title);
  const beforeHtml = html(parts.before);
  const afterHtml = html(parts.after);
  // The block's first heading gets the id its section is labelled by.
  const blockHtml = html(parts.block).replace(/<h([1-6])>/, '<h$1 id="right-to-object-heading">');
  const section = `<section class="right-to-object" aria-labelledby="right-to-object-heading">\n${blockHtml}</section>\n`;
  return {
    title,
    markdown: plain(markdown),
    html: `${md.render(`# ${markdownLiteral(title)}`)}${beforeHtml}${section}${afterHtml}`,
    beforeHtml,
    blockHtml,
    afterHtml,
    blockMarkdown: plain(parts.block),
  };
}
