import { fileURLToPath } from 'node:url';
import { loadDocs } from '../src/redact/eval/dataset.ts';
const docs = loadDocs(fileURLToPath(new URL('../../shared/eval/pii/', import.meta.url)));
const c: Record<string, number> = {};
for (const d of docs) if (d.lang==='en') for (const g of d.gold) if (g.category === 'ADDRESS') {
  const s = d.text.slice(g.start, g.end);
  const k = /^\d[\d -]*$/.test(s) ? 'digits' : /\n/.test(s) ? 'multiline' : /^the corner of/.test(s) ? 'corner' : /^\d/.test(s) ? 'num-start' : 'other';
  c[k+' '+d.source] = (c[k+' '+d.source] ?? 0) + 1;
}
console.log(c);
