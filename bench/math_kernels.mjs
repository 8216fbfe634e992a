// Kernel-level timing of the math-heavy exports, without the TS layer or any JS copies:
// instantiates a lossfn module directly (default dist/lossfn.wasm), fills wasm memory once
// with deterministic data and times each export on it. Prints ns/element and M elem/s
// (best of several rounds: the machine is small and shared, so medians wander).
//
// Usage: node bench/math_kernels.mjs [module.wasm …]   (several modules: compared side by side,
//        interleaved round by round, with each module's ratio to the first and that ratio's
//        spread over the rounds). Modules of ABI 2 (before the row driver) and 3 both work.
//        Runs under Bun too (`node_modules/.bin/bun bench/math_kernels.mjs …`): JavaScriptCore's
//        code for the same modules.
// Knobs: MK_N=1e6 (elements), MK_ROUNDS=5, MK_MS=150 (timed milliseconds per round),
//        MK_FILTER=regex (on row names)

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const N = Math.round(Number(env.MK_N ?? 1e6));
const ROUNDS = Number(env.MK_ROUNDS ?? 5);
const MS = Number(env.MK_MS ?? 150);
const FILTER = env.MK_FILTER ? new RegExp(env.MK_FILTER) : null;
const CE_ROWS = 1000;
const CE_CLASSES = 1000;
// Narrow rows (a 10-class classifier, the CLI benchmark's shape): timed per row.
const NARROW_ROWS = 65536;
const NARROW_CLASSES = 10;

const files = process.argv.slice(2);
if (files.length === 0) files.push(path.join(ROOT, 'dist/lossfn.wasm'));

/** Deterministic xorshift32 in [0, 1). */
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

async function load(file) {
  const { instance } = await WebAssembly.instantiate(readFileSync(file), {});
  const ex = instance.exports;
  const mem = () => ex.memory.buffer;
  const alloc = (bytes) => {
    const p = ex.lossfn_alloc(bytes);
    if (!p) throw new Error('lossfn_alloc failed');
    return p;
  };
  const f32 = (n, fill) => {
    const p = alloc(4 * n);
    const a = new Float32Array(mem(), p, n);
    for (let i = 0; i < n; i++) a[i] = fill(i);
    return p;
  };
  const r = rng(0x5eed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const n = N;
  const d = {
    // logits / log-rates ~ N(0, 2²); targets for Poisson: counts 0..9
    xn: f32(n, () => 2 * gauss()),
    tn: f32(n, () => 2 * gauss()),
    counts: f32(n, () => Math.floor(10 * r())),
    pos: f32(n, () => 10 * r()),
    pos2: f32(n, () => 10 * r()),
    prob: f32(n, () => 0.001 + 0.998 * r()),
    bits: f32(n, () => (r() < 0.5 ? 0 : 1)),
    var: f32(n, () => 0.1 + 2 * r()),
    logits: f32(CE_ROWS * CE_CLASSES, () => 3 * gauss()),
    logits2: f32(CE_ROWS * CE_CLASSES, () => 3 * gauss()),
    gx: f32(Math.max(n, CE_ROWS * CE_CLASSES), () => 0),
    gt: f32(n, () => 0),
    gt2: f32(CE_ROWS * CE_CLASSES, () => 0),
    out: f32(n, () => 0),
    sum: alloc(16),
  };
  d.yIdx = alloc(4 * CE_ROWS);
  const ys = new Int32Array(mem(), d.yIdx, CE_ROWS);
  for (let i = 0; i < CE_ROWS; i++) ys[i] = Math.floor(r() * CE_CLASSES);
  d.narrow = f32(NARROW_ROWS * NARROW_CLASSES, () => 8 * r() - 4);
  d.narrowOut = f32(NARROW_ROWS, () => 0);
  d.yNarrow = alloc(4 * NARROW_ROWS);
  const yn = new Int32Array(mem(), d.yNarrow, NARROW_ROWS);
  for (let i = 0; i < NARROW_ROWS; i++) yn[i] = Math.floor(r() * NARROW_CLASSES);
  return { ex, d };
}

/** [name, elements per call, (ex, d) => call]. Status is checked once per module. */
const CASES = [
  ['poisson fwd (exp)', N, (e, d) => e.lossfn_poisson_nll_loss_forward_f32(d.xn, d.counts, 0, 0, N, 1, 0, 1e-8, 0, d.sum)],
  ['poisson fwd, out', N, (e, d) => e.lossfn_poisson_nll_loss_forward_f32(d.xn, d.counts, 0, 0, N, 1, 0, 1e-8, d.out, d.sum)],
  ['poisson bwd (exp)', N, (e, d) => e.lossfn_poisson_nll_loss_backward_f32(d.xn, d.counts, 0, 0, N, 1, 0, 1e-8, 0, 1, d.gx, 0, 0)],
  ['poisson fwd !log (ln)', N, (e, d) => e.lossfn_poisson_nll_loss_forward_f32(d.pos, d.counts, 0, 0, N, 0, 0, 1e-8, 0, d.sum)],
  ['gaussian nll fwd (ln)', N, (e, d) => e.lossfn_gaussian_nll_loss_forward_f32(d.xn, d.tn, d.var, 0, N, 0, 1e-6, 0, 0, d.sum)],
  ['msle fwd (2×log1p)', N, (e, d) => e.lossfn_mean_squared_logarithmic_error_forward_f32(d.pos, d.pos2, 0, 0, N, 0, 0, 0, 0, d.sum)],
  ['msle bwd (2×log1p)', N, (e, d) => e.lossfn_mean_squared_logarithmic_error_backward_f32(d.pos, d.pos2, 0, 0, N, 0, 0, 0, 0, 1, d.gx, d.gt, 0)],
  ['logCosh fwd', N, (e, d) => e.lossfn_log_cosh_forward_f32(d.xn, d.tn, 0, 0, N, 0, 0, 0, 0, d.sum)],
  ['logCosh bwd (tanh)', N, (e, d) => e.lossfn_log_cosh_backward_f32(d.xn, d.tn, 0, 0, N, 0, 0, 0, 0, 1, d.gx, 0, 0)],
  // Row losses: ABI 3 is the row driver's one signature (crates/wasm/src/rows.rs); ABI 2 had one per loss.
  ['crossEntropy fwd 1000²', CE_ROWS * CE_CLASSES, (e, d) => (e.lossfn_abi_version() >= 3
    ? e.lossfn_cross_entropy_forward_f32(d.logits, 0, d.yIdx, 0, CE_CLASSES, CE_ROWS, CE_CLASSES, 1, -100, 1, 0, 0, 0, 0, d.sum, 2)
    : e.lossfn_cross_entropy_forward_f32(d.logits, CE_ROWS, CE_CLASSES, d.yIdx, 0, 0, -100, 0, 0, d.sum))],
  ['crossEntropy bwd 1000²', CE_ROWS * CE_CLASSES, (e, d) => (e.lossfn_abi_version() >= 3
    ? e.lossfn_cross_entropy_backward_f32(d.logits, 0, d.yIdx, 0, CE_CLASSES, CE_ROWS, CE_CLASSES, 1, -100, 1, 0, 0, 0, 0, 1e-6, d.gx, 0)
    : e.lossfn_cross_entropy_backward_f32(d.logits, CE_ROWS, CE_CLASSES, d.yIdx, 0, 0, -100, 0, 0, 1e-6, d.gx, 0))],
  ['softmaxFocal bwd 1000² γ=2', CE_ROWS * CE_CLASSES, (e, d) => (e.lossfn_abi_version() >= 3
    ? e.lossfn_softmax_focal_loss_backward_f32(d.logits, 0, d.yIdx, 0, CE_CLASSES, CE_ROWS, CE_CLASSES, 1, -100, 1, 2, 0, 0, 0, 1e-6, d.gx, 0)
    : e.lossfn_softmax_focal_loss_backward_f32(d.logits, CE_ROWS, CE_CLASSES, d.yIdx, 0, -100, 2, 0, 1e-6, d.gx))],
  ['distillation fwd 1000² T=2', CE_ROWS * CE_CLASSES, (e, d) => (e.lossfn_abi_version() >= 3
    ? e.lossfn_distillation_loss_forward_f32(d.logits, d.logits2, 0, 0, CE_CLASSES, CE_ROWS, CE_CLASSES, 0, 0, 0, 2, 0, 0, 0, d.sum, 2)
    : e.lossfn_distillation_loss_forward_f32(d.logits, d.logits2, CE_ROWS, CE_CLASSES, 2, 0, d.sum))],
  ['distillation bwd 1000² T=2', CE_ROWS * CE_CLASSES, (e, d) => (e.lossfn_abi_version() >= 3
    ? e.lossfn_distillation_loss_backward_f32(d.logits, d.logits2, 0, 0, CE_CLASSES, CE_ROWS, CE_CLASSES, 0, 0, 0, 2, 0, 0, 0, 1e-6, d.gx, d.gt2)
    : e.lossfn_distillation_loss_backward_f32(d.logits, d.logits2, CE_ROWS, CE_CLASSES, 2, 0, 1e-6, d.gx, d.gt2))],
  ['crossEntropy fwd (65536, 10), per row', NARROW_ROWS, (e, d) =>
    e.lossfn_cross_entropy_forward_f32(d.narrow, 0, d.yNarrow, 0, NARROW_CLASSES, NARROW_ROWS, NARROW_CLASSES, 1, -100, 1, 0, 0, 0, 0, d.sum, 2)],
  ['crossEntropy fwd (65536, 10) none, per row', NARROW_ROWS, (e, d) =>
    e.lossfn_cross_entropy_forward_f32(d.narrow, 0, d.yNarrow, 0, NARROW_CLASSES, NARROW_ROWS, NARROW_CLASSES, 1, -100, 1, 0, 0, 0, d.narrowOut, d.sum, 2)],
  ['BCE-with-logits fwd', N, (e, d) => e.lossfn_binary_cross_entropy_with_logits_forward_f32(d.xn, d.bits, 0, 0, N, 0, 0, 0, 0, d.sum)],
  ['BCE-with-logits bwd', N, (e, d) => e.lossfn_binary_cross_entropy_with_logits_backward_f32(d.xn, d.bits, 0, 0, N, 0, 0, 0, 0, 1, d.gx, 0, 0)],
  ['BCE fwd (ln, log1p)', N, (e, d) => e.lossfn_binary_cross_entropy_forward_f32(d.prob, d.bits, 0, 0, N, 0, 0, 0, 0, d.sum)],
  ['sigmoidFocal fwd (α=.25 γ=2)', N, (e, d) => e.lossfn_sigmoid_focal_loss_forward_f32(d.xn, d.bits, 0, 0, N, 0.25, 2, 0, 0, d.sum)],
  ['sigmoidFocal bwd', N, (e, d) => e.lossfn_sigmoid_focal_loss_backward_f32(d.xn, d.bits, 0, 0, N, 0.25, 2, 0, 0, 1, d.gx, 0, 0)],
  ['klDiv fwd (ln)', N, (e, d) => e.lossfn_kl_div_forward_f32(d.xn, d.prob, 0, 0, N, 0, 0, 0, 0, d.sum)],
  ['l1 fwd (memory floor)', N, (e, d) => e.lossfn_l1_loss_forward_f32(d.xn, d.tn, 0, 0, N, 0, 0, 0, 0, d.sum)],
].filter(([name]) => !FILTER || FILTER.test(name));

/** Fastest call (seconds) within one round of MS milliseconds. */
function round(fn) {
  const start = performance.now();
  let calls = 0;
  let fastest = Infinity;
  while (performance.now() - start < MS || calls < 3) {
    const s = performance.now();
    fn();
    fastest = Math.min(fastest, performance.now() - s);
    calls++;
  }
  return fastest / 1e3;
}

const mods = [];
for (const f of files) mods.push({ file: path.relative(process.cwd(), f) || f, ...(await load(f)) });

const rows = [];
for (const [name, elems, call] of CASES) {
  const live = mods.filter(({ ex }) => ex[call.toString().match(/e\.(lossfn_\w+)/)[1]]);
  for (const { ex, d } of live) {
    const st = call(ex, d);
    if (st !== 0) throw new Error(`${name}: status ${st}`);
    for (let i = 0; i < 3; i++) call(ex, d);
  }
  // Rounds interleave the modules (A, B, A, B, …) so that a noisy stretch of the machine hits
  // every module alike; per-round ratios to the first module give the spread.
  const best = live.map(() => Infinity);
  const ratios = live.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    const t = live.map(({ ex, d }) => round(() => call(ex, d)));
    t.forEach((v, i) => {
      best[i] = Math.min(best[i], v);
      ratios[i].push(t[0] / v);
    });
  }
  const row = [name];
  for (const m of mods) {
    const i = live.indexOf(m);
    if (i < 0) {
      row.push('n/a');
      continue;
    }
    const s = best[i];
    const rs = ratios[i];
    const speed = i === 0 ? '' : `  ×${(best[0] / s).toFixed(2)} (${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)})`;
    row.push(`${((s / elems) * 1e9).toFixed(3)} ns  ${(elems / s / 1e6).toFixed(0).padStart(5)} M/s${speed}`);
  }
  rows.push(row);
}

const header = ['kernel (float32, in-memory)', ...mods.map((m) => m.file)];
const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => '| ' + r.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join(' | ') + ' |';
console.log(`N = ${N} (crossEntropy ${CE_ROWS}×${CE_CLASSES}), best of ${ROUNDS} interleaved rounds of ${MS} ms;`);
console.log('×r (lo–hi): speed relative to the first module (> 1 is faster), and its range over the rounds');
console.log(line(header));
console.log('|' + w.map((n, i) => (i ? '-'.repeat(n + 1) + ':' : ':' + '-'.repeat(n + 1))).join('|') + '|');
for (const r of rows) console.log(line(r));
