import { fileURLToPath } from 'node:url';
import { loadDocs } from '../src/redact/eval/dataset.ts';
import { nirKeyValid } from '../src/redact/checksums/nir-key.ts';
const docs = loadDocs(fileURLToPath(new URL('../../shared/eval/pii/', import.meta.url)));
const stats: Record<string, number> = {};
for (const d of docs) for (const g of d.gold) if (g.category === 'NIR') {
  const s = d.text.slice(g.start, g.end); const c = s.replace(/[^0-9AB]/gi, '').toUpperCase();
  const mm = Number(c.slice(3,5));
  const k = `len${c.length} sex${c[0]} key${c.length===15?nirKeyValid(c):'-'} month${mm>=1&&mm<=12?'ok':mm}`;
  stats[k.replace(/month\d+/, 'monthBAD')] = (stats[k.replace(/month\d+/, 'monthBAD')] ?? 0) + 1;
}
console.log(Object.entries(stats).sort((a,b)=>b[1]-a[1]));
