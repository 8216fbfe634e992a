// `npm run bench`, CLI part: `lossfn eval --loss crossEntropy` end to end (process start to
// result) on a 2e7 × 10 float32 .npy and its int64 labels, with 1 and 2 workers, against
// PyTorch reading the same files with numpy memmap and computing F.cross_entropy in batches of
// the same size at 1 and 2 threads (bench/cli_peer.py). Targets: 2 workers ≥ 1.7× one worker,
// and 2 workers at least as fast as PyTorch at 2 threads.
//
// The files are made once in .bench/ (880 MB; kept for later runs). Knobs: BENCH_CLI_ROWS
// (default 2e7), BENCH_CLI_REPEAT (rounds, best of; default 3), BENCH_PYTHON, BENCH_NO_TORCH=1,
// BENCH_CLI_BASE (another build's dist/cli.js, timed in the same rounds).
// Writes .bench/cli.json and prints a markdown table.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, '.bench');
const env = process.env;
const ROWS = Math.round(Number(env.BENCH_CLI_ROWS ?? 2e7));
const C = 10;
const BATCH = 65536;
const REPEAT = Number(env.BENCH_CLI_REPEAT ?? 3);
const PYTHON = env.BENCH_PYTHON ?? '/usr/bin/python3';
const CLI = path.join(ROOT, 'dist', 'cli.js');
// BENCH_CLI_BASE=<another build's cli.js>: its rows too, interleaved with these (A/B).
const BASE = env.BENCH_CLI_BASE ? path.resolve(env.BENCH_CLI_BASE) : null;
const LOAD0 = loadavg().map((v) => v.toFixed(2)).join(' ');
const log = (...a) => console.error(...a);

function npyHeader(descr, shape) {
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = Math.ceil((11 + dict.length) / 64) * 64;
  dict = dict.padEnd(total - 11, ' ') + '\n';
  const h = Buffer.alloc(total);
  h.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, (total - 10) & 0xff, (total - 10) >> 8]);
  h.write(dict, 10, 'latin1');
  return h;
}

/** Writes the logits/labels .npy pair (seeded, in 1e6-row pieces) unless present with the right size. */
function makeFiles() {
  mkdirSync(OUT, { recursive: true });
  const x = path.join(OUT, `cli_logits_${ROWS}.npy`);
  const y = path.join(OUT, `cli_labels_${ROWS}.npy`);
  const hx = npyHeader('<f4', [ROWS, C]);
  const hy = npyHeader('<i8', [ROWS]);
  if (existsSync(x) && existsSync(y) && statSync(x).size === hx.length + ROWS * C * 4 && statSync(y).size === hy.length + ROWS * 8) return { x, y };
  log(`bench/cli: writing ${x} and ${y}`);
  let s = 0x5eed;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const fx = openSync(x, 'w');
  const fy = openSync(y, 'w');
  writeSync(fx, hx);
  writeSync(fy, hy);
  const piece = 1e6;
  for (let a = 0; a < ROWS; a += piece) {
    const n = Math.min(piece, ROWS - a);
    const xs = Float32Array.from({ length: n * C }, () => 8 * rand() - 4);
    const ys = BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * C)));
    writeSync(fx, new Uint8Array(xs.buffer));
    writeSync(fy, new Uint8Array(ys.buffer));
  }
  closeSync(fx);
  closeSync(fy);
  return { x, y };
}

/** One end-to-end run of `cli` (process start to result): seconds and the printed value. */
function runCli(cli, files, workers) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, 'eval', '--loss', 'crossEntropy', '--input', files.x, '--target', files.y,
    '--workers', String(workers), '--batch-size', String(BATCH), '--format', 'json'], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`lossfn eval failed: ${r.stderr}`);
  return { seconds, value: JSON.parse(r.stdout).results[0].value };
}

/** One PyTorch run (cli_peer.py with repeat 1), or null when the peer is unavailable. */
function runTorch(files, threads) {
  const r = spawnSync(PYTHON, [path.join(ROOT, 'bench', 'cli_peer.py'), files.x, files.y, String(threads), String(BATCH), '1'], { encoding: 'utf8' });
  if (r.status !== 0) {
    log(`bench/cli: PyTorch peer unavailable: ${r.stderr.trim().split('\n').pop()}`);
    return null;
  }
  return JSON.parse(r.stdout);
}

const files = makeFiles();
// Every configuration once per round, rounds repeated: a busy stretch of the shared machine
// hits all of them alike. Best of the rounds, and the range, per configuration.
const configs = [
  { key: 'one', label: 'lossfn eval --workers 1', run: () => runCli(CLI, files, 1) },
  { key: 'two', label: 'lossfn eval --workers 2', run: () => runCli(CLI, files, 2) },
  ...(BASE ? [
    { key: 'baseOne', label: `baseline (${path.relative(ROOT, BASE)}) --workers 1`, run: () => runCli(BASE, files, 1) },
    { key: 'baseTwo', label: `baseline (${path.relative(ROOT, BASE)}) --workers 2`, run: () => runCli(BASE, files, 2) },
  ] : []),
  ...(env.BENCH_NO_TORCH ? [] : [
    { key: 'torch1', label: 'PyTorch 1 thread', run: () => runTorch(files, 1) },
    { key: 'torch2', label: 'PyTorch 2 threads', run: () => runTorch(files, 2) },
  ]),
];
const res = Object.fromEntries(configs.map((c) => [c.key, { times: [], value: NaN, torch: null }]));
for (let k = 0; k < REPEAT; k++) {
  for (const c of configs) {
    const r = c.run();
    if (r === null) continue;
    res[c.key].times.push(r.seconds);
    res[c.key].value = r.value;
    res[c.key].torch = r.torch ?? null;
  }
}
const best = (key) => (res[key]?.times.length ? Math.min(...res[key].times) : null);
const rowsPerS = (s) => (ROWS / s / 1e6).toFixed(2);
const lines = [
  `### lossfn eval (CLI), ${ROWS.toExponential(0)} × ${C} float32 .npy + int64 labels, batches of ${BATCH}, best of ${REPEAT} interleaved rounds`,
  `Node ${process.version}; load average before: ${LOAD0}, after: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`,
  '',
  '| run | seconds (best) | range | M rows/s | value |',
  '|---|---|---|---|---|',
  ...configs.filter((c) => best(c.key) !== null).map((c) => {
    const t = res[c.key].times;
    const label = c.key.startsWith('torch') ? `PyTorch ${res[c.key].torch} memmap, ${c.label.slice(8)}` : c.label;
    return `| ${label} | ${best(c.key).toFixed(2)} | ${Math.min(...t).toFixed(2)}–${Math.max(...t).toFixed(2)} | ${rowsPerS(best(c.key))} | ${res[c.key].value} |`;
  }),
  '',
  `2 workers / 1 worker: ${(best('one') / best('two')).toFixed(2)}× (target ≥ 1.7×)` +
    (best('torch2') ? `; lossfn 2 workers vs PyTorch 2 threads: ${(best('torch2') / best('two')).toFixed(2)}× (target ≥ 1×)` : '') +
    (BASE ? `; vs baseline: 1 worker ${(best('baseOne') / best('one')).toFixed(2)}×, 2 workers ${(best('baseTwo') / best('two')).toFixed(2)}×` : ''),
];
const summary = (key) => (best(key) === null ? null : { seconds: best(key), times: res[key].times, value: res[key].value, ...(res[key].torch ? { torch: res[key].torch } : {}) });
console.log(lines.join('\n'));
writeFileSync(path.join(OUT, 'cli.json'), JSON.stringify({ rows: ROWS, classes: C, batch: BATCH, node: process.version, load: LOAD0,
  ...Object.fromEntries(configs.map((c) => [c.key, summary(c.key)])) }, null, 2));
