// `npm run bench`: lossfn against a naive JS loop, TF.js 4.22 (cpu and wasm backends) and
// PyTorch (1 thread, when /usr/bin/python3 has torch), at N = 1e3 … 1e7 float32 elements.
//
// Every timed call starts from plain typed arrays and ends with a JS number, copies included:
//   lossfn:  F.xxx(tensor(x), tensor(t)).item()
//   TF.js:   tf.tensor1d(x) …, the tf.losses.* call, dataSync(), dispose
//   PyTorch: F.xxx(x, t).item() on torch tensors (bench/torch_peer.py)
// Prints the versions, the machine and a markdown table; writes .bench/results.json and
// .bench/results.md.
//
// Knobs (environment): BENCH_SIZES=1e3,1e6  BENCH_FILTER=regex (on loss names)
//   BENCH_MIN_TIME=0.3 (seconds per measurement)  BENCH_NO_TFJS=1  BENCH_NO_TORCH=1
//   BENCH_PYTHON=/usr/bin/python3  BENCH_SIMD=baseline|relaxed (lossfn's module; default: what
//   init() picks on this engine)
// `npm run bench` runs this on Node 24 (scripts/bench.sh); bench/runtimes.mjs compares runtimes.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { F, init, tensor, wasmVariant } from 'lossfn';

import { makeEntries, rng } from './entries.mjs';
import { measure } from './measure.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;

const SIZES = (env.BENCH_SIZES ?? '1e3,1e5,1e6,1e7').split(',').map((s) => Math.round(Number(s)));
const TARGET_N = 1e6;
/** Sample windows at TARGET_N (best median kept), for every implementation alike. */
const TARGET_ROUNDS = Number(env.BENCH_TARGET_ROUNDS ?? 3);
const FILTER = env.BENCH_FILTER ? new RegExp(env.BENCH_FILTER) : null;
const TIMING = {
  minTime: Number(env.BENCH_MIN_TIME ?? 0.3), // seconds of samples per measurement
  minSamples: 7,
  slowSamples: 3, // when one call takes ≥ 100 ms
  sampleMs: 5, // calls per sample calibrated to ~5 ms
  warmMs: 100,
};
/** A peer is skipped at a size when its previous size predicts more than this per call. */
const SLOW_SKIP_MS = Number(env.BENCH_SLOW_SKIP_MS ?? 1000);
/** Relative disagreement with the naive loop that gets a warning. */
const TOL = { lossfn: 1e-4, peer: 2e-3 };
const SEED = 0x1055f;

const log = (...a) => console.error(...a);

// ── environment ─────────────────────────────────────────────────────────────────────────────

function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    /* not Linux */
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const machine = {
  cpu: cpuModel(),
  cores: os.availableParallelism?.() ?? os.cpus().length,
  memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
  platform: `${os.type()} ${os.release()} ${os.arch()}`,
  loadAvgStart: +os.loadavg()[0].toFixed(2),
};
const versions = { node: process.version, v8: process.versions.v8, lossfn: pkg.version };

await init(env.BENCH_SIMD ? { simd: env.BENCH_SIMD } : {});
versions.lossfnModule = wasmVariant();
const entries = makeEntries({ F, tensor }).filter((e) => !FILTER || FILTER.test(e.name));

// ── TF.js ───────────────────────────────────────────────────────────────────────────────────

let tf = null;
const tfBackends = [];
const notes = [];
if (env.BENCH_NO_TFJS) {
  notes.push('TF.js skipped (BENCH_NO_TFJS).');
} else {
  try {
    tf = await import('@tensorflow/tfjs-core');
    tf.enableProdMode(); // no debug checks, no console banner
    const cpu = await import('@tensorflow/tfjs-backend-cpu');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Node: the single-threaded SIMD binary, read from disk (no network).
    wasm.setWasmPaths(path.join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep);
    versions.tfjs = `${tf.version_core} (backend-cpu ${cpu.version_cpu}, backend-wasm ${wasm.version_wasm})`;
    for (const b of ['cpu', 'wasm']) {
      try {
        if (!(await tf.setBackend(b))) throw new Error(`tf.setBackend('${b}') returned false`);
        await tf.ready();
        tfBackends.push(b);
      } catch (e) {
        notes.push(`TF.js ${b} backend unavailable: ${e?.message ?? e}`);
      }
    }
    if (tfBackends.includes('wasm')) {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      machine.tfjsWasm = `${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'threads' : 'single-threaded (TF.js disables threads in Node)'}`;
    }
  } catch (e) {
    tf = null;
    notes.push(`TF.js unavailable: ${e?.message ?? e}`);
  }
}

// ── PyTorch availability ────────────────────────────────────────────────────────────────────

const PYTHON = env.BENCH_PYTHON ?? '/usr/bin/python3';
let torchOk = false;
if (env.BENCH_NO_TORCH) {
  notes.push('PyTorch skipped (BENCH_NO_TORCH).');
} else {
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.status === 0) {
    torchOk = true;
    versions.torch = probe.stdout.trim();
  } else {
    const why = probe.error ? probe.error.message : (probe.stderr || '').trim().split('\n').pop();
    notes.push(`PyTorch column empty: \`${PYTHON} -c 'import torch'\` failed (${why}).`);
  }
}

log(`lossfn bench — node ${versions.node}, lossfn ${versions.lossfn}, tfjs ${versions.tfjs ?? 'n/a'}, torch ${versions.torch ?? 'n/a'}`);
log(`machine: ${machine.cpu}, ${machine.cores} logical cores, ${machine.memoryGiB} GiB`);
log(`sizes: ${SIZES.join(', ')}; losses: ${entries.map((e) => e.name).join(', ')}`);

// ── the JS-side measurements ────────────────────────────────────────────────────────────────

const relDiff = (a, b) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
const warnings = [];
const rows = [];

function record(fn, inputs, n) {
  try {
    return measure(fn, inputs, TIMING, n === TARGET_N ? TARGET_ROUNDS : 1);
  } catch (e) {
    return { error: String(e?.message ?? e).split('\n')[0] };
  }
}

const started = performance.now();
for (const e of entries) {
  /** Per peer: seconds per call at the previous size, to skip predictably slow sizes. */
  const prev = {};
  // An entry with `sizes` runs at those sizes only (one fixed configuration).
  for (const n of e.sizes ?? SIZES) {
    const inputs = e.make(n, rng(SEED));
    const row = { name: e.name, label: e.label, unit: e.unit, size: n, n: inputs.n ?? n, results: {} };
    const r = row.results;
    const slow = (peer) => {
      const p = prev[peer];
      return p && p.n && p.median * (n / p.n) * 1e3 > SLOW_SKIP_MS ? p.median * (n / p.n) * 1e3 : 0;
    };
    r.lossfn = record(e.lossfn, inputs, n);
    r.naive = record(e.naive, inputs, n);
    if (tf && e.tfjs) {
      for (const b of tfBackends) {
        const key = `tfjs-${b}`;
        const est = slow(key);
        if (est) {
          r[key] = { skipped: `est. ${(est / 1e3).toFixed(1)} s/call` };
          continue;
        }
        await tf.setBackend(b);
        const before = tf.memory().numTensors;
        r[key] = record((x) => e.tfjs(tf, x), inputs, n);
        const leaked = tf.memory().numTensors - before;
        if (leaked) warnings.push(`${e.name} N=${n} ${key}: ${leaked} tensors leaked`);
      }
    }
    for (const [k, v] of Object.entries(r)) if (v.median) prev[k] = { n, median: v.median };
    // Agreement with the naive loop (same inputs).
    const ref = r.naive.value;
    for (const [k, v] of Object.entries(r)) {
      if (k === 'naive' || v.value === undefined) continue;
      const d = relDiff(v.value, ref);
      if (!(d <= (k === 'lossfn' ? TOL.lossfn : TOL.peer))) {
        warnings.push(`${e.name} N=${n}: ${k} = ${v.value} vs naive ${ref} (rel. diff ${d.toExponential(2)})`);
      }
    }
    rows.push(row);
    const mps = (v) => (v.median ? `${(row.n / v.median / 1e6).toFixed(0)} M/s` : v.error ? 'error' : v.skipped ? 'skipped' : '-');
    log(`  ${e.label.padEnd(40)} N=${String(row.n).padEnd(9)} ${Object.entries(r).map(([k, v]) => `${k} ${mps(v)}`).join(', ')}`);
  }
}
const jsSeconds = (performance.now() - started) / 1e3;

// ── PyTorch peer ────────────────────────────────────────────────────────────────────────────

let torchInfo = null;
if (torchOk) {
  const job = {
    ...TIMING,
    targetN: TARGET_N,
    targetRounds: TARGET_ROUNDS,
    entries: entries.filter((e) => e.torch).map((e) => ({ name: e.name, sizes: e.sizes ?? SIZES, setup: e.torch.setup, call: e.torch.call })),
  };
  log(`running the PyTorch peer (${PYTHON} bench/torch_peer.py, 1 thread)…`);
  const t0 = performance.now();
  const p = spawnSync(PYTHON, [path.join(ROOT, 'bench/torch_peer.py')], {
    input: JSON.stringify(job),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
  });
  if (p.status === 0) {
    torchInfo = JSON.parse(p.stdout);
    torchInfo.seconds = (performance.now() - t0) / 1e3;
    versions.torch = torchInfo.torch + (torchInfo.torchvision ? ` (torchvision ${torchInfo.torchvision})` : '');
    for (const [k, msg] of Object.entries(torchInfo.errors)) warnings.push(`torch ${k}: ${msg}`);
    for (const row of rows) {
      const t = torchInfo.results[row.name]?.[String(row.size)];
      if (t) {
        row.results.torch = t;
        // Different (seeded) data: agreement within 5 % only says that the formulas match.
        const d = relDiff(t.value, row.results.naive.value);
        if (row.n >= 1e5 && d > 0.05) warnings.push(`${row.name} N=${row.n}: torch value ${t.value} vs naive ${row.results.naive.value} (different data, rel. diff ${d.toFixed(3)})`);
      }
    }
  } else {
    notes.push(`PyTorch peer failed (exit ${p.status}${p.error ? `: ${p.error.message}` : ''}).`);
  }
}

machine.loadAvgEnd = +os.loadavg()[0].toFixed(2);

// ── report ──────────────────────────────────────────────────────────────────────────────────

const PEERS = [
  ['naive', 'naive JS'],
  ['tfjs-cpu', 'TF.js cpu'],
  ['tfjs-wasm', 'TF.js wasm'],
  ['torch', 'PyTorch'],
];
const fmtRate = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtRatio = (x) => (x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`);
const fmtN = (n) => {
  const k = Math.log10(n);
  return Number.isInteger(k) ? `1e${k}` : String(n);
};
const rate = (row, v) => (v && v.median ? row.n / v.median / 1e6 : null);
const cell = (row, v) => {
  if (!v) return '—';
  if (v.error) return 'error';
  if (v.skipped) return 'skipped';
  return fmtRate(rate(row, v));
};

for (const row of rows) {
  const own = rate(row, row.results.lossfn);
  row.mps = {};
  row.ratios = {};
  for (const [k, v] of Object.entries(row.results)) {
    const m = rate(row, v);
    if (m !== null) row.mps[k] = m;
  }
  for (const [k] of PEERS) if (own !== null && row.mps[k]) row.ratios[k] = own / row.mps[k];
  const e = entries.find((x) => x.name === row.name);
  // The target applies at N = 1e6, or at an entry's own fixed size.
  if (e.target && (row.n === TARGET_N || e.sizes)) {
    row.target = e.target;
    row.status = own === null ? 'ERROR' : own >= e.target ? 'PASS' : 'MISS';
  }
}

const header = [
  'Loss', 'N', 'lossfn M/s', ...PEERS.map(([, h]) => `${h} M/s`),
  ...PEERS.map(([, h]) => `lossfn / ${h}`), `target @ N=1e6`,
];
const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`];
for (const row of rows) {
  const r = row.results;
  const e = entries.find((x) => x.name === row.name);
  const nCell = e.unit === 'logits' ? `${fmtN(row.n)} (${row.n / 1000}×1000)` : fmtN(row.n);
  const cells = [
    e.unit === 'logits' ? `${row.label} ‡` : row.label,
    nCell,
    cell(row, r.lossfn),
    ...PEERS.map(([k]) => cell(row, r[k])),
    ...PEERS.map(([k]) => (row.ratios[k] ? fmtRatio(row.ratios[k]) : '—')),
    row.target ? `≥ ${row.target} **${row.status}**` : '',
  ];
  lines.push(`| ${cells.join(' | ')} |`);
}
const table = lines.join('\n');

const peerNotes = [];
for (const e of entries) {
  if (e.tfjsNote) peerNotes.push(`- ${e.label}: TF.js ${e.tfjsNote}.`);
  if (e.torch?.note) peerNotes.push(`- ${e.label}: PyTorch ${e.torch.note}.`);
  if (e.sizeNote) peerNotes.push(`- ${e.label}: ${e.sizeNote}.`);
}
const noTfjs = entries.filter((e) => !e.tfjs).map((e) => e.name);
if (noTfjs.length) peerNotes.push(`- TF.js 4.22 has no ${noTfjs.join(', ')} in \`tf.losses\` (column —).`);
const skipped = rows.flatMap((row) =>
  Object.entries(row.results).filter(([, v]) => v.skipped).map(([k, v]) => `${row.label} N=${fmtN(row.n)} ${k} (${v.skipped})`),
);
const errors = rows.flatMap((row) =>
  Object.entries(row.results).filter(([, v]) => v.error).map(([k, v]) => `${row.label} N=${fmtN(row.n)} ${k}: ${v.error}`),
);
const targets = rows.filter((r) => r.status);

const md = [
  '## Benchmark',
  '',
  `Millions of elements per second (higher is better; crossEntropy ‡: millions of logits per second), median of ≥ ${TIMING.minSamples} samples (${TIMING.slowSamples} when a call takes over 100 ms) over ≥ ${TIMING.minTime} s after warm-up (at N = 1e6: the best of ${TARGET_ROUNDS} such medians), float32, \`reduction: 'mean'\`, one thread everywhere. Every call starts from plain typed arrays and ends with a JS number: copies in and out are included (lossfn: \`F.xxx(tensor(x), tensor(t)).item()\`; TF.js: tensor creation, the \`tf.losses\` call, \`dataSync()\`, dispose; PyTorch: \`F.xxx(x, t).item()\` on CPU tensors). "lossfn / X" is lossfn's speed over X's.`,
  '',
  `- Machine: ${machine.cpu}, ${machine.cores} logical cores, ${machine.memoryGiB} GiB, ${machine.platform}; 1-minute load average ${machine.loadAvgStart} at the start, ${machine.loadAvgEnd} at the end (other processes skew the numbers)`,
  `- Node ${versions.node} (V8 ${versions.v8}), lossfn ${versions.lossfn} (${versions.lossfnModule === 'relaxed' ? 'relaxed-SIMD' : 'baseline SIMD128'} module), TF.js ${versions.tfjs ?? 'n/a'}${machine.tfjsWasm ? ` (wasm: ${machine.tfjsWasm})` : ''}, PyTorch ${versions.torch ?? 'n/a'}${torchInfo ? ` (Python ${torchInfo.python}, torch.set_num_threads(${torchInfo.threads}))` : ''}`,
  '',
  table,
  '',
  ...(targets.length
    ? [`Targets at N = 1e6: ${targets.filter((r) => r.status === 'PASS').length}/${targets.length} met${targets.some((r) => r.status !== 'PASS') ? ` (missed: ${targets.filter((r) => r.status !== 'PASS').map((r) => `${r.label} ${r.mps.lossfn ? fmtRate(r.mps.lossfn) : 'error'} < ${r.target}`).join('; ')})` : ''}.`, '']
    : []),
  'Notes:',
  '',
  '- naive JS: a plain for-loop over the Float32Arrays of the same formula, summed in a JS number (float64), divided for the mean.',
  ...peerNotes,
  ...(skipped.length ? [`- Skipped as too slow (a call at the previous size predicted > ${SLOW_SKIP_MS} ms): ${skipped.join('; ')}.`] : []),
  ...(errors.length ? [`- Errors: ${errors.join('; ')}.`] : []),
  ...notes.map((n) => `- ${n}`),
  '',
  ...(warnings.length
    ? ['Checks (each result against the naive loop on the same data; PyTorch on its own seeded data):', '', ...warnings.map((w) => `- ${w}`), '']
    : ['Checks: every result agrees with the naive loop on the same data (lossfn within 1e-4 relative, TF.js within 2e-3).', '']),
].join('\n');

const results = {
  date: new Date().toISOString(),
  machine,
  versions,
  timing: { ...TIMING, targetN: TARGET_N, targetRounds: TARGET_ROUNDS, sizes: SIZES, slowSkipMs: SLOW_SKIP_MS, jsSeconds, torchSeconds: torchInfo?.seconds ?? null },
  rows,
  warnings,
  notes,
};
mkdirSync(path.join(ROOT, '.bench'), { recursive: true });
writeFileSync(path.join(ROOT, '.bench/results.json'), JSON.stringify(results, null, 2) + '\n');
writeFileSync(path.join(ROOT, '.bench/results.md'), md);

console.log(md);
console.log(`(JS side ${jsSeconds.toFixed(0)} s${torchInfo ? `, PyTorch peer ${torchInfo.seconds.toFixed(0)} s` : ''}; written to .bench/results.json and .bench/results.md)`);
