// Zero-copy tensors and one-copy staging (docs/zero-copy.md), through the public API: each case
// runs its variants interleaved round by round in one process (A, B, C, A, B, C, …), so a
// noisy stretch of this small shared machine hits every variant alike. Per variant: the best
// round's median time per call, M elements/s, and its speed relative to the first variant
// (`js`: tensors over JS typed arrays, the copies into wasm memory included) as the median
// ratio over the rounds with its range (lo–hi).
//
// Variants: `js` (JS arrays, chunked staging: the default), `js 1-copy` (JS arrays, whole
// operands staged with one `set` each: setOneCopyBytes), `zero-copy` (wasmTensor operands,
// refilled in place; read by the kernels where they are).
//
// Usage: node bench/zerocopy.mjs          (after `npm run build`)
// Knobs: ZC_N=1e6 (elements; crossEntropy is rows×1000 with rows = N/1000), ZC_ROUNDS=9,
//        ZC_MS=120 (per variant per round), ZC_FILTER=regex (on case names),
//        ZC_ONECOPY=bytes (the bound for the `js 1-copy` variant; default: whole operands)

import { F, init, tensor, wasmTensor } from '../dist/index.js';
import { setOneCopyBytes } from '../dist/elementwise.js';

const env = process.env;
const N = Math.round(Number(env.ZC_N ?? 1e6));
const ROUNDS = Number(env.ZC_ROUNDS ?? 9);
const MS = Number(env.ZC_MS ?? 120);
const FILTER = env.ZC_FILTER ? new RegExp(env.ZC_FILTER) : null;

await init();

/** mulberry32 floats in [0, 1). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}
const r = rng(0x5eed);
const floats = (n, lo, hi) => Float32Array.from({ length: n }, () => lo + (hi - lo) * r());

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
    const t = Float32Array.from({ length: N }, () => (r() < 0.1 ? 1 : 0));
    const wx = resident(x, [N]);
    const wt = resident(t, [N]);
    return {
      name: `sigmoidFocalLoss (N = ${N})`, elems: N,
      js: () => F.sigmoidFocalLoss(tensor(x), tensor(t), mean).item(), zc: () => F.sigmoidFocalLoss(wx, wt, mean).item(), onecopy: true,
    };
  })(),
  (() => {
    const x = floats(rows * 1000, -4, 4);
    const y = Int32Array.from({ length: rows }, () => Math.floor(r() * 1000));
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
    const y = Int32Array.from({ length: rows }, () => Math.floor(r() * 1000));
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

/** Median seconds per call over one window of `MS` ms (samples of ≥ 2 ms). */
function window(fn) {
  const t0 = performance.now();
  fn();
  const once = Math.max(performance.now() - t0, 1e-3);
  const inner = Math.max(1, Math.ceil(2 / once));
  const samples = [];
  const start = performance.now();
  while (performance.now() - start < MS || samples.length < 3) {
    const s = performance.now();
    for (let i = 0; i < inner; i++) fn();
    samples.push((performance.now() - s) / inner / 1e3);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

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
  const best = variants.map(() => Infinity);
  const ratios = variants.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    const t = variants.map(([, fn, on]) => {
      on();
      return window(fn);
    });
    t.forEach((v, i) => {
      best[i] = Math.min(best[i], v);
      ratios[i].push(t[0] / v);
    });
  }
  setOneCopyBytes();
  variants.forEach(([label], i) => {
    const rs = ratios[i].slice().sort((a, b) => a - b);
    const rel = i === 0 ? '' : `×${rs[rs.length >> 1].toFixed(2)} (${rs[0].toFixed(2)}–${rs[rs.length - 1].toFixed(2)})`;
    lines.push(`| ${c.name} | ${label} | ${(best[i] * 1e6).toFixed(0)} µs | ${(c.elems / best[i] / 1e6).toFixed(0)} M/s | ${rel} |`);
  });
}
console.log(`Node ${process.version}, float32, ${ROUNDS} interleaved rounds of ${MS} ms per variant;`);
console.log('×r (lo–hi): median over the rounds of the speed relative to `js` (> 1 is faster), and its range');
console.log('| case | variant | time | rate | vs js |');
console.log('|---|---|---:|---:|---:|');
for (const l of lines) console.log(l);
