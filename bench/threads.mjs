// Two threads vs one (init({ threads }), README "Two threads"): paired, interleaved A/B in one
// process. A = the shared-memory module with the pool switched off (setParallelMinBytes(∞): the
// one-thread loops, same module), B = the same calls split across the pool; C = the baseline
// module (a second copy of dist/, plain init()), to show what the atomics build costs on one
// thread. Each round times A, B and C back to back (order rotating) and records the ratios
// A/B and C/B; the report gives their median and range, and B's throughput.
//
// usage: node bench/threads.mjs [rounds=15] [threads=2] [filter regex on case names]
//        (after npm run build)

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.argv[2] ?? 15);
const threads = Number(process.argv[3] ?? 2);
const filter = process.argv[4] ? new RegExp(process.argv[4]) : null;

const T = await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href);
const threadsMod = await import(pathToFileURL(join(ROOT, 'dist', 'threads.js')).href);
await T.init({ threads });
if (T.threadCount() < 2) throw new Error(`bench/threads: the pool did not start (${T.threadsUnavailableReason()})`);
// The baseline package, as a separate module graph (its own instance).
const copy = mkdtempSync(join(tmpdir(), 'lossfn-bench-'));
cpSync(join(ROOT, 'dist'), copy, { recursive: true });
const B = await import(pathToFileURL(join(copy, 'index.js')).href);
await B.init();
rmSync(copy, { recursive: true, force: true });

function rand(n, seed, f) {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = f(s / 2 ** 32);
  }
  return a;
}

const N = 1e6;
const logits = rand(N, 1, (u) => (u - 0.5) * 8);
const labels = rand(N, 2, (u) => (u < 0.5 ? 0 : 1));
const probs = rand(N, 3, (u) => 0.001 + 0.998 * u);
const classes = new Int32Array(1000).map((_, i) => (i * 7919) % 1000);

/** A wasm tensor of package `L` holding a copy of `src` (filled once, as a scoring loop would). */
function resident(L, src, shape) {
  const t = L.wasmTensor(shape);
  t.data.set(src);
  return t;
}

/** One case: its name, the element count it reports throughput for, and a call per package. */
const cases = [
  ['crossEntropy (1000 × 1000)', N, (L) => {
    const x = L.tensor(logits, [1000, 1000]);
    const y = L.tensor(classes, [1000], { dtype: 'int32' });
    return () => L.F.crossEntropy(x, y).item();
  }],
  ['binaryCrossEntropyWithLogits', N, (L) => {
    const x = L.tensor(logits, [N]);
    const t = L.tensor(labels, [N]);
    return () => L.F.binaryCrossEntropyWithLogits(x, t).item();
  }],
  ['binaryCrossEntropy', N, (L) => {
    const x = L.tensor(probs, [N]);
    const t = L.tensor(labels, [N]);
    return () => L.F.binaryCrossEntropy(x, t).item();
  }],
  ['mseLoss', N, (L) => {
    const x = L.tensor(logits, [N]);
    const t = L.tensor(labels, [N]);
    return () => L.F.mseLoss(x, t).item();
  }],
  // The same with operands already in wasm memory (wasmTensor, README "Zero-copy tensors"):
  // nothing to copy on the calling thread, so both threads spend the call in kernels.
  ['crossEntropy (1000 × 1000), zero-copy', N, (L) => {
    const x = resident(L, logits, [1000, 1000]);
    const y = L.tensor(classes, [1000], { dtype: 'int32' });
    return () => L.F.crossEntropy(x, y).item();
  }],
  ['binaryCrossEntropyWithLogits, zero-copy', N, (L) => {
    const x = resident(L, logits, [N]);
    const t = resident(L, labels, [N]);
    return () => L.F.binaryCrossEntropyWithLogits(x, t).item();
  }],
  ['binaryCrossEntropy, zero-copy', N, (L) => {
    const x = resident(L, probs, [N]);
    const t = resident(L, labels, [N]);
    return () => L.F.binaryCrossEntropy(x, t).item();
  }],
  ['crossEntropy backward', N, (L) => {
    const y = L.tensor(classes, [1000], { dtype: 'int32' });
    return () => {
      const x = L.tensor(logits, [1000, 1000], { requiresGrad: true });
      L.F.crossEntropy(x, y).backward();
      return x.grad.data[0];
    };
  }],
];

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** CPU time (all threads of the process) over wall time of the last `time()`: near 2 when both
 * threads ran at once, near 1 (or below) when other jobs left this process one core (or less). */
let cpuShare = 0;
/** Seconds per call: the best of 3 timings of `reps` calls. */
function time(f, reps) {
  let best = Infinity;
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) f();
    best = Math.min(best, (performance.now() - t0) / reps / 1e3);
  }
  const c = process.cpuUsage(c0);
  cpuShare = (c.user + c.system) / 1e3 / (performance.now() - w0);
  return best;
}

console.log(`# bench/threads: ${process.release.name} ${process.version}, ${T.threadCount()} threads, ${cpus().length} cores (shared with other jobs; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}), ${rounds} rounds`);
console.log('| case | 2 threads M/s | 1 thread M/s | ×(1 thread → 2) median [min–max] | × of best times | × vs baseline module median [min–max] | CPU s per wall s (2 threads) | bit-identical |');
console.log('|---|---|---|---|---|---|---|---|');

const f2 = (v) => v.toFixed(2);
/** Paired rounds of A (one thread), B (split) and C (baseline module, optional), rotating order. */
function compare(name, n, one, two, base, identical) {
  for (let i = 0; i < 5; i++) { one(); two(); base?.(); }
  const reps = Math.max(1, Math.round(0.03 / time(two, 1)));
  const rA = [], rC = [], tB = [], tA = [], share = [];
  for (let r = 0; r < rounds; r++) {
    const order = [['A', one], ['B', two], ...(base ? [['C', base]] : [])];
    for (let k = 0; k < r % order.length; k++) order.push(order.shift());
    const t = {};
    for (const [key, f] of order) {
      t[key] = time(f, reps);
      if (key === 'B') share.push(cpuShare);
    }
    rA.push(t.A / t.B);
    if (base) rC.push(t.C / t.B);
    tB.push(t.B);
    tA.push(t.A);
  }
  const range = (v) => `${f2(median(v))} [${f2(Math.min(...v))}–${f2(Math.max(...v))}]`;
  console.log(`| ${name} | ${(n / median(tB) / 1e6).toFixed(0)} | ${(n / median(tA) / 1e6).toFixed(0)} | ${range(rA)} | ${f2(Math.min(...tA) / Math.min(...tB))} | ${base ? range(rC) : '–'} | ${f2(median(share))} | ${identical} |`);
}

for (const [name, n, make] of cases) {
  if (filter && !filter.test(name)) continue;
  const run = make(T);
  const base = make(B);
  const one = () => { threadsMod.setParallelMinBytes(Infinity); try { return run(); } finally { threadsMod.setParallelMinBytes(); } };
  const vOne = one();
  const vTwo = run();
  const vBase = base();
  const identical = Object.is(vOne, vTwo) && Object.is(vOne, vBase) ? 'yes' : `NO (${vOne} / ${vTwo} / ${vBase})`;
  compare(name, n, one, run, base, identical);
}

// The kernels alone, on operands already in wasm memory (what zero-copy tensors would give):
// crossEntropy's forward export over the 63 chunks of 16 rows, run one after the other on this
// thread (A) vs claimed by both threads (B, ts/threads.ts runJob with nothing to stage).
if (!filter || filter.test('crossEntropy kernels only')) {
  const R = await import(pathToFileURL(join(ROOT, 'dist', 'wasm', 'runtime.js')).href);
  const ex = R.wasm('bench');
  const rows = 1000, c = 1000, per = 16, chunks = Math.ceil(rows / per);
  const px = ex.lossfn_alloc(rows * c * 4) >>> 0;
  const py = ex.lossfn_alloc(rows * 4) >>> 0;
  const ps = ex.lossfn_alloc(chunks * 16 + chunks * 4) >>> 0;
  new Float32Array(ex.memory.buffer, px, rows * c).set(logits);
  new Int32Array(ex.memory.buffer, py, rows).set(classes);
  const calls = [];
  for (let j = 0; j < chunks; j++) {
    const count = Math.min(per, rows - j * per);
    calls.push([px + j * per * c * 4, 0, py + j * per * 4, 0, c, count, c, 1, -100, 1, 0, 0, 0, 0, ps + 16 * j, 2]);
  }
  const f = ex.lossfn_cross_entropy_forward_f32;
  const one = () => { for (const a of calls) f(...a); return 0; };
  const two = () => { threadsMod.runJob(ex, { fn: 'bench', kernel: 'lossfn_cross_entropy_forward_f32', calls, status: ps + 16 * chunks, stage() {} }, () => {}); return 0; };
  compare('crossEntropy kernels only, data in wasm memory', N, one, two, null, '–');
}
T.terminateThreads();
