import { escapeHtml } from './escape-html.ts';

/**
 * A record written in the small Markdown subset Veto's records use (`#`/`##` headings, `- `
 * lists, paragraphs, `**bold**`, `` `code` ``, `_emphasis_`) as a printable HTML page: for the
 * Art. 30 record and the legitimate-interest assessment, which a DPO prints or files.
 */
export function printableHtml(markdown: string, footer?: string): string {
  const out = [markdownHtml(markdown)];
  if (footer) out.push(`<p><small>${escapeHtml(footer)}</small></p>`);
  const title = escapeHtml(markdown.split('\n')[0]!.replace(/^# /, ''));
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;line-height:1.5;color:#1b1b1f}@media print{body{margin:0}}</style>
</head>
<body>
${out.join('\n')}
</body>
</html>
`;
}

/**
 * The record's body alone, for a page that has its own heading: `headingLevel` is the level its
 * `#` heading takes (`##` one below).
 */
export function markdownHtml(markdown: string, headingLevel = 1): string {
  const h1 = `h${headingLevel}`;
  const h2 = `h${headingLevel + 1}`;
  const out: string[] = [];
  let inList = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('- ')) {
      if (!inList) out.push('<ul>');
      inList = true;
      out.push(`<li>${inline(line.slice(2))}</li>`);
      continue;
    }
    if (inList) out.push('</ul>');
    inList = false;
    if (line.startsWith('## ')) out.push(`<${h2}>${inline(line.slice(3))}</${h2}>`);
    else if (line.startsWith('# ')) out.push(`<${h1}>${inline(line.slice(2))}</${h1}>`);
    else if (line.trim()) out.push(`<p>${inline(line)}</p>`);
  }
  if (inList) out.push('</ul>');
  return out.join('\n');
}

// Emphasis only between spaces or punctuation, so identifiers such as `snake_case_ids` stay whole.
const inline = (s: string) =>
  escapeHtml(s)
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/(^|\s)_([^_]+)_(?=\s|$|[.,;:])/g, '$1<em>$2</em>');
