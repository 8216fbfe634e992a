// Small calls, where the TS layer rather than the kernel sets the time: mseLoss on 100
// elements, crossEntropy on (10, 10), nllLoss on (1000, 1000), each from plain typed arrays to a
// JS number (`F.xxx(tensor(x), tensor(t)).item()`), in nanoseconds per call.
//
// With several builds of the package (`node bench/small_calls.mjs dist /tmp/old-dist`: each a
// directory holding index.js), every build is loaded as its own module graph and the builds are
// timed in interleaved windows, with each build's speed relative to the first (> 1 is faster)
// as the median of the per-round ratios and their range. Default: dist.
// Knobs: SMALL_ROUNDS=15, SMALL_MS=40 (milliseconds per window).
// PyTorch's time for the same calls comes last (bench/small_calls_torch.py, when
// BENCH_PYTHON — default /usr/bin/python3 — has torch; SMALL_TORCH=0 skips it).

import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const env = process.env;
const ROUNDS = Number(env.SMALL_ROUNDS ?? 15);
const MS = Number(env.SMALL_MS ?? 40);
const dirs = process.argv.slice(2);
if (dirs.length === 0) dirs.push('dist');

/** Deterministic values in [−1, 1). */
const wave = (n, k) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + k));

function cases(lib) {
  const { F, tensor } = lib;
  const x100 = wave(100, 1);
  const t100 = wave(100, 2);
  const x10 = wave(100, 3);
  const y10 = Int32Array.from({ length: 10 }, (_, i) => (i * 3) % 10);
  const lp = wave(1e6, 4); // log-probabilities need not be normalised for nllLoss
  const y1000 = Int32Array.from({ length: 1000 }, (_, i) => (i * 7) % 1000);
  return [
    ['mseLoss, 100 elements', () => F.mseLoss(tensor(x100), tensor(t100)).item()],
    ['crossEntropy (10, 10)', () => F.crossEntropy(tensor(x10, [10, 10]), tensor(y10)).item()],
    ['nllLoss (1000, 1000)', () => F.nllLoss(tensor(lp, [1000, 1000]), tensor(y1000)).item()],
  ];
}

/** Median ns per call over one window of MS milliseconds (calls batched to ~1 ms samples). */
function window(fn, batch) {
  const samples = [];
  const start = performance.now();
  let sink = 0;
  while (performance.now() - start < MS || samples.length < 5) {
    const s = performance.now();
    for (let i = 0; i < batch; i++) sink += fn();
    samples.push(((performance.now() - s) * 1e6) / batch);
  }
  samples.sort((a, b) => a - b);
  if (Number.isNaN(sink)) throw new Error('NaN loss');
  return samples[samples.length >> 1];
}

const builds = [];
for (const d of dirs) {
  const lib = await import(pathToFileURL(path.resolve(d, 'index.js')).href);
  await lib.init();
  builds.push({ dir: d, lib, cases: cases(lib) });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`${process.version}, ${ROUNDS} interleaved rounds of ${MS} ms; ns per call (median of the rounds), ×: speed vs ${dirs[0]}`);
for (let c = 0; c < builds[0].cases.length; c++) {
  const name = builds[0].cases[c][0];
  // Warm-up, and a batch size giving ~1 ms samples.
  const batches = builds.map((b) => {
    const fn = b.cases[c][1];
    const t0 = performance.now();
    let k = 0;
    while (performance.now() - t0 < 200) { fn(); k++; }
    return Math.max(1, Math.round(k / 200));
  });
  const per = builds.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < builds.length; k++) {
      const i = (k + r) % builds.length;
      per[i].push(window(builds[i].cases[c][1], batches[i]));
    }
  }
  const cells = builds.map((b, i) => {
    const ns = median(per[i]);
    if (i === 0) return `${b.dir} ${ns.toFixed(0)} ns`;
    const ratios = per[i].map((t, r) => per[0][r] / t);
    return `${b.dir} ${ns.toFixed(0)} ns ×${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
  });
  console.log(`${name.padEnd(24)} ${cells.join(' | ')}`);
}

const PYTHON = env.BENCH_PYTHON ?? '/usr/bin/python3';
if (env.SMALL_TORCH !== '0') {
  const { execFileSync } = await import('node:child_process');
  let res = null;
  try {
    res = JSON.parse(execFileSync(PYTHON, [fileURLToPath(new URL('small_calls_torch.py', import.meta.url))], { encoding: 'utf8' }));
  } catch {
    console.log(`PyTorch: not timed (${PYTHON} has no torch)`);
  }
  if (res) {
    console.log(`PyTorch ${res.torch}, one thread, same data (int64 targets), ns per call: median of 9 rounds, CPU time (wall)`);
    for (const [name, t] of Object.entries(res.ns)) console.log(`${name.padEnd(24)} ${t.cpu.toFixed(0)} ns (${t.wall.toFixed(0)})`);
  }
}
