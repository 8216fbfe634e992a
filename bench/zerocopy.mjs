// Zero-copy tensors and one-copy staging (README "Zero-copy tensors"), through the public API: each case
// runs its variants interleaved round by round in one process (A, B, C, A, B, C, …), so a
// noisy stretch of this small shared machine hits every variant alike. Per variant: the median
// sample's time per call, M elements/s, and its speed relative to the first variant (`js`:
// tensors over JS typed arrays, the copies into wasm memory included): the median of the
// ratios of paired samples, with their interquartile range (lo–hi).
//
// Variants: `js` (JS arrays, chunked staging: the default), `js 1-copy` (JS arrays, whole
// operands staged with one `set` each: setOneCopyBytes), `zero-copy` (wasmTensor operands,
// refilled in place; read by the kernels where they are).
//
// Usage: node bench/zerocopy.mjs          (after `npm run build`)
// Knobs: ZC_N=1e6 (elements; crossEntropy is rows×1000 with rows = N/1000), ZC_ROUNDS=8
//        (× 25 paired samples of ~2 ms per variant), ZC_FILTER=regex (on case names),
//        ZC_ONECOPY=bytes (the bound for the `js 1-copy` variant; default: whole operands)

import { F, init, tensor, wasmTensor } from '../dist/index.js';
import { rng } from './entries.mjs';
import { setOneCopyBytes } from '../dist/elementwise.js';

const env = process.env;
const N = Math.round(Number(env.ZC_N ?? 1e6));
const ROUNDS = Number(env.ZC_ROUNDS ?? 8);
const FILTER = env.ZC_FILTER ? new RegExp(env.ZC_FILTER) : null;

await init();

const r = rng(0x5eed);
const floats = (n, lo, hi) => r.uniform(n, lo, hi);

/** A wasm tensor holding a copy of `src` (filled once; a scoring loop refills it in place). */
function resident(src, shape, dtype) {
  const t = wasmTensor(shape, { dtype });
  t.data.set(src);
  return t;
}

const mean = { reduction: 'mean' };
const rows = Math.max(1, Math.round(N / 1000));
const CASES = [
  (() => {
    const x = floats(N, -2, 2);
    const t = floats(N, -2, 2);
    const wx = resident(x, [N]);
    const wt = resident(t, [N]);
    return { name: `mseLoss (N = ${N})`, elems: N, js: () => F.mseLoss(tensor(x), tensor(t)).item(), zc: () => F.mseLoss(wx, wt).item(), onecopy: true };
  })(),
  (() => {
    const x = floats(N, -4, 4);
    const t = Float32Array.from({ length: N }, () => (r.next() < 0.1 ? 1 : 0));
    const wx = resident(x, [N]);
    const wt = resident(t, [N]);
    return {
      name: `sigmoidFocalLoss (N = ${N})`, elems: N,
      js: () => F.sigmoidFocalLoss(tensor(x), tensor(t), mean).item(), zc: () => F.sigmoidFocalLoss(wx, wt, mean).item(), onecopy: true,
    };
  })(),
  (() => {
    const x = floats(rows * 1000, -4, 4);
    const y = Int32Array.from({ length: rows }, () => Math.floor(r.next() * 1000));
    const wx = resident(x, [rows, 1000]);
    const wy = resident(y, [rows], 'int32');
    return {
      name: `crossEntropy (${rows} × 1000)`, elems: rows * 1000,
      js: () => F.crossEntropy(tensor(x, [rows, 1000]), tensor(y)).item(), zc: () => F.crossEntropy(wx, wy).item(), onecopy: false,
    };
  })(),
  (() => {
    // Forward and backward (training), the input requiring grad.
    const x = floats(rows * 1000, -4, 4);
    const y = Int32Array.from({ length: rows }, () => Math.floor(r.next() * 1000));
    const wx = wasmTensor([rows, 1000], { requiresGrad: true });
    wx.data.set(x);
    const wy = resident(y, [rows], 'int32');
    const step = (xt, yt) => {
      const l = F.crossEntropy(xt, yt);
      l.backward();
      xt.grad = null;
      return l.item();
    };
    return {
      name: `crossEntropy fwd+bwd (${rows} × 1000)`, elems: rows * 1000,
      js: () => step(tensor(x, [rows, 1000], { requiresGrad: true }), tensor(y)), zc: () => step(wx, wy), onecopy: false,
    };
  })(),
];

/** Calls per sample so that one sample lasts about 2 ms. */
function calibrate(fn) {
  const t0 = performance.now();
  let calls = 0;
  while (performance.now() - t0 < 20 || calls < 3) {
    fn();
    calls++;
  }
  return Math.max(1, Math.round(2 / ((performance.now() - t0) / calls)));
}

/** Seconds per call of one sample of `inner` calls. */
function sample(fn, inner) {
  const s = performance.now();
  for (let i = 0; i < inner; i++) fn();
  return (performance.now() - s) / inner / 1e3;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const oneCopyBound = Number(env.ZC_ONECOPY ?? 2 ** 31);
const lines = [];
for (const c of CASES) {
  if (FILTER && !FILTER.test(c.name)) continue;
  const variants = [
    ['js', c.js, () => setOneCopyBytes()],
    ...(c.onecopy ? [['js 1-copy', c.js, () => setOneCopyBytes(oneCopyBound)]] : []),
    ['zero-copy', c.zc, () => setOneCopyBytes()],
  ];
  // Same value on every path (bit for bit), and warm-up.
  const values = variants.map(([, fn, on]) => {
    on();
    let v = fn();
    for (let i = 0; i < 20; i++) v = fn();
    return v;
  });
  if (!values.every((v) => Object.is(v, values[0]))) throw new Error(`${c.name}: variants disagree: ${values.join(', ')}`);
  // Paired samples: one sample of every variant in turn (the order rotating), ROUNDS × 25
  // times; the ratio of each pair is taken within one turn, so a burst of load from another
  // process mostly hits both sides of a ratio or neither.
  const inner = variants.map(([, fn, on]) => {
    on();
    return calibrate(fn);
  });
  const times = variants.map(() => []);
  const ratios = variants.map(() => []);
  const turns = ROUNDS * 25;
  for (let k = 0; k < turns; k++) {
    const t = new Array(variants.length);
    for (let j = 0; j < variants.length; j++) {
      const i = (j + k) % variants.length;
      variants[i][2]();
      t[i] = sample(variants[i][1], inner[i]);
    }
    t.forEach((v, i) => {
      times[i].push(v);
      ratios[i].push(t[0] / v);
    });
  }
  times.forEach((ts) => ts.sort((a, b) => a - b));
  const best = times.map((ts) => quantile(ts, 0.5));
  const fast = times.map((ts) => quantile(ts, 0.1));
  setOneCopyBytes();
  variants.forEach(([label], i) => {
    const rs = ratios[i].slice().sort((a, b) => a - b);
    const rel = i === 0 ? '' : `×${quantile(rs, 0.5).toFixed(2)} (${quantile(rs, 0.25).toFixed(2)}–${quantile(rs, 0.75).toFixed(2)})`;
    lines.push(`| ${c.name} | ${label} | ${(best[i] * 1e6).toFixed(0)} µs | ${(c.elems / best[i] / 1e6).toFixed(0)} M/s | ${(c.elems / fast[i] / 1e6).toFixed(0)} M/s | ${rel} |`);
  });
}
console.log(`Node ${process.version}, float32, ${ROUNDS * 25} turns of paired ~2 ms samples per variant; time, rate: the median sample;`);
console.log('p10: the rate of the fastest 10 % of samples (what the machine does between bursts of load from other processes);');
console.log('×r (lo–hi): median of the paired ratios to `js` (> 1 is faster), and their interquartile range');
console.log('| case | variant | time | rate | rate (p10 time) | vs js |');
console.log('|---|---|---:|---:|---:|---:|');
for (const l of lines) console.log(l);
