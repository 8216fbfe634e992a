// The report in a real browser (playwright-core driving Debian's chromium, as test/runtime.test.ts):
//  1. the page compare() writes, opened from disk (file://): no console message of type error,
//     no failed request (nor any request but the page itself), every figure present with the
//     series count its data say and non-empty paths; one screenshot per family section in
//     test-output/report/ (gitignored) for a person to look at;
//  2. compare() running in a page (dist/report served over loopback): it draws with the page's
//     own DOM and never fetches the linkedom chunk.

import { mkdirSync, readFileSync, writeFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../ts/index.js';
import { compare, type CompareData } from '../../ts/report/compare.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = join(ROOT, 'test-output', 'report');

let browser: Browser;
let dir: string;
let file: string;
let data: CompareData;

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  await init();
  dir = mkdtempSync(join(tmpdir(), 'lossfn-report-'));
  // Every family, with a user section too (regression data), at a size that keeps the test quick.
  const t = Array.from({ length: 300 }, (_, i) => 1 + ((i * 37) % 100) / 10);
  const x = t.map((v, i) => v + Math.sin(i));
  const r = await compare({ maxSamples: 300, input: x, target: t, inputName: 'pred.csv', targetName: 'truth.csv' });
  data = r.data;
  file = join(dir, 'report.html');
  writeFileSync(file, r.html);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 60_000 });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface FigureInfo { kind: string; series: number; lines: number; emptyLines: number; cells: number; swatches: number; title: string; reading: string; axisLabels: number }

describe.skipIf(!HAVE_CHROMIUM)('the report opened from disk in Chromium', () => {
  it('loads with no console error and no request but the page', async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
    const errors: string[] = [];
    const requests: string[] = [];
    const failed: string[] = [];
    page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    expect(errors).toEqual([]);
    expect(failed).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);

    const sections = await page.$$eval('section.family', (els) => els.map((e) => e.id));
    expect(sections).toEqual(data.sections.map((s) => s.id));
    // The ranking and embedding section, counted by hand: four curve plots (pair margin: margin
    // ranking m=0, m=1, RankNet; triplet gap: triplet m=1, m=0.2, hinge embedding m=1, m=2;
    // positive similarity: cosine embedding, triplet cosine, NT-Xent τ=0.5, τ=0.1, SupCon; list
    // score: RankNet, ListNet, ListMLE, ApproxNDCG α=1, α=10), loss and gradient each, then
    // robustness and agreement over its 15 losses (every pair defined on the built-in data); the
    // mean ratios leave out triplet m=0.2 (0 on the clean triplets) and ApproxNDCG α=1, α=10 (−NDCG).
    const ranking = await page.$$eval('section[id="ranking"] .figure', (els) => els.map((f) => [f.getAttribute('data-kind'), Number(f.getAttribute('data-series'))]));
    expect(ranking).toEqual([
      ...[3, 3, 4, 4, 5, 5, 5, 5].map((n) => ['curve', n]),
      ['robustness', 12], ['robustness', 15], ['heatmap', 225], ['heatmap', 225],
    ]);
    // The segmentation section: a small and a large object, loss and gradient each with the 9
    // losses (Dice, Jaccard, Tversky 0.3/0.7 and 0.7/0.3, focal Tversky, Generalized Dice, Lovász
    // hinge and softmax, MCC), then robustness (every clean mean positive) and agreement.
    const seg = await page.$$eval('section[id="segmentation"] .figure', (els) => els.map((f) => [f.getAttribute('data-kind'), Number(f.getAttribute('data-series'))]));
    expect(seg).toEqual([
      ...[9, 9, 9, 9].map((n) => ['curve', n]),
      ['robustness', 9], ['robustness', 9], ['heatmap', 81], ['heatmap', 81],
    ]);
    mkdirSync(SHOTS, { recursive: true });
    for (const s of data.sections) {
      const figs = await page.$$eval(`section[id="${s.id}"] .figure`, (els) => els.map((f): FigureInfo => {
        const paths = Array.from(f.querySelectorAll('g[aria-label="line"] path'));
        return {
          kind: f.getAttribute('data-kind') ?? '',
          series: Number(f.getAttribute('data-series')),
          lines: paths.length,
          emptyLines: paths.filter((p) => {
            const b = (p as SVGGraphicsElement).getBBox();
            return (p.getAttribute('d') ?? '').length < 10 || (b.width === 0 && b.height === 0);
          }).length,
          cells: f.querySelectorAll('g[aria-label="cell"] rect').length,
          swatches: f.querySelectorAll('.plot-d6a7b5-swatch, [class$="-swatch"]').length,
          title: f.querySelector('h2')?.textContent ?? '',
          reading: f.querySelector('.reading')?.textContent ?? '',
          axisLabels: f.querySelectorAll('g[aria-label$="axis label"] text').length,
        };
      }));
      // What the data say each figure must show.
      const want = [
        ...s.curves.flatMap((c) => [c.loss.length, c.grad.length].map((n) => ({ kind: 'curve', n }))),
        // The mean-ratio figure draws the losses with a positive clean mean (a ratio at some level).
        { kind: 'robustness', n: s.robustness.losses.filter((l) => l.relMean.some((v) => v !== null)).length },
        { kind: 'robustness', n: s.robustness.losses.length },
        ...['spearman', 'kendall'].map((k) => ({ kind: 'heatmap', n: (s.agreement[k as 'spearman'] as (number | null)[][]).flat().filter((v) => v !== null).length })),
      ];
      expect(figs.map((f) => f.kind)).toEqual(want.map((w) => w.kind));
      figs.forEach((f, i) => {
        const label = `${s.id} figure ${i} (${f.kind})`;
        expect(f.series, label).toBe(want[i].n);
        if (f.kind === 'heatmap') {
          expect(f.cells, label).toBe(want[i].n);
        } else {
          expect(f.lines, label).toBe(want[i].n);
          expect(f.emptyLines, label).toBe(0);
          expect(f.swatches, `${label} legend`).toBe(want[i].n);
        }
        expect(f.title.length, `${label} title`).toBeGreaterThan(10);
        expect(f.reading.length, `${label} reading`).toBeGreaterThan(20);
        expect(f.axisLabels, `${label} axis labels`).toBeGreaterThanOrEqual(2);
      });
      const el = await page.$(`section[id="${s.id}"]`);
      await el?.screenshot({ path: join(SHOTS, `${s.id}.png`) });
      expect(existsSync(join(SHOTS, `${s.id}.png`))).toBe(true);
    }
    await page.close();
  });
});

describe.skipIf(!HAVE_CHROMIUM)('compare() in a page', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    for (const f of ['dist/index.js', 'dist/report/index.js']) {
      if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
    }
    const types: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.wasm': 'application/wasm' };
    const page = `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><div id="out"></div>
<script type="module">
import { compare } from '/dist/report/index.js';
try {
  const r = await compare({ families: ['regression', 'classification'], maxSamples: 100, levels: [0.1] });
  document.getElementById('out').innerHTML = r.html.slice(r.html.indexOf('<body>') + 6, r.html.lastIndexOf('</body>'));
  window.result = { ok: true, figures: document.querySelectorAll('.figure').length, summary: r.summary };
} catch (e) { window.result = { ok: false, error: String(e && e.stack || e) }; }
</script></body></html>`;
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(page);
        return;
      }
      const p = normalize(join(ROOT, url.pathname));
      if (!p.startsWith(join(ROOT, 'dist')) || !existsSync(p)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': types[extname(p)] ?? 'application/octet-stream' }).end(readFileSync(p));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it('draws with the page DOM, loads no linkedom, and matches Node\'s summary', async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/`);
    await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, undefined, { timeout: 120_000 });
    const result = await page.evaluate(() => (window as unknown as { result: { ok: boolean; figures?: number; summary?: string; error?: string } }).result);
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(errors).toEqual([]);
    const node = await compare({ families: ['regression', 'classification'], maxSamples: 100, levels: [0.1] });
    expect(result.figures).toBe((node.html.match(/class="figure"/g) ?? []).length);
    expect(result.summary).toBe(node.summary);
    // The page, the report entry and the library; the linkedom chunk (esm-*.js) never.
    expect(requests).toContain('/dist/report/index.js');
    expect(requests).toContain('/dist/index.js');
    const linkedom = readFileSync(join(ROOT, 'dist/report/index.js'), 'utf8').match(/chunks\/(esm-[\w-]+\.js)/)?.[1];
    expect(linkedom).toBeDefined();
    expect(requests.some((r) => r.endsWith(linkedom as string))).toBe(false);
    await page.close();
  });
});
