// temp analysis script (to delete)
import { fileURLToPath } from 'node:url';
import { createRedactor } from '../src/redact/redactor.ts';
import { loadDocs } from '../src/redact/eval/dataset.ts';
const dir = fileURLToPath(new URL('../../shared/eval/pii/', import.meta.url));
const docs = loadDocs(dir);
const r = createRedactor({ defaultRegion: 'FR' });
const cat = process.argv[2]!;
const lang = process.argv[3];
const inter = (a: {start:number,end:number}, b: {start:number,end:number}) => Math.max(0, Math.min(a.end,b.end)-Math.max(a.start,b.start));
const ov = (g: any, p: any) => { const i = inter(g,p); return i*2 >= g.end-g.start && i*2 >= p.end-p.start; };
for (const d of docs) {
  if (lang && d.lang !== lang) continue;
  if (!d.scored.includes(cat as any)) continue;
  const gold = d.gold.filter((g) => g.category === cat);
  const nonT = d.gold.filter((g) => g.category === undefined);
  const pred = r.redact(d.text).spans.filter((s) => s.category === cat).filter(p => gold.some(g=>inter(g,p)>0) || !nonT.some(n => inter(n,p)*2 >= p.end-p.start));
  for (const g of gold) if (!pred.some((p) => ov(g, p))) {
    const near = pred.filter(p=>inter(g,p)>0).map(p=>JSON.stringify(d.text.slice(p.start,p.end))).join(',');
    console.log(`FN ${d.id} [${g.label}] ${JSON.stringify(d.text.slice(g.start, g.end))} near=${near} | ${JSON.stringify(d.text.slice(Math.max(0,g.start-50), g.end+50))}`);
  }
  for (const p of pred) if (!gold.some((g) => ov(g, p))) {
    const lab = d.gold.filter(g=>inter(g,p)>0).map(g=>g.label+':'+JSON.stringify(d.text.slice(g.start,g.end))).join(',');
    console.log(`FP ${d.id} ${JSON.stringify(d.text.slice(p.start, p.end))} gold=${lab} | ${JSON.stringify(d.text.slice(Math.max(0,p.start-50), p.end+50))}`);
  }
}
