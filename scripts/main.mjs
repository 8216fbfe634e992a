// `npm start`: lossfn's main job. Evaluates every loss on a built-in sample (deterministic,
// generated below), prints each loss's value, float32 and float64, its throughput, and how
// differently the losses rank the same predictions (which samples each penalises most).
//
// It ends with the comparison report (lossfn/report's compare(), every family on its built-in
// data): the text summary, and the HTML page written to --out (default report.html).
//
// Usage: npm start [-- --n 1000000] [-- --out report.html]   (--n: elements for the throughput column)

import { F, init, tensor } from 'lossfn';
import * as lossfn from 'lossfn';
import { section as sequenceSection } from './main/sequence.mjs';
import { section as localizationSection } from './main/localization.mjs';
import { section as rankingSection } from './main/ranking.mjs';
import { section as segmentationSection } from './main/segmentation.mjs';
import { section as reportSection } from './main/report.mjs';

const args = process.argv.slice(2);
const N_SPEED = Number(args[args.indexOf('--n') + 1] ?? NaN) || 1_000_000;
const OUT = args.includes('--out') ? args[args.indexOf('--out') + 1] : 'report.html';

/** Deterministic xorshift32 in [0, 1). */
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}
const gauss = (r) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

// ── the built-in sample ──────────────────────────────────────────────────────────────────────
// Regression: 12 "sales forecasts" (targets are counts, predictions a model's guesses), built
// so that the losses disagree: a few huge misses, a near-zero target, small steady errors.
const REG = {
  target: [120, 80, 3, 0.5, 45, 200, 15, 60, 9, 33, 150, 1],
  pred: [118, 95, 7, 2.5, 44, 140, 15.5, 20, 9.2, 30, 152, 0.2],
};
REG.var = REG.target.map((t) => 1 + 0.1 * t); // a forecaster's variance, growing with the level

/** Each regression loss: its name and how to call it on (pred, target, var, reduction). */
const REGRESSION = [
  ['l1Loss', (x, t, _, reduction) => F.l1Loss(x, t, { reduction })],
  ['mseLoss', (x, t, _, reduction) => F.mseLoss(x, t, { reduction })],
  ['smoothL1Loss', (x, t, _, reduction) => F.smoothL1Loss(x, t, { beta: 5, reduction })],
  ['huberLoss', (x, t, _, reduction) => F.huberLoss(x, t, { delta: 5, reduction })],
  ['logCosh', (x, t, _, reduction) => F.logCosh(x, t, { reduction })],
  ['poissonNllLoss', (x, t, _, reduction) => F.poissonNllLoss(x, t, { logInput: false, full: true, reduction })],
  ['gaussianNllLoss', (x, t, v, reduction) => F.gaussianNllLoss(x, t, v, { reduction })],
  ['meanAbsolutePercentageError', (x, t, _, reduction) => F.meanAbsolutePercentageError(x, t, { reduction })],
  ['meanSquaredLogarithmicError', (x, t, _, reduction) => F.meanSquaredLogarithmicError(x, t, { reduction })],
];

// Classification: 8 images scored by a 5-class model (logits), with their true classes, built
// so that the losses disagree: confident mistakes, hesitant right answers, a near tie.
const CLS = {
  classes: ['cat', 'dog', 'fox', 'owl', 'elk'],
  logits: [
    [4.0, 1.0, 0.5, -1.0, -2.0], // cat, confidently right
    [0.2, 0.1, 0.0, 0.3, 0.1], // cat, hesitant and wrong (owl by a hair)
    [-1.0, 5.0, 0.0, 0.0, 0.0], // fox, confidently wrong (dog)
    [1.0, 1.0, 1.0, 1.0, 1.0], // dog, a five-way tie
    [0.0, 0.0, 2.5, 2.4, 0.0], // owl, close second
    [3.0, -2.0, -2.0, -2.0, 2.9], // elk, close second to cat
    [0.5, 0.0, 0.0, 0.0, 1.5], // elk, right with a small margin
    [-3.0, -3.0, -3.0, 6.0, -3.0], // owl, very confidently right
  ],
  target: [0, 0, 2, 1, 3, 4, 4, 3],
};
CLS.teacher = CLS.logits.map((row, i) => row.map((v, c) => (c === CLS.target[i] ? 2 : 0) + 0.5 * v)); // a teacher that knows better

const rowsOf = (t, n) => {
  const d = Array.from(t.data);
  const k = d.length / n;
  return Array.from({ length: n }, (_, i) => d.slice(i * k, (i + 1) * k));
};
/** Per-sample value of a loss whose 'none' output is elementwise over (N, C): the row mean. */
const perSampleMean = (t, n) => tensor(rowsOf(t, n).map((r) => r.reduce((a, b) => a + b, 0) / r.length), undefined, { dtype: t.dtype });
const logSoftmax = (rows) => rows.map((r) => {
  const m = Math.max(...r);
  const l = m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
  return r.map((v) => v - l);
});

/**
 * Each classification loss: [name, (c, reduction) => per-sample (reduction 'none') or reduced
 * tensor], where `c` holds the sample's tensors in one dtype. Losses whose 'none' output is
 * elementwise over (N, C) are averaged per sample for the ranking.
 */
const CLASSIFICATION = [
  ['crossEntropy', (c, r) => F.crossEntropy(c.logits, c.target, { reduction: r })],
  ['crossEntropy ε=0.1', (c, r) => F.crossEntropy(c.logits, c.target, { labelSmoothing: 0.1, reduction: r })],
  ['nllLoss', (c, r) => F.nllLoss(c.logProbs, c.target, { reduction: r })],
  ['softmaxFocalLoss γ=2', (c, r) => F.softmaxFocalLoss(c.logits, c.target, { gamma: 2, reduction: r })],
  ['polyLoss ε=1', (c, r) => F.polyLoss(c.logits, c.target, { reduction: r })],
  ['multiMarginLoss', (c, r) => F.multiMarginLoss(c.logits, c.target, { reduction: r })],
  ['categoricalHinge', (c, r) => F.categoricalHinge(c.logits, c.oneHot, { reduction: r })],
  ['binaryCrossEntropyWithLogits', (c, r) => F.binaryCrossEntropyWithLogits(c.logits, c.oneHot, { reduction: r }), true],
  ['sigmoidFocalLoss', (c, r) => F.sigmoidFocalLoss(c.logits, c.oneHot, { reduction: r }), true],
  ['multilabelSoftMarginLoss', (c, r) => F.multilabelSoftMarginLoss(c.logits, c.oneHot, { reduction: r })],
  ['hinge', (c, r) => F.hinge(c.logits, c.oneHot, { reduction: r }), true],
  ['klDiv (batchmean)', (c, r) => F.klDiv(c.logProbs, c.smoothed, { reduction: r === 'mean' ? 'batchmean' : r }), true],
  ['distillationLoss T=2', (c, r) => F.distillationLoss(c.logits, c.teacher, { temperature: 2, reduction: r === 'mean' ? 'batchmean' : r }), true],
  ['cosFaceLoss', (c, r) => F.cosFaceLoss(c.cosines, c.target, { scale: 16, reduction: r })],
  ['arcFaceLoss', (c, r) => F.arcFaceLoss(c.cosines, c.target, { scale: 16, reduction: r })],
  ['zeroOneLoss', (c, r) => F.zeroOneLoss(c.logits, c.target, { reduction: r })],
];

function classificationTensors(dtype, n = CLS.logits.length, logits = CLS.logits, target = CLS.target) {
  const C = logits[0].length;
  const oneHot = target.map((y) => Array.from({ length: C }, (_, c) => (c === y ? 1 : 0)));
  const maxAbs = logits.reduce((m, row) => row.reduce((a, v) => Math.max(a, Math.abs(v)), m), 0) + 1;
  return {
    logits: tensor(logits, undefined, { dtype }),
    logProbs: tensor(logSoftmax(logits), undefined, { dtype }),
    target: tensor(target, undefined, { dtype: 'int64' }),
    oneHot: tensor(oneHot, undefined, { dtype }),
    smoothed: tensor(oneHot.map((r) => r.map((v) => 0.9 * v + 0.1 / C)), undefined, { dtype }),
    teacher: tensor(n === CLS.logits.length ? CLS.teacher : logits.map((r) => r.map((v) => 0.7 * v)), undefined, { dtype }),
    cosines: tensor(logits.map((r) => r.map((v) => v / maxAbs)), undefined, { dtype }),
  };
}

// ── helpers ──────────────────────────────────────────────────────────────────────────────────

const fmt = (v) => (Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(4) : v.toFixed(5));
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

function table(header, rows) {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => '| ' + r.map((c, i) => (i === 0 ? pad(c, w[i]) : lpad(c, w[i]))).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + w.map((n, i) => (i === 0 ? ':' : '') + '-'.repeat(n + 1) + (i === 0 ? '' : ':')).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;

/** Spearman rank correlation of two per-sample loss vectors. */
function spearman(a, b) {
  const rank = (v) => {
    const idx = v.map((_, i) => i).sort((i, j) => v[i] - v[j]);
    const r = new Array(v.length);
    idx.forEach((i, k) => (r[i] = k));
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const n = a.length;
  const d2 = ra.reduce((s, r, i) => s + (r - rb[i]) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

/** Million elements per second of `run` (median of timed repetitions, copies included). */
function throughput(run, elements) {
  run();
  const times = [];
  const deadline = performance.now() + 250;
  while (times.length < 5 || (performance.now() < deadline && times.length < 200)) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return elements / (times[times.length >> 1] * 1e3);
}

function speedInputs(n, seed) {
  const r = rng(seed);
  const x = new Float32Array(n);
  const t = new Float32Array(n);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = 1 + 10 * r();
    x[i] = t[i] * Math.exp(0.2 * gauss(r)); // positive: a rate for poissonNllLoss, a count for MSLE
    v[i] = 0.5 + r();
  }
  return { x, t, v };
}

/**
 * Per-sample losses of a family, their values and speed, and how they rank the samples.
 * `entries`: [name, call(...args, reduction), elementwise?]; `makeArgs(dtype)` gives the
 * sample's arguments, `speedArgs()` large float32 ones and the element count.
 */
function report(title, sampleNames, entries, makeArgs, speedArgs, unit = 'elem') {
  console.log(`\n## ${title}\n`);
  const perSample = {};
  const rows = [];
  const n = sampleNames.length;
  for (const [name, call, elementwise] of entries) {
    const per = (dtype) => {
      const out = call(...makeArgs(dtype), 'none');
      return Array.from((elementwise ? perSampleMean(out, n) : out).data);
    };
    const per32 = per('float32');
    perSample[name] = per('float64');
    const big = speedArgs();
    const reduced = call(...big.args, 'mean').item();
    const speed = throughput(() => call(...big.args, 'mean').item(), big.elements);
    rows.push([name, fmt(call(...makeArgs('float32'), 'mean').item()), fmt(call(...makeArgs('float64'), 'mean').item()), fmt(reduced), speed.toFixed(0)]);
    void per32;
  }
  table(['loss', 'sample (float32)', 'sample (float64)', `random ${N_SPEED.toExponential(0)}`, `M ${unit}/s`], rows);

  console.log('\nWhich samples each loss penalises most (its top 3 of the per-sample losses):\n');
  table(
    ['loss', '1st', '2nd', '3rd'],
    entries.map(([name]) => {
      const v = perSample[name];
      const top = v.map((_, i) => i).sort((i, j) => v[j] - v[i]).slice(0, 3);
      return [name, ...top.map((i) => `${sampleNames[i]} (${fmt(v[i])})`)];
    }),
  );
  const names = entries.map(([n]) => n);
  const short = (n) => n.replace(/Loss$/, '').replace('meanAbsolutePercentageError', 'MAPE').replace('meanSquaredLogarithmicError', 'MSLE');
  if (names.length <= 10) {
    console.log("\nSpearman rank correlation between the losses' per-sample rankings (1 = same order):\n");
    table(['', ...names.map(short)], names.map((a) => [short(a), ...names.map((b) => spearman(perSample[a], perSample[b]).toFixed(2))]));
  } else {
    console.log(`\nSpearman rank correlation of each loss's per-sample ranking with ${names[0]}'s (1 = same order):\n`);
    table(['loss', `vs ${names[0]}`], names.map((a) => [a, spearman(perSample[a], perSample[names[0]]).toFixed(2)]));
  }
}

// ── run ──────────────────────────────────────────────────────────────────────────────────────

await init();
console.log('# lossfn: every loss on the built-in sample');
console.log(`\nnode ${process.version}; throughput from plain Float32Arrays (copies included), reduction 'none' on the sample, 'mean' for speed`);

const regNames = REG.target.map((t, i) => `#${i} t=${t} x=${REG.pred[i]}`);
const big = speedInputs(N_SPEED, 7);
const bigT = () => ({ args: [tensor(big.x), tensor(big.t), tensor(big.v)], elements: N_SPEED });
report(
  'Regression losses (sales forecasts: prediction x against count t)',
  regNames,
  REGRESSION,
  (dtype) => [tensor(REG.pred, undefined, { dtype }), tensor(REG.target, undefined, { dtype }), tensor(REG.var, undefined, { dtype })],
  bigT,
);

// Speed inputs for classification: N_SPEED logits as (N_SPEED/1000, 1000).
const C_BIG = 1000;
const N_BIG = Math.max(1, Math.round(N_SPEED / C_BIG));
const rc = rng(11);
const bigLogits = Array.from({ length: N_BIG }, () => Array.from({ length: C_BIG }, () => 3 * gauss(rc)));
const bigTarget = Array.from({ length: N_BIG }, (_, i) => (i * 7919) % C_BIG);
const bigCls = classificationTensors('float32', N_BIG, bigLogits, bigTarget);
const clsNames = CLS.target.map((y, i) => `#${i} ${CLS.classes[y]}→${CLS.classes[CLS.logits[i].indexOf(Math.max(...CLS.logits[i]))]}`);
report(
  'Classification losses (8 images, 5 classes; "#i true→predicted")',
  clsNames,
  CLASSIFICATION,
  (dtype) => [classificationTensors(dtype)],
  () => ({ args: [bigCls], elements: N_BIG * C_BIG }),
  'logits',
);

await sequenceSection(lossfn);
await localizationSection(lossfn);
await rankingSection(lossfn);
await segmentationSection(lossfn);

// Last: the comparison report (lossfn/report).
await reportSection(OUT);
