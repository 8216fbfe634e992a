// The CLI's memory bound on an input larger than 2 GiB, made on the fly: a generator process
// writes a float32 (N, 10) .npy of 2,147,483,648 bytes (2 GiB) and its int32 labels into two FIFOs
// (nothing on disk), `lossfn eval` reads them in batches on 2 workers, and its peak RSS (the
// process's maxRSS, worker threads included, reported in --format json) must stay under the
// bound the README states: 112 MB + 32 MB per worker + 8 × the bytes of one batch.
// The expected value: the rows repeat one block of B rows (B = the batch size), so every batch
// but the last is that block, and the loss is (full blocks · Σ block + Σ tail) / N.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { F, init, tensor } from '../../ts/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const GEN = join(ROOT, 'test', 'helpers', 'npy-stream.mjs');
const C = 10;
const B = 65536;
const N = Math.ceil((2 ** 31 - 128) / (C * 4)); // 53,687,088 rows: 2,147,483,520 data bytes + a 128-byte header = 2 GiB
const SEED = 11;
const WORKERS = 2;
const MB = 1e6;

let dir: string;
beforeAll(async () => {
  await init();
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first');
  dir = mkdtempSync(join(tmpdir(), 'lossfn-mem-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The block the generator repeats (same PRNG and order as test/helpers/npy-stream.mjs). */
function block(): { x: Float32Array; y: Int32Array } {
  let s = SEED >>> 0;
  const rand = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const x = Float32Array.from({ length: B * C }, () => 6 * rand() - 3);
  const y = Int32Array.from({ length: B }, () => Math.floor(rand() * C));
  return { x, y };
}

it(`scores a ${((N * C * 4 + 128) / 2 ** 30).toFixed(2)} GiB .npy stream in bounded memory`, async () => {
  expect(N * C * 4 + 128).toBeGreaterThanOrEqual(2 ** 31);
  const fx = join(dir, 'logits.npy');
  const fy = join(dir, 'labels.npy');
  execFileSync('mkfifo', [fx, fy]);
  const gen = spawn(process.execPath, [GEN, fx, fy, String(N), String(C), String(B), String(SEED)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let genErr = '';
  gen.stderr.on('data', (d) => (genErr += String(d)));
  const t0 = Date.now();
  const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [CLI, 'eval', '--loss', 'crossEntropy', '--input', fx, '--target', fy, '--workers', String(WORKERS),
      '--batch-size', String(B), '--format', 'json'], { timeout: 600_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
  gen.kill();
  const seconds = (Date.now() - t0) / 1000;
  expect(run.code, `${run.stderr}\n${genErr}`).toBe(0);
  const out = JSON.parse(run.stdout) as { results: { value: number }[]; rows: number; peakRssBytes: number };
  expect(out.rows).toBe(N);
  const { x, y } = block();
  const full = Math.floor(N / B);
  const tail = N - full * B;
  const sum = (n: number): number => F.crossEntropy(tensor(x.subarray(0, n * C), [n, C]), tensor(y.subarray(0, n)), { reduction: 'sum' }).item();
  const want = (full * sum(B) + sum(tail)) / N;
  expect(Math.abs(out.results[0].value - want)).toBeLessThanOrEqual(1e-6 * want);
  const batchBytes = B * (C * 4 + 4);
  const bound = 112 * MB + 32 * MB * WORKERS + 8 * batchBytes;
  console.log(`[memory.test] ${(N * C * 4 / 2 ** 30).toFixed(2)} GiB in ${seconds.toFixed(1)} s; peak RSS ${(out.peakRssBytes / MB).toFixed(0)} MB (bound ${(bound / MB).toFixed(0)} MB)`);
  expect(out.peakRssBytes).toBeLessThanOrEqual(bound);
}, 600_000);
