// The report page: one HTML document, inline SVG and CSS, no script, no external request. The
// plots are Observable Plot's, drawn into a DOM: the page's own `document` in a browser, a
// linkedom document in Node (loaded on demand, so a browser never fetches it).

import * as Plot from '@observablehq/plot';
import type { AgreementData, CompareData, CurveData, RobustnessData, SectionData } from './compare.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** A DOM to draw into: the page's, or linkedom's in Node. */
export async function plotDocument(): Promise<Document> {
  const g = globalThis as { document?: Document };
  if (g.document !== undefined) return g.document;
  const { parseHTML } = await import('linkedom');
  return parseHTML('<!DOCTYPE html><html><head></head><body></body></html>').document as unknown as Document;
}

/** Plot's categorical palette, fixed per family so a loss keeps its colour across figures. */
// 16 colours: the ranking family plots 15 losses, and a colour must not repeat within a figure.
const PALETTE = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0', '#1f1f1f', '#d62728', '#17becf', '#bcbd22', '#542788', '#7f3b08'];

interface Fig {
  /** data-kind: curve | robustness | heatmap. */
  kind: string;
  series: number;
  title: string;
  reading: string;
  node: Element;
}

/** Geometry attributes whose numbers are rounded to 1/100 px. */
const GEOMETRY = ['d', 'transform', 'points', 'x', 'y', 'x1', 'x2', 'y1', 'y2', 'width', 'height', 'cx', 'cy', 'r'];

/**
 * Rounds the SVG geometry to 1/100 px: engines differ in the last bit of Math.log and friends
 * (Plot's log scale), so full-precision coordinates would differ between Node, Deno and Bun;
 * rounded, the same options give the same bytes in every runtime, and the page is smaller.
 */
function roundGeometry(root: Element): void {
  const round = (v: string) => v.replace(/-?\d*\.\d+(?:e-?\d+)?/g, (m) => {
    const r = Math.round(Number(m) * 100) / 100;
    return String(Object.is(r, -0) ? 0 : r);
  });
  const walk = (el: Element) => {
    for (const a of GEOMETRY) {
      const v = el.getAttribute(a);
      if (v !== null && /\d\.\d/.test(v)) el.setAttribute(a, round(v));
    }
    for (const c of Array.from(el.children)) walk(c);
  };
  walk(root);
}

function figureHtml(f: Fig): string {
  roundGeometry(f.node);
  return `<div class="figure" data-kind="${f.kind}" data-series="${f.series}">${f.node.outerHTML}<p class="reading">${esc(f.reading)}</p></div>`;
}

/** The legend and colours of `names`, each coloured as in the full list `all` (so a loss left out of one figure keeps its colour in the others). */
function colorScale(names: string[], all = names) {
  return { type: 'ordinal' as const, domain: names, range: names.length === 0 ? PALETTE.slice(0, 1) : names.map((n) => PALETTE[all.indexOf(n) % PALETTE.length]), legend: true };
}

function curveFigures(doc: Document, c: CurveData): Fig[] {
  const names = c.loss.map((s) => s.name);
  const rows = (ss: { name: string; x: number[]; y: number[] }[]) => ss.flatMap((s) => s.x.map((x, i) => ({ name: s.name, x, y: s.y[i] })));
  const axes = (label: string) => [
    Plot.axisX({ anchor: 'bottom', label: c.xLabel, labelAnchor: 'right' }),
    ...(c.topAxis ? [Plot.axisX({ anchor: 'top', label: c.topAxis.label, ticks: c.topAxis.ticks, tickFormat: (_: unknown, i: number) => (c.topAxis as { labels: string[] }).labels[i] })] : []),
    Plot.axisY({ label }),
  ];
  const plot = (ss: typeof c.loss, label: string, title: string) => Plot.plot({
    document: doc, width: 760, height: 380, marginTop: c.topAxis ? 44 : 24, marginRight: 20,
    title, color: colorScale(names), y: { grid: true, ...(c.yScale ? { type: c.yScale } : {}) }, x: { grid: true },
    marks: [...axes(label), Plot.ruleY([0]), Plot.line(rows(ss), { x: 'x', y: 'y', z: 'name', stroke: 'name', strokeWidth: 1.6 })],
  });
  return [
    { kind: 'curve', series: c.loss.length, title: c.title, reading: c.readingLoss, node: plot(c.loss, c.yLabel, c.title) },
    { kind: 'curve', series: c.grad.length, title: c.title.replace(/^Loss/, 'Gradient'), reading: c.readingGrad, node: plot(c.grad, c.gradLabel, c.title.replace(/^Loss/, 'Gradient')) },
  ];
}

function robustnessFigures(doc: Document, r: RobustnessData): Fig[] {
  const names = r.losses.map((l) => l.name);
  // A null (a mean ratio with no positive clean mean) leaves its point out.
  const rows = (f: (l: RobustnessData['losses'][number], i: number) => number | null) =>
    r.losses.flatMap((l) => r.levels.map((lv, i) => ({ name: l.name, level: 100 * lv, v: f(l, i) ?? NaN }))).filter((d) => Number.isFinite(d.v));
  const plot = (title: string, yLabel: string, data: { name: string; level: number; v: number }[], y: Record<string, unknown>, shown = names) => Plot.plot({
    document: doc, width: 760, height: 360, marginRight: 20, title, color: colorScale(shown, names),
    x: { label: `contamination: ${r.contamination} (% of samples) →`, grid: true }, y: { label: yLabel, grid: true, ...y },
    marks: [Plot.line(data, { x: 'level', y: 'v', z: 'name', stroke: 'name', strokeWidth: 1.6 }), Plot.dot(data, { x: 'level', y: 'v', fill: 'name', r: 2.5 })],
  });
  // Losses with no positive clean mean have no ratio (triplet m=0.2 is 0 on clean triplets,
  // ApproxNDCG is −NDCG): they are left out of this figure and its legend, and the reading says so.
  const ratioed = r.losses.filter((l) => l.relMean.some((v) => v !== null && Number.isFinite(v))).map((l) => l.name);
  const left = names.filter((n) => !ratioed.includes(n));
  return [
    {
      kind: 'robustness', series: ratioed.length, title: 'Mean loss as contamination grows',
      reading: left.length === 0 ? r.readingMean : `${r.readingMean} Not drawn (no positive mean at 0 %): ${left.join(', ')}.`,
      node: plot('Mean loss as contamination grows', '↑ mean loss ÷ its value at 0 % (×, log scale)', rows((l, i) => l.relMean[i]), { type: 'log' }, ratioed),
    },
    {
      kind: 'robustness', series: names.length, title: 'Gradient share of the worst 1 % of samples', reading: r.readingShare,
      node: plot('Gradient share of the worst 1 % of samples', '↑ share of Σ‖gradient‖ taken by the 1 % of samples with the largest ‖gradient‖ (%)', rows((l, i) => 100 * l.worstShare[i]), { zero: true }),
    },
  ];
}

function heatmap(doc: Document, a: AgreementData, which: 'spearman' | 'kendall'): Fig {
  const m = a[which];
  const sym = which === 'spearman' ? 'Spearman ρ' : 'Kendall τ-b';
  const cells = a.losses.flatMap((x, i) => a.losses.map((y, j) => ({ a: x, b: y, v: m[i][j] }))).filter((c) => c.v !== null);
  const title = `${sym} between the losses' per-sample values`;
  const node = Plot.plot({
    document: doc, width: 760, height: 120 + 34 * a.losses.length, marginLeft: 150, marginBottom: 110, title,
    x: { domain: a.losses, label: 'loss →', tickRotate: -35 }, y: { domain: a.losses, label: '↑ loss' },
    color: { type: 'quantize', n: 10, scheme: 'RdBu', domain: [-1, 1], legend: true, label: `${sym} (unitless, −1 to 1)` },
    marks: [
      Plot.cell(cells, { x: 'b', y: 'a', fill: 'v', inset: 0.5 }),
      Plot.text(cells, { x: 'b', y: 'a', text: (d: { v: number }) => d.v.toFixed(2), fill: (d: { v: number }) => (Math.abs(d.v) > 0.6 ? 'white' : 'black') }),
    ],
  });
  return { kind: 'heatmap', series: cells.length, title, reading: which === 'spearman' ? a.readingSpearman : a.readingKendall, node };
}

function topTable(a: AgreementData, user: boolean): string {
  const rowWord = user ? 'row' : 'sample';
  const head = `<tr><th>loss</th>${Array.from({ length: a.top[0]?.samples.length ?? 0 }, (_, i) => `<th>#${i + 1}</th>`).join('')}</tr>`;
  const body = a.top.map((t) => `<tr><th scope="row">${esc(t.loss)}</th>${t.samples.map((s) =>
    `<td class="${s.contaminated ? 'contaminated' : ''}">${rowWord} ${s.index}${s.contaminated ? ' <b>(contaminated)</b>' : ''}<br><small>${esc(s.sample)}; loss ${esc(s.value.toPrecision(4))}</small></td>`).join('')}</tr>`).join('');
  const note = a.level > 0 ? `, at ${Math.round(100 * a.level)} % contamination; contaminated samples marked` : user ? '; rows of your data counted from 0' : '';
  return `<table class="top"><caption>The samples each loss penalises most (highest per-sample loss${note})</caption>${head}${body}</table>`;
}

function sectionHtml(doc: Document, s: SectionData): string {
  const figs: Fig[] = [...s.curves.flatMap((c) => curveFigures(doc, c)), ...robustnessFigures(doc, s.robustness)];
  const heat = [heatmap(doc, s.agreement, 'spearman'), heatmap(doc, s.agreement, 'kendall')];
  const size = s.source === 'user' ? `${s.samples} samples${s.rows !== s.samples ? ` (a seeded subsample of ${s.rows})` : ''}` : `built-in dataset of ${s.samples} samples`;
  return `<section id="${esc(s.id)}" class="family" data-family="${esc(s.family)}" data-source="${s.source}">
<h2>${esc(s.title)}</h2>
<p class="about">${esc(size)}; contamination: ${esc(s.robustness.contamination)} at ${s.robustness.levels.map((l) => `${Math.round(100 * l)} %`).join(', ')}.</p>
${s.curves.length ? '<h3>Loss and gradient curves</h3>' : ''}
${figs.slice(0, figs.length - 2).map(figureHtml).join('\n')}
<h3>Robustness</h3>
${figs.slice(-2).map(figureHtml).join('\n')}
<h3>Agreement${s.agreement.level > 0 ? ` (at ${Math.round(100 * s.agreement.level)} % contamination)` : ''}</h3>
${heat.map(figureHtml).join('\n')}
${topTable(s.agreement, s.source === 'user')}
</section>`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:820px;padding:1em 1.5em;color:#1b1b1b;background:#fff}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}h3{margin-top:1.5em}
.figure{margin:1.2em 0;padding:.6em;border:1px solid #e4e4e4;border-radius:4px}
.figure h2{font-size:1.05em;border:0;margin:.2em 0}
.reading{margin:.4em 0 0;font-style:italic}
table.top{border-collapse:collapse;font-size:12px;margin:1em 0;width:100%}
table.top th,table.top td{border:1px solid #ddd;padding:3px 5px;vertical-align:top;text-align:left}
td.contaminated{background:#fde4e1}caption{text-align:left;font-weight:600;margin-bottom:.3em}
nav ul{columns:2}code{background:#f3f3f3;padding:0 .2em}`;

export async function renderHtml(data: CompareData): Promise<string> {
  const doc = await plotDocument();
  const o = data.options;
  const nav = data.sections.map((s) => `<li><a href="#${esc(s.id)}">${esc(s.title)}</a></li>`).join('');
  const sections = data.sections.map((s) => sectionHtml(doc, s)).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lossfn: how different are the losses</title>
<style>${CSS}</style>
</head>
<body>
<h1>How different are the losses</h1>
<p>lossfn's losses side by side: each loss and its gradient against the quantity that drives it (from lossfn's own forward and backward), how each reacts to contaminated data, and how much the losses agree on which samples are bad. Seed ${o.seed}; contamination levels ${o.levels.map((l) => `${Math.round(100 * l)} %`).join(', ')}; at most ${o.maxSamples} samples per dataset.</p>
<nav><ul>${nav}</ul></nav>
${sections}
</body>
</html>
`;
}
