// lossfn against PyTorch, paired: `npm run bench` times PyTorch in a separate run after
// lossfn's, and on this small shared machine PyTorch's own figure for one entry moved by up to
// 2× between runs minutes apart. Here the PyTorch peer (bench/torch_peer.py --serve) stays up
// beside lossfn and the two are timed in alternating windows, round by round (order
// rotating), so a burst of load hits both sides of each ratio alike. Same entries, data sizes,
// calls and "copies included" rules as `npm run bench` (bench/entries.mjs); one thread each.
//
// Usage: node bench/vs_torch.mjs   (after npm run build; needs /usr/bin/python3 with torch)
// Knobs: VS_FILTER=regex on entry names (default the ranking entries: issue 12's targets; also
//   'small: …', bench/small_calls.mjs's three calls, e.g. VS_FILTER=small)
//   VS_N=1e6 (size for entries without their own)  VS_ROUNDS=15  VS_MS=300 (ms per window)
//   BENCH_PYTHON=/usr/bin/python3  BENCH_SIMD=auto|baseline|relaxed (lossfn's module)
// Prints per entry: each side's median time per call and lossfn's speed over PyTorch's
// (PyTorch's time / lossfn's time per round: > 1 is lossfn faster) as the median of the
// rounds with the interquartile range and the extremes.

import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { makeEntries, rng } from './entries.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const FILTER = new RegExp(env.VS_FILTER ?? '^(tripletMarginLoss|ntXentLoss|rankNetLoss|listNetLoss)$');
const N = Math.round(Number(env.VS_N ?? 1e6));
const ROUNDS = Number(env.VS_ROUNDS ?? 15);
const MS = Number(env.VS_MS ?? 300);
const PYTHON = env.BENCH_PYTHON ?? '/usr/bin/python3';
const SEED = 1234;

const lib = await import(pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href);
await lib.init({ simd: env.BENCH_SIMD ?? 'auto' });
/** bench/small_calls.mjs's three calls (its data, from typed arrays to a number), as entries. */
function smallEntries({ F, tensor }) {
  const wave = (n, k) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + k));
  const pyWave = 'def wave(n, k):\n    return torch.tensor([math.sin(i * 0.731 + k) for i in range(n)], dtype=torch.float32)\n';
  const small = (name, make, call, setup, torchCall) => ({ name, label: name, sizes: [1], make, lossfn: call, torch: { setup: pyWave + setup, call: torchCall } });
  return [
    small('small: mseLoss, 100 elements', () => ({ x: wave(100, 1), t: wave(100, 2) }),
      ({ x, t }) => F.mseLoss(tensor(x), tensor(t)).item(),
      'x100, t100 = wave(100, 1), wave(100, 2)', 'F.mse_loss(x100, t100).item()'),
    small('small: crossEntropy (10, 10)', () => ({ x: wave(100, 3), y: Int32Array.from({ length: 10 }, (_, i) => (i * 3) % 10) }),
      ({ x, y }) => F.crossEntropy(tensor(x, [10, 10]), tensor(y)).item(),
      'x10 = wave(100, 3).reshape(10, 10)\ny10 = torch.tensor([(i * 3) % 10 for i in range(10)], dtype=torch.int64)', 'F.cross_entropy(x10, y10).item()'),
    small('small: nllLoss (1000, 1000)', () => ({ x: wave(1e6, 4), y: Int32Array.from({ length: 1000 }, (_, i) => (i * 7) % 1000) }),
      ({ x, y }) => F.nllLoss(tensor(x, [1000, 1000]), tensor(y)).item(),
      'lp = wave(1_000_000, 4).reshape(1000, 1000)\ny1000 = torch.tensor([(i * 7) % 1000 for i in range(1000)], dtype=torch.int64)', 'F.nll_loss(lp, y1000).item()'),
  ];
}

const entries = [...makeEntries(lib), ...smallEntries(lib)].filter((e) => FILTER.test(e.name) && e.torch);

// The peer: one JSON line in, one out.
const peer = spawn(PYTHON, [path.join(ROOT, 'bench', 'torch_peer.py'), '--serve'], {
  stdio: ['pipe', 'pipe', 'inherit'],
  env: { ...env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
});
const lines = createInterface({ input: peer.stdout })[Symbol.asyncIterator]();
const reply = async () => {
  const { value, done } = await lines.next();
  if (done) throw new Error(`bench/vs_torch: the PyTorch peer (${PYTHON} bench/torch_peer.py --serve) exited`);
  return JSON.parse(value);
};
const torchInfo = await reply();
const torchWindow = async (e, n) => {
  peer.stdin.write(`${JSON.stringify({ name: e.name, n, setup: e.torch.setup, call: e.torch.call, ms: MS })}\n`);
  return (await reply()).median;
};

/** lossfn's window: samples of ~5 ms (inner loop calibrated once), median seconds per call. */
function lossfnWindow(fn, inner) {
  const samples = [];
  const start = performance.now();
  while (samples.length < 3 || performance.now() - start < MS) {
    const t = performance.now();
    for (let i = 0; i < inner; i++) fn();
    samples.push((performance.now() - t) / inner / 1e3);
  }
  return quantile(samples, 0.5);
}

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
}

const f2 = (v) => v.toFixed(2);
const us = (s) => (s < 1e-5 ? `${(s * 1e9).toFixed(0)} ns` : `${(s * 1e6).toFixed(s < 1e-3 ? 1 : 0)} µs`);
console.log(`# lossfn vs PyTorch, paired windows: Node ${process.versions.node} (lossfn ${lib.wasmVariant()} module), PyTorch ${torchInfo.torch} (Python ${torchInfo.python}, ${torchInfo.threads} thread); ${ROUNDS} rounds of ${MS} ms windows; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
console.log('| entry | lossfn / call | PyTorch / call | lossfn speed over PyTorch: median [IQR] (min–max) |');
console.log('|---|---:|---:|---|');
for (const e of entries) {
  const n = e.sizes?.[0] ?? N;
  const inputs = e.make(n, rng(SEED));
  const fn = () => e.lossfn(inputs);
  // Warm-up and calibration (lossfn), first window with set-up and warm-up (PyTorch).
  const t0 = performance.now();
  let calls = 0;
  while (calls < 2 || performance.now() - t0 < 200) { fn(); calls++; }
  const inner = Math.max(1, Math.ceil(5 / ((performance.now() - t0) / calls)));
  await torchWindow(e, n);
  const mine = [];
  const theirs = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      mine.push(lossfnWindow(fn, inner));
      theirs.push(await torchWindow(e, n));
    } else {
      theirs.push(await torchWindow(e, n));
      mine.push(lossfnWindow(fn, inner));
    }
  }
  const ratios = mine.map((m, r) => theirs[r] / m);
  console.log(`| ${e.label ?? e.name} | ${us(quantile(mine, 0.5))} | ${us(quantile(theirs, 0.5))} | ${f2(quantile(ratios, 0.5))}× [${f2(quantile(ratios, 0.25))}–${f2(quantile(ratios, 0.75))}] (${f2(Math.min(...ratios))}–${f2(Math.max(...ratios))}) |`);
}
peer.stdin.end();
console.log(`load ${os.loadavg()[0].toFixed(1)} at the end`);
