// compare(): robustness numbers recomputed from the built-in data by hand, the one-line
// readings checked against the data they summarise, user data in every accepted form, byte-
// identical output for the same options, and every argument error (message, option tag).

import { beforeAll, describe, expect, it } from 'vitest';
import { init, tensor } from '../../ts/index.js';
import { compare, type CompareData, type CompareOptions, type SectionData } from '../../ts/report/compare.js';
import { regression } from '../../ts/report/families/regression.js';
import { ranking } from '../../ts/report/families/ranking.js';
import { segmentation } from '../../ts/report/families/segmentation.js';
import { F } from '../../ts/index.js';

beforeAll(async () => {
  await init();
});

const section = (d: CompareData, id: string): SectionData => {
  const s = d.sections.find((x) => x.id === id);
  if (!s) throw new Error(`no section ${id}`);
  return s;
};
const pct = (v: number) => `${(100 * v).toFixed(0)} %`;

describe('robustness on the built-in regression data', () => {
  let data: CompareData;
  const n = 400;
  beforeAll(async () => {
    ({ data } = await compare({ families: ['regression'], levels: [0.05, 0.3], maxSamples: n }));
  });

  it('uses maxSamples built-in samples and the levels with 0 added', () => {
    const s = section(data, 'regression');
    expect(s.samples).toBe(n);
    expect(s.robustness.levels).toEqual([0, 0.05, 0.3]);
  });

  it("MSE's mean at 0 % is mean((x − t)²) of the built-in data; relMean starts at 1 and grows", () => {
    const d = regression.builtIn(n, 1);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (d.x[i] - d.t[i]) ** 2;
    const mse = section(data, 'regression').robustness.losses.find((l) => l.name === 'MSE');
    expect(mse).toBeDefined();
    expect(Math.abs((mse?.mean[0] ?? NaN) - sum / n)).toBeLessThanOrEqual(1e-12 * (sum / n));
    expect(mse?.relMean[0]).toBe(1);
    expect(mse?.relMean[1]).toBeGreaterThan(1);
    expect(mse?.relMean[2]).toBeGreaterThan(mse?.relMean[1] ?? Infinity);
  });

  it("L1's gradient is ±1 for every sample, so its worst 1 % (4 of 400) take exactly 1 %", () => {
    const l1 = section(data, 'regression').robustness.losses.find((l) => l.name === 'L1');
    for (const v of l1?.worstShare ?? [NaN]) expect(v).toBeCloseTo(0.01, 14);
  });

  it("MSE's worst share at 0 % is the top 4 |x − t| over Σ|x − t| (its gradient is 2(x − t))", () => {
    const d = regression.builtIn(n, 1);
    const r = Array.from(d.x, (x, i) => Math.abs(x - d.t[i])).sort((a, b) => b - a);
    const want = (r[0] + r[1] + r[2] + r[3]) / r.reduce((a, b) => a + b, 0);
    const mse = section(data, 'regression').robustness.losses.find((l) => l.name === 'MSE');
    expect(Math.abs((mse?.worstShare[0] ?? NaN) - want)).toBeLessThanOrEqual(1e-12);
  });

  it('agreement at the level nearest 10 % marks the contaminated samples; MSE puts outliers first', () => {
    const a = section(data, 'regression').agreement;
    expect(a.level).toBe(0.05);
    const mse = a.top.find((t) => t.loss === 'MSE');
    expect(mse?.samples.length).toBe(5);
    // 20 outliers of +10…30 against N(0, 1) residuals: the five largest squared errors are outliers.
    expect(mse?.samples.every((s) => s.contaminated)).toBe(true);
    expect(a.spearman.every((row, i) => row[i] === 1)).toBe(true);
    expect(a.kendall.every((row, i) => row[i] === 1)).toBe(true);
  });
});

describe('ranking: what a sample is, per loss', () => {
  const n = 300;
  const d = ranking.builtIn(n, 1);
  const per = (name: string) => {
    const l = ranking.losses.find((x) => x.name === name);
    if (!l) throw new Error(name);
    return l.perSample(d);
  };
  const f64 = (a: ArrayLike<number>, shape: number[]) => tensor(Array.from(a), shape, { dtype: 'float64' });

  it('margin ranking: the pair (best-graded item, worst-graded item) of each list, by hand', () => {
    const v = per('margin ranking m=1').loss;
    for (let i = 0; i < n; i++) {
      const rel = Array.from(d.rel.subarray(i * 8, i * 8 + 8));
      const sc = d.scores.subarray(i * 8, i * 8 + 8);
      const best = sc[rel.indexOf(Math.max(...rel))];
      const worst = sc[rel.indexOf(Math.min(...rel))];
      expect(Math.abs(v[i] - Math.max(0, 1 - (best - worst)))).toBeLessThanOrEqual(1e-12);
    }
  });

  it('hinge embedding: d(a, p) + max(0, 1 − d(a, n)) of each query, by hand', () => {
    const v = per('hinge embedding').loss;
    const dist = (a: Float64Array, b: Float64Array, i: number) => Math.hypot(...Array.from({ length: 16 }, (_, k) => a[i * 16 + k] - b[i * 16 + k]));
    for (let i = 0; i < n; i++) expect(Math.abs(v[i] - (dist(d.anchor, d.positive, i) + Math.max(0, 1 - dist(d.anchor, d.negative, i))))).toBeLessThanOrEqual(1e-12);
  });

  it("NT-Xent: the mean of a query's two anchors within its batch of 128 (the last batch 300 − 256 = 44)", () => {
    const v = per('NT-Xent').loss;
    for (const [b0, m] of [[0, 128], [256, 44]]) {
      const out = F.ntXentLoss(f64(d.anchor.subarray(b0 * 16, (b0 + m) * 16), [m, 16]), f64(d.positive.subarray(b0 * 16, (b0 + m) * 16), [m, 16]), { reduction: 'none' }).data as Float64Array;
      for (let i = 0; i < m; i++) expect(Math.abs(v[b0 + i] - (out[i] + out[m + i]) / 2)).toBeLessThanOrEqual(1e-12);
    }
  });

  it('list losses: the list; triplet: the triplet (F on the whole batch, reduction none)', () => {
    const list = F.listMleLoss(f64(d.scores, [n, 8]), f64(d.rel, [n, 8]), { reduction: 'none' }).data as Float64Array;
    expect(Array.from(per('ListMLE').loss)).toEqual(Array.from(list));
    const trip = F.tripletMarginLoss(f64(d.anchor, [n, 16]), f64(d.positive, [n, 16]), f64(d.negative, [n, 16]), { reduction: 'none' }).data as Float64Array;
    expect(Array.from(per('triplet').loss)).toEqual(Array.from(trip));
  });

  it('contamination flips the grades (g → 3 − g) and gives the query a positive of another class', () => {
    const c = ranking.contaminate(d, Uint32Array.from([3, 7]), 1);
    for (const i of [3, 7]) {
      expect(Array.from(c.rel.subarray(i * 8, i * 8 + 8))).toEqual(Array.from(d.rel.subarray(i * 8, i * 8 + 8), (g) => 3 - g));
      expect(Array.from(c.positive.subarray(i * 16, i * 16 + 16))).not.toEqual(Array.from(d.positive.subarray(i * 16, i * 16 + 16)));
      expect(c.contaminated[i]).toBe(1);
    }
    expect(Array.from(c.rel.subarray(0, 8))).toEqual(Array.from(d.rel.subarray(0, 8)));
    expect(c.contaminated.reduce((a, b) => a + b, 0)).toBe(2);
  });

  it('user lists (--family ranking): the list and pair losses only, padding −1 kept; a same-shape pair is regression otherwise', async () => {
    const r = (() => { let s = 7; return () => ((s = (s * 16807) % 2147483647) / 2147483647); })();
    const rel = Array.from({ length: 40 }, (_, i) => [3, 2, 1, 0, 0, i % 2 ? -1 : 1]);
    const scores = rel.map((row) => row.map((g) => g + r()));
    const { data } = await compare({ families: ['ranking'], levels: [0.1], maxSamples: 100, input: scores, target: rel });
    const s = section(data, 'user-ranking');
    expect(s.samples).toBe(40);
    expect(s.robustness.losses.map((l) => l.name)).toEqual(['margin ranking', 'margin ranking m=1', 'RankNet', 'ListNet', 'ListMLE', 'ApproxNDCG', 'ApproxNDCG α=10']);
    const want = F.listNetLoss(f64(scores.flat(), [40, 6]), f64(rel.flat(), [40, 6]), { reduction: 'mean' }).item();
    expect(Math.abs((s.robustness.losses.find((l) => l.name === 'ListNet')?.mean[0] ?? NaN) - want)).toBeLessThanOrEqual(1e-12);
    const plain = await compare({ levels: [0.1], maxSamples: 100, input: scores, target: rel });
    expect(plain.data.sections.map((x) => x.id)).toContain('user-regression');
    await expect(compare({ families: ['ranking'], input: scores, target: rel.map((row) => row.map((g) => (g === 0 ? -2 : g))) })).rejects.toThrow(/^compare: argument 'target': relevance -2 at row 0 is negative/);
  });
});

describe('segmentation: a sample is one image', () => {
  const n = 40;
  const d = segmentation.builtIn(n, 2);
  const per = (name: string) => {
    const l = segmentation.losses.find((x) => x.name === name);
    if (!l) throw new Error(name);
    return l.perSample(d).loss;
  };
  const img = (a: Float64Array, i: number, shape: number[]) => tensor(Array.from(a.subarray(i * 256, i * 256 + 256)), shape, { dtype: 'float64' });

  it('Dice and Tversky over the images as channels equal F on each image alone; Lovász hinge and MCC per image', () => {
    const dice = per('Dice');
    const tv = per('Tversky α=0.7 β=0.3');
    const hinge = per('Lovász hinge');
    const mcc = per('MCC');
    for (let i = 0; i < n; i++) {
      const z = img(d.z, i, [1, 1, 16, 16]);
      const y = img(d.y, i, [1, 1, 16, 16]);
      expect(Math.abs(dice[i] - F.diceLoss(z, y, { mode: 'binary' }).item())).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(tv[i] - F.tverskyLoss(z, y, { mode: 'binary', alpha: 0.7, beta: 0.3 }).item())).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(hinge[i] - F.lovaszHingeLoss(img(d.z, i, [1, 16, 16]), img(d.y, i, [1, 16, 16])).item())).toBeLessThanOrEqual(1e-12);
      const p = tensor(Array.from(d.z.subarray(i * 256, i * 256 + 256), (v) => 1 / (1 + Math.exp(-v))), [1, 16, 16], { dtype: 'float64' });
      expect(Math.abs(mcc[i] - F.mccLoss(p, img(d.y, i, [1, 16, 16])).item())).toBeLessThanOrEqual(1e-12);
    }
  });

  it('contamination moves the labelled object: same area, other pixels, predictions unchanged', () => {
    const c = segmentation.contaminate(d, Uint32Array.from([0, 5]), 2);
    for (const i of [0, 5]) {
      const before = Array.from(d.y.subarray(i * 256, i * 256 + 256));
      const after = Array.from(c.y.subarray(i * 256, i * 256 + 256));
      expect(after.reduce((a, b) => a + b, 0)).toBe(before.reduce((a, b) => a + b, 0));
      expect(after).not.toEqual(before);
    }
    expect(c.z).toBe(d.z);
    expect(Array.from(c.y.subarray(256, 512))).toEqual(Array.from(d.y.subarray(256, 512)));
  });
});

describe('readings say what the data say', () => {
  let data: CompareData;
  beforeAll(async () => {
    ({ data } = await compare({ levels: [0.1, 0.2], maxSamples: 200 }));
  });

  it('every section, every figure', () => {
    expect(data.sections.map((s) => s.id)).toEqual(['regression', 'classification', 'localization', 'segmentation', 'ranking', 'sequence']);
    for (const s of data.sections) {
      const r = s.robustness;
      const last = r.levels.length - 1;
      // Share: read at the first contaminated level; the reading names a loss with the largest
      // share and one with the smallest, each with its own share.
      const shares = r.losses.map((l) => l.worstShare[1]);
      const hi = r.losses.filter((l) => l.worstShare[1] === Math.max(...shares));
      const lo = r.losses.filter((l) => l.worstShare[1] === Math.min(...shares));
      expect(hi.some((l) => r.readingShare.includes(`${l.name} gives the worst 1 % of samples ${pct(l.worstShare[1])} of the gradient`)), r.readingShare).toBe(true);
      expect(lo.some((l) => r.readingShare.includes(`${l.name} gives ${pct(l.worstShare[1])}.`)), r.readingShare).toBe(true);
      expect(r.readingShare.startsWith(`At 10 % ${r.contamination}`)).toBe(true);
      const grow = r.losses.map((l) => l.relMean[last]);
      const gHi = r.losses.filter((l) => l.relMean[last] === Math.max(...grow));
      // …and states its ratio to 3 significant digits
      expect(gHi.some((l) => {
        const m = /'s mean loss is ×([0-9.e+-]+) its clean value/.exec(r.readingMean);
        const want = l.relMean[last] as number;
        return r.readingMean.includes(`${l.name}'s mean loss is ×`) && m !== null && Math.abs(Number(m[1]) - want) <= 5e-3 * want;
      }), r.readingMean).toBe(true);
      expect(r.readingMean.startsWith(`At 20 % ${r.contamination}`)).toBe(true);
      // Agreement: the least alike pair with its ρ.
      const a = s.agreement;
      let low = { i: -1, j: -1, v: Infinity };
      a.spearman.forEach((row, i) => row.forEach((v, j) => {
        if (j > i && v !== null && v < low.v) low = { i, j, v };
      }));
      expect(a.readingSpearman).toContain(`(ρ = ${low.v.toFixed(2)}); most alike`);
      // Curves: the highest loss at the reading's x.
      for (const c of s.curves) {
        const at = (y: number[], x: number[]) => y[x.reduce((b, v, k) => (Math.abs(v - c.readAt) < Math.abs(x[b] - c.readAt) ? k : b), 0)];
        const vals = c.loss.map((l) => at(l.y, l.x));
        const top = c.loss.filter((_, k) => vals[k] === Math.max(...vals));
        expect(top.some((l) => c.readingLoss.includes(`${l.name} is highest`)), c.readingLoss).toBe(true);
        const steep = c.grad.map((g) => Math.max(...g.y.map(Math.abs)));
        const sTop = c.grad.filter((_, k) => steep[k] === Math.max(...steep));
        const shown = steep.map((v) => Number(v.toPrecision(3)));
        if (shown.every((v) => v === shown[0])) expect(c.readingGrad).toBe(`Every loss's largest |gradient| on this range is ${shown[0]}.`);
        else expect(sTop.some((g) => c.readingGrad.includes(`Largest |gradient| on this range: ${g.name}`)), c.readingGrad).toBe(true);
      }
    }
  });

  it('the summary carries each section\'s readings', async () => {
    const { summary } = await compare({ families: ['classification'], levels: [0.1], maxSamples: 100 });
    expect(summary).toContain('Classification (built-in, 100 samples)');
    expect(summary.split('\n').filter((l) => l.startsWith('  ')).length).toBe(3);
  });
});

describe('user data', () => {
  const r = (() => {
    let s = 12345;
    return () => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648);
  })();
  const N = 200;
  const target = Array.from({ length: N }, () => 1 + 10 * r());
  const input = target.map((t) => t + (r() - 0.5));

  it('regression from nested arrays, a typed array, a Tensor and {data, shape}: the same section', async () => {
    const base: CompareOptions = { families: ['regression'], levels: [0.1], maxSamples: 1000, inputName: 'pred.npy' };
    const forms: [unknown, unknown][] = [
      [input, target],
      [Float64Array.from(input), Float32Array.from(target).map((v, i) => (v === Math.fround(target[i]) ? target[i] : v))],
      [tensor(input, [N], { dtype: 'float64' }), tensor(target, [N], { dtype: 'float64' })],
      [{ data: input, shape: [N, 1] }, { data: Float64Array.from(target), shape: [N, 1] }],
    ];
    const outs = [];
    for (const [i, t] of forms) outs.push(section((await compare({ ...base, input: i, target: t } as CompareOptions)).data, 'user-regression'));
    expect(outs[0].samples).toBe(N);
    expect(outs[0].title).toContain('pred.npy');
    expect(outs[0].curves).toEqual([]);
    for (const o of [outs[2], outs[3]]) expect(o).toEqual(outs[0]);
    // the typed-array form rounds target to float32 where it differs: same shape of results
    expect(outs[1].robustness.losses.map((l) => l.name)).toEqual(outs[0].robustness.losses.map((l) => l.name));
  });

  it('larger user data are subsampled to maxSamples (seeded), the rest unchanged', async () => {
    const { data } = await compare({ families: ['regression'], levels: [0.1], maxSamples: 50, input, target });
    const s = section(data, 'user-regression');
    expect(s.samples).toBe(50);
    expect(s.rows).toBe(N);
    expect(section(data, 'regression').samples).toBe(50);
    // agreement on the user's data as given: nothing marked contaminated
    expect(s.agreement.level).toBe(0);
    expect(s.agreement.top.every((t) => t.samples.every((x) => !x.contaminated))).toBe(true);
    // the table names rows of the user's data: MSE's worst row is the largest |x − t| of all 200
    // among the rows kept, and its loss is that row's squared error
    const mse = s.agreement.top.find((t) => t.loss === 'MSE')?.samples[0];
    expect(mse).toBeDefined();
    const row = mse?.index ?? -1;
    expect(row).toBeLessThan(N);
    expect(Math.abs((mse?.value ?? NaN) - (input[row] - target[row]) ** 2)).toBeLessThanOrEqual(1e-12);
  });

  it('classification ((N, C) logits, (N) labels) and localization ((N, 4) boxes) are inferred', async () => {
    const logits = Array.from({ length: 60 }, (_, i) => [0, 1, 2].map((c) => (c === i % 3 ? 2 : 0) + r()));
    const labels = logits.map((_, i) => i % 3);
    const c = await compare({ families: ['classification'], levels: [0.1], maxSamples: 100, input: logits, target: labels });
    expect(section(c.data, 'user-classification').samples).toBe(60);
    const boxes = Array.from({ length: 40 }, () => {
      const x = 50 * r();
      const y = 50 * r();
      return [x, y, x + 5 + 20 * r(), y + 5 + 20 * r()];
    });
    const shifted = boxes.map((b) => b.map((v) => v + r()));
    const l = await compare({ families: ['localization'], levels: [0.1], maxSamples: 100, input: shifted, target: boxes });
    expect(section(l.data, 'user-localization').samples).toBe(40);
    // (N, 4) pairs are boxes by default, four regression outputs when only regression is asked for
    const all = await compare({ levels: [0.1], maxSamples: 100, input: shifted, target: boxes });
    expect(all.data.sections.map((s) => s.id).at(-1)).toBe('user-localization');
    const reg = await compare({ families: ['regression'], levels: [0.1], maxSamples: 200, input: shifted, target: boxes });
    expect(section(reg.data, 'user-regression').samples).toBe(160);
  });

  it('same options give the same bytes; another seed other bytes', async () => {
    const o: CompareOptions = { families: ['regression', 'localization'], levels: [0.1], maxSamples: 100, input, target };
    const a = await compare(o);
    const b = await compare(o);
    expect(a.html).toBe(b.html);
    expect(JSON.stringify(a.data)).toBe(JSON.stringify(b.data));
    expect(a.summary).toBe(b.summary);
    const c = await compare({ ...o, seed: 2 });
    expect(c.html).not.toBe(a.html);
  });

  it('the page has no script and requests nothing', async () => {
    const { html, data } = await compare({ families: ['classification'], levels: [0.1], maxSamples: 100 });
    expect(html).not.toMatch(/<script|<link|<iframe|<img|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)="(?!#)/);
    expect(JSON.parse(JSON.stringify(data))).toEqual(data);
    const s = data.sections[0];
    expect((html.match(/class="figure"/g) ?? []).length).toBe(2 * s.curves.length + 4);
  });
});

describe('argument errors', () => {
  const unknownFamily = "compare: unknown family 'speech' (this build has regression, classification, localization, segmentation, ranking, sequence)";
  const cases: [string, unknown, string | null, RegExp | string][] = [
    ['options not an object', 'fast', 'options', /^compare: options must be an object/],
    ['unknown option', { colour: 'red' }, 'colour', /^compare: unknown option 'colour'/],
    ['families not an array', { families: 'regression' }, 'families', /^compare: option 'families' must be an array/],
    ['families empty', { families: [] }, 'families', /^compare: option 'families' is empty/],
    ['unknown family', { families: ['regression', 'speech'] }, 'families', unknownFamily],
    ['level 1', { levels: [0.1, 1] }, 'levels', /^compare: option 'levels' must be an array of shares in \[0, 1\)/],
    ['level negative', { levels: [-0.1] }, 'levels', /option 'levels'/],
    ['level NaN', { levels: [NaN] }, 'levels', /option 'levels'/],
    ['levels not an array', { levels: 0.1 }, 'levels', /option 'levels'/],
    ['seed negative', { seed: -1 }, 'seed', /^compare: option 'seed' must be an integer in \[0, 2\^32\), got -1/],
    ['seed 2^32', { seed: 2 ** 32 }, 'seed', /option 'seed'/],
    ['seed fractional', { seed: 1.5 }, 'seed', /option 'seed'/],
    ['seed string', { seed: '1' }, 'seed', /option 'seed'/],
    ['maxSamples 9', { maxSamples: 9 }, 'maxSamples', /^compare: option 'maxSamples' must be an integer >= 10, got 9/],
    ['maxSamples fractional', { maxSamples: 10.5 }, 'maxSamples', /option 'maxSamples'/],
    ['inputName empty', { inputName: '' }, 'inputName', /option 'inputName'/],
    ['targetName number', { targetName: 3 }, 'targetName', /option 'targetName'/],
    ['input without target', { input: [1, 2] }, 'target', /^compare: options 'input' and 'target' come together: 'target' is missing/],
    ['target without input', { target: [1, 2] }, 'input', /'input' is missing/],
    ['input a string', { input: 'pred.npy', target: [1, 2] }, 'input', /^compare: argument 'input' must be a Tensor, a typed array, nested arrays or \{ data, shape \}/],
    ['ragged nested target', { input: [[1, 2], [3, 4]], target: [[1, 2], [3]] }, 'target', /^compare: argument 'target': nested arrays must be rectangular/],
    ['shape not matching data', { input: { data: [1, 2], shape: [3] }, target: [1, 2] }, 'input', /argument 'input': shape \[3\] holds 3 values but data has 2/],
    ['named argument', { input: { data: [1, 2], shape: [-1] }, target: [1, 2], inputName: 'p.csv' }, 'input', /argument 'p.csv': shape must be/],
    ['NaN in the data', { input: [1, NaN, 3], target: [1, 2, 3] }, null, /^compare: argument 'input': value NaN at flat index 1 is not a finite number/],
    ['one sample', { input: [1], target: [1] }, null, /argument 'input': needs at least 2 samples/],
    ['shapes of no family', { input: [1, 2, 3], target: [1, 2] }, null, /^compare: argument 'input': shapes \[3\] \(input\) and \[2\] \(target\) match no family/],
    ['label out of range', { input: [[1, 2], [3, 4]], target: [0, 2], targetName: 'y.csv' }, null, /^compare: argument 'y.csv': class index 2 at row 1 is not an integer in \[0, 2\)/],
    ['fractional label', { input: [[1, 2], [3, 4]], target: [0, 0.5] }, null, /class index 0.5 at row 1/],
    ['sequence reads no user data', { families: ['sequence'], input: [1, 2], target: [1, 2] }, null, /match no family of sequence/],
    ['segmentation reads no user data', { families: ['segmentation'], input: [[0.1, 0.9]], target: [[0, 1]] }, null, /match no family of segmentation/],
  ];
  for (const [name, opts, option, msg] of cases) {
    it(name, async () => {
      let err: (Error & { option?: string | null }) | null = null;
      try {
        await compare(opts as CompareOptions);
      } catch (e) {
        err = e as Error & { option?: string | null };
      }
      expect(err, 'should throw').not.toBeNull();
      if (typeof msg === 'string') expect(err?.message).toBe(msg);
      else expect(err?.message).toMatch(msg);
      expect(err?.message.startsWith('compare: ')).toBe(true);
      expect(err?.option ?? null).toBe(option);
    });
  }
  it('the next call works', async () => {
    const { data } = await compare({ families: ['regression'], levels: [0.1], maxSamples: 20 });
    expect(data.sections[0].samples).toBe(20);
  });
});
