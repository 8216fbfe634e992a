// `npm start`: lossfn's main job. Evaluates every loss on a built-in sample (deterministic,
// generated below), prints each loss's value, float32 and float64, its throughput, and how
// differently the losses rank the same predictions (which samples each penalises most).
//
// Usage: npm start [-- --n 1000000]   (--n: elements for the throughput column)

import { F, init, tensor } from 'lossfn';

const args = process.argv.slice(2);
const N_SPEED = Number(args[args.indexOf('--n') + 1] ?? NaN) || 1_000_000;

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
    x[i] = t[i] + gauss(r);
    v[i] = 0.5 + r();
  }
  return { x, t, v };
}

/** Per-sample losses of a family, their values and speed, and how they rank the samples. */
function report(title, sampleNames, entries, makeArgs, speedArgs) {
  console.log(`\n## ${title}\n`);
  const perSample = {};
  const rows = [];
  for (const [name, call] of entries) {
    const per32 = call(...makeArgs('float32'), 'none');
    const per64 = call(...makeArgs('float64'), 'none');
    perSample[name] = Array.from(per64.data);
    const speed = speedArgs ? throughput(() => call(...speedArgs(), 'mean').item(), speedArgs()[0].numel()) : NaN;
    rows.push([name, fmt(mean(Array.from(per32.data))), fmt(mean(perSample[name])), speed.toFixed(0)]);
  }
  table(['loss (reduction: mean)', 'float32', 'float64', `M elem/s @ ${N_SPEED.toExponential(0)}`], rows);

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
  console.log('\nSpearman rank correlation between the losses\' per-sample rankings (1 = same order):\n');
  const short = (n) => n.replace(/Loss$/, '').replace('meanAbsolutePercentageError', 'MAPE').replace('meanSquaredLogarithmicError', 'MSLE');
  table(['', ...names.map(short)], names.map((a) => [short(a), ...names.map((b) => spearman(perSample[a], perSample[b]).toFixed(2))]));
}

// ── run ──────────────────────────────────────────────────────────────────────────────────────

await init();
console.log('# lossfn: every loss on the built-in sample');
console.log(`\nnode ${process.version}; throughput from plain Float32Arrays (copies included), reduction 'none' on the sample, 'mean' for speed`);

const regNames = REG.target.map((t, i) => `#${i} t=${t} x=${REG.pred[i]}`);
const big = speedInputs(N_SPEED, 7);
const bigT = () => [tensor(big.x), tensor(big.t), tensor(big.v)];
report(
  'Regression losses (sales forecasts: prediction x against count t)',
  regNames,
  REGRESSION.map(([n, call]) => [n, call]),
  (dtype) => [tensor(REG.pred, undefined, { dtype }), tensor(REG.target, undefined, { dtype }), tensor(REG.var, undefined, { dtype })],
  bigT,
);
