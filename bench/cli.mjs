// `npm run bench`, CLI part: `lossfn eval --loss crossEntropy` end to end (process start to
// result) on a 2e7 × 10 float32 .npy and its int64 labels, with 1 and 2 workers, against
// PyTorch reading the same files with numpy memmap and computing F.cross_entropy in batches of
// the same size at 1 and 2 threads (bench/cli_peer.py). Targets: 2 workers ≥ 1.7× one worker,
// and 2 workers at least as fast as PyTorch at 2 threads.
//
// The files are made once in .bench/ (880 MB; kept for later runs). Knobs: BENCH_CLI_ROWS
// (default 2e7), BENCH_CLI_REPEAT (best of, default 3), BENCH_PYTHON, BENCH_NO_TORCH=1.
// Writes .bench/cli.json and prints a markdown table.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
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

function timeCli(files, workers) {
  let best = Infinity;
  let value = NaN;
  for (let k = 0; k < REPEAT; k++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'eval', '--loss', 'crossEntropy', '--input', files.x, '--target', files.y,
      '--workers', String(workers), '--batch-size', String(BATCH), '--format', 'json'], { encoding: 'utf8' });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`lossfn eval failed: ${r.stderr}`);
    value = JSON.parse(r.stdout).results[0].value;
    best = Math.min(best, s);
  }
  return { seconds: best, value };
}

function timeTorch(files, threads) {
  if (env.BENCH_NO_TORCH) return null;
  const r = spawnSync(PYTHON, [path.join(ROOT, 'bench', 'cli_peer.py'), files.x, files.y, String(threads), String(BATCH), String(REPEAT)], { encoding: 'utf8' });
  if (r.status !== 0) {
    log(`bench/cli: PyTorch peer unavailable: ${r.stderr.trim().split('\n').pop()}`);
    return null;
  }
  return JSON.parse(r.stdout);
}

const files = makeFiles();
const one = timeCli(files, 1);
const two = timeCli(files, 2);
const t1 = timeTorch(files, 1);
const t2 = timeTorch(files, 2);
const rowsPerS = (s) => (ROWS / s / 1e6).toFixed(2);
const lines = [
  `### lossfn eval (CLI), ${ROWS.toExponential(0)} × ${C} float32 .npy + int64 labels, batches of ${BATCH}, best of ${REPEAT}`,
  '',
  '| run | seconds | M rows/s | value |',
  '|---|---|---|---|',
  `| lossfn eval --workers 1 | ${one.seconds.toFixed(2)} | ${rowsPerS(one.seconds)} | ${one.value} |`,
  `| lossfn eval --workers 2 | ${two.seconds.toFixed(2)} | ${rowsPerS(two.seconds)} | ${two.value} |`,
  ...(t1 ? [`| PyTorch ${t1.torch} memmap, 1 thread | ${t1.seconds.toFixed(2)} | ${rowsPerS(t1.seconds)} | ${t1.value} |`] : []),
  ...(t2 ? [`| PyTorch ${t2.torch} memmap, 2 threads | ${t2.seconds.toFixed(2)} | ${rowsPerS(t2.seconds)} | ${t2.value} |`] : []),
  '',
  `2 workers / 1 worker: ${(one.seconds / two.seconds).toFixed(2)}× (target ≥ 1.7×)` +
    (t2 ? `; lossfn 2 workers vs PyTorch 2 threads: ${(t2.seconds / two.seconds).toFixed(2)}× (target ≥ 1×)` : ''),
];
console.log(lines.join('\n'));
writeFileSync(path.join(OUT, 'cli.json'), JSON.stringify({ rows: ROWS, classes: C, batch: BATCH, one, two, torch1: t1, torch2: t2 }, null, 2));
