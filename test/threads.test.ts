// init({ threads: 2 }) (ts/threads.ts, README "Two threads"): every loss that goes through the
// elementwise or the whole-row driver gives the same bits — values and gradients — split across
// the pool as on one thread; errors keep the function's name; the pool never keeps a process
// alive. "One thread" is the same module with splitting switched off (setParallelMinBytes(∞)),
// i.e. exactly the one-thread loops; every call split (setParallelMinBytes(0)) is the other side.
// bench/threads.mjs also checks the results against the baseline module (dist/lossfn.wasm).
// (Vitest isolates test files, so this file has its own, threaded, instance.)

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F, init, tensor, terminateThreads, threadCount, wasmTensor, type Tensor } from '../ts/index.js';
import { runJob, setParallelMinBytes } from '../ts/threads.js';
import { check, wasm } from '../ts/wasm/runtime.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

beforeAll(async () => {
  await init({ threads: 2 });
});
afterAll(() => terminateThreads());

function rand(n: number, seed: number, f: (u: number) => number): number[] {
  let s = seed >>> 0;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = f(s / 2 ** 32);
  }
  return out;
}

/** Values and gradients of one call, made by `make` with fresh leaf tensors. */
function run(make: () => { loss: Tensor; leaves: Tensor[] }, upstream: 'none' | 'scalar'): number[][] {
  const { loss, leaves } = make();
  if (loss.requiresGrad) {
    if (upstream === 'none' && loss.ndim > 0) {
      const g = tensor(rand(loss.numel(), 9, (u) => u - 0.5), loss.shape, { dtype: loss.dtype as 'float32' });
      loss.backward(g);
    } else {
      loss.backward();
    }
  }
  return [Array.from(loss.data as Float32Array), ...leaves.map((l) => Array.from((l.grad?.data ?? []) as Float32Array))];
}

/** The same call on one thread and split across the pool: bit-identical (NaN sign included). */
function expectSameBits(make: () => { loss: Tensor; leaves: Tensor[] }, upstream: 'none' | 'scalar' = 'scalar'): void {
  setParallelMinBytes(Infinity);
  const one = run(make, upstream);
  setParallelMinBytes(0);
  let two: number[][];
  try {
    two = run(make, upstream);
  } finally {
    setParallelMinBytes();
  }
  expect(two.length).toBe(one.length);
  for (let k = 0; k < one.length; k++) {
    expect(two[k].length).toBe(one[k].length);
    const bad = one[k].findIndex((v, i) => !Object.is(v, two[k][i]));
    expect(bad, `output ${k} differs at ${bad}: ${one[k][bad]} (1 thread) vs ${two[k][bad]} (2 threads)`).toBe(-1);
  }
}

const dtypes = ['float32', 'float64'] as const;

describe('init({ threads: 2 })', () => {
  it('starts one worker (two threads)', () => {
    expect(threadCount()).toBe(2);
  });

  it('rejects a bad thread count with a TypeError naming the option', async () => {
    // init() reports bad options as a rejected promise, as every other init() error.
    for (const threads of [0, -1, 1.5, Number.NaN]) {
      await expect(init({ threads })).rejects.toThrow(/^init: options\.threads must be an integer >= 1/);
    }
  });
});

describe('two threads give the one-thread bits', () => {
  // Lengths: under one chunk, several chunks with a ragged end, and more than one window of
  // 64 chunks (f64: 8192 elements a chunk).
  const lengths = [1000, 3 * 16384 + 17, 64 * 8192 + 5000];

  for (const dtype of dtypes) {
    for (const n of lengths) {
      const x = rand(n, 1, (u) => (u - 0.5) * 12);
      const p = rand(n, 2, (u) => 0.001 + 0.998 * u);
      const t = rand(n, 3, (u) => (u < 0.4 ? 0 : u < 0.8 ? 1 : u));
      const leaf = (v: number[]) => tensor(v, [n], { dtype, requiresGrad: true });
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const up = reduction === 'none' ? 'none' : 'scalar';
        it(`binaryCrossEntropyWithLogits, weight and posWeight (${dtype}, n = ${n}, ${reduction})`, () => {
          expectSameBits(() => {
            const a = leaf(x);
            const b = leaf(t);
            const w = tensor(rand(n, 4, (u) => u * 2), [n], { dtype });
            // A broadcast posWeight: staged through the broadcast plan.
            const pw = tensor([2.5], [1], { dtype });
            return { loss: F.binaryCrossEntropyWithLogits(a, b, { weight: w, posWeight: pw, reduction }), leaves: [a, b] };
          }, up);
        });
        it(`binaryCrossEntropy with weight (${dtype}, n = ${n}, ${reduction})`, () => {
          expectSameBits(() => {
            const a = leaf(p);
            const b = leaf(t);
            const w = tensor(rand(n, 4, (u) => u * 2), [n], { dtype });
            return { loss: F.binaryCrossEntropy(a, b, { weight: w, reduction }), leaves: [a, b] };
          }, up);
        });
      }
      it(`binaryCrossEntropyWithLogits on wasm tensors, read in place by every thread (${dtype}, n = ${n})`, () => {
        // Zero-copy x, t and weight: the split call points the kernels at them instead of
        // staging them, as the one-thread loop does; posWeight broadcasts, so it is staged.
        const resident = (v: number[], requiresGrad = false): Tensor => {
          const r = wasmTensor([n], { dtype, requiresGrad });
          r.data.set(v);
          return r;
        };
        const w = resident(rand(n, 4, (u) => u * 2));
        const pw = tensor([2.5], [1], { dtype });
        for (const reduction of ['mean', 'none'] as const) {
          expectSameBits(() => {
            const a = resident(x, true);
            const b = resident(t, true);
            return { loss: F.binaryCrossEntropyWithLogits(a, b, { weight: w, posWeight: pw, reduction }), leaves: [a, b] };
          }, reduction === 'none' ? 'none' : 'scalar');
        }
      });
      // Every other elementwise loss of (input, target), reduced: the generic driver.
      const pairs: [string, (a: Tensor, b: Tensor) => Tensor][] = [
        ['mseLoss', (a, b) => F.mseLoss(a, b)],
        ['l1Loss', (a, b) => F.l1Loss(a, b)],
        ['smoothL1Loss', (a, b) => F.smoothL1Loss(a, b, { beta: 0.5 })],
        ['huberLoss', (a, b) => F.huberLoss(a, b, { delta: 2 })],
        ['logCosh', (a, b) => F.logCosh(a, b)],
        ['softMarginLoss', (a, b) => F.softMarginLoss(a, b)],
        ['sigmoidFocalLoss', (a, b) => F.sigmoidFocalLoss(a, b, { reduction: 'mean' })],
        ['poissonNllLoss', (a, b) => F.poissonNllLoss(a, b)],
        ['klDiv', (a, b) => F.klDiv(a, b, { reduction: 'sum' })],
      ];
      for (const [name, f] of pairs) {
        it(`${name} (${dtype}, n = ${n})`, () => {
          expectSameBits(() => {
            const a = leaf(x);
            // softMarginLoss's target gets no gradient (an Error if it asks, as PyTorch).
            const b = name === 'softMarginLoss' ? tensor(t, [n], { dtype }) : leaf(t);
            return { loss: f(a, b), leaves: [a, b] };
          });
        });
      }
    }
  }

  // Row losses: (N, C) with N spanning several chunks and windows (f64, C = 2000: 4 rows a
  // chunk, 256 a window), and (N, C, d) whose class dimension is staged transposed.
  const shapes: [number, number, number][] = [[300, 2000, 1], [1000, 10, 1], [7, 37, 300]];
  for (const dtype of dtypes) {
    for (const [n, c, d] of shapes) {
      const shape = d === 1 ? [n, c] : [n, c, d];
      const rows = n * d;
      const x = rand(n * c * d, 5, (u) => (u - 0.5) * 10);
      const ys = rand(rows, 6, (u) => Math.floor(u * c));
      ys[3] = -100;
      const classW = rand(c, 7, (u) => 0.5 + u);
      const ysShape = d === 1 ? [n] : [n, d];
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const up = reduction === 'none' ? 'none' : 'scalar';
        it(`crossEntropy, index targets, weight, ignoreIndex, labelSmoothing (${dtype}, ${shape.join('×')}, ${reduction})`, () => {
          expectSameBits(() => {
            const a = tensor(x, shape, { dtype, requiresGrad: true });
            const w = tensor(classW, [c], { dtype });
            const y = tensor(ys, ysShape, { dtype: 'int32' });
            return { loss: F.crossEntropy(a, y, { weight: w, labelSmoothing: 0.1, reduction }), leaves: [a] };
          }, up);
        });
        it(`crossEntropy, probability targets with grad (${dtype}, ${shape.join('×')}, ${reduction})`, () => {
          expectSameBits(() => {
            const a = tensor(x, shape, { dtype, requiresGrad: true });
            const q = tensor(rand(n * c * d, 8, (u) => u / c), shape, { dtype, requiresGrad: true });
            return { loss: F.crossEntropy(a, q, { reduction }), leaves: [a, q] };
          }, up);
        });
      }
      if (d === 1) {
        it(`crossEntropy on wasm tensors, read in place by every thread (${dtype}, ${shape.join('×')})`, () => {
          // Zero-copy operands: the split call points the kernels at the tensors' rows (and
          // the weights) instead of staging them, as the one-thread loop does.
          const resident = (v: number[], sh: number[], requiresGrad = false): Tensor => {
            const t = wasmTensor(sh, { dtype, requiresGrad });
            t.data.set(v);
            return t;
          };
          const w = resident(classW, [c]);
          const y = tensor(ys, ysShape, { dtype: 'int32' });
          for (const reduction of ['mean', 'none'] as const) {
            const up = reduction === 'none' ? 'none' : 'scalar';
            expectSameBits(() => {
              const a = resident(x, shape, true);
              return { loss: F.crossEntropy(a, y, { weight: w, labelSmoothing: 0.1, reduction }), leaves: [a] };
            }, up);
            expectSameBits(() => {
              const a = resident(x, shape, true);
              const q = resident(rand(n * c, 8, (u) => u / c), shape, true);
              return { loss: F.crossEntropy(a, q, { reduction }), leaves: [a, q] };
            }, up);
          }
        });
      }
      it(`nllLoss, multiMarginLoss, softmaxFocalLoss (${dtype}, ${shape.join('×')})`, () => {
        for (const f of [
          (a: Tensor, y: Tensor) => F.nllLoss(a, y),
          (a: Tensor, y: Tensor) => (d === 1 ? F.multiMarginLoss(a, y) : F.nllLoss(a, y, { reduction: 'sum' })),
          (a: Tensor, y: Tensor) => F.softmaxFocalLoss(a, y, { gamma: 2 }),
        ]) {
          expectSameBits(() => {
            const a = tensor(x, shape, { dtype, requiresGrad: true });
            const y = tensor(ys.map((v) => (v < 0 ? 0 : v)), ysShape, { dtype: 'int32' });
            return { loss: f(a, y), leaves: [a] };
          });
        }
      });
    }
  }
});

describe('errors', () => {
  it('validation errors name the function, as on one thread, and the next call works', () => {
    setParallelMinBytes(0);
    try {
      const n = 100_000;
      const x = tensor(rand(n, 1, (u) => u), [n]);
      const bad = tensor(rand(n, 1, (u) => u * 3), [n]);
      expect(() => F.binaryCrossEntropy(bad, x, { reduction: 'none' })).toThrow(/^binaryCrossEntropy: all elements of input should be between 0 and 1/);
      expect(() => F.binaryCrossEntropy(bad, x)).toThrow(/^binaryCrossEntropy: all elements of input should be between 0 and 1/);
      expect(() => F.crossEntropy(tensor(rand(n, 1, (u) => u), [1000, 100]), tensor(new Int32Array(1000).fill(100), [1000], { dtype: 'int32' })))
        .toThrow(/^crossEntropy: .*100/);
      expect(Number.isFinite(F.binaryCrossEntropy(x, x).item())).toBe(true);
    } finally {
      setParallelMinBytes();
    }
  });

  it("a kernel's error status from a worker's chunk throws the kernel's message with the function's name", () => {
    const ex = wasm('mseLoss');
    const status = ex.lossfn_alloc(64 * 4) >>> 0;
    // Out-of-memory pointers: every chunk fails, on whichever thread claims it.
    const calls = Array.from({ length: 64 }, () => [16, 16, 0, 0, 2 ** 30, 0, 0, 0, 0, 16]);
    expect(() => runJob(ex, { fn: 'mseLoss', kernel: 'lossfn_mse_loss_forward_f32', calls, status, stage() {} }, (s) => check(ex, 'mseLoss', s)))
      .toThrow(/^mseLoss: internal error from the kernel \(status 1\): input: bad pointer/);
    ex.lossfn_free(status, 64 * 4);
    expect(F.mseLoss(tensor([1, 2]), tensor([1, 4])).item()).toBe(2);
  });
});

describe('a failure while staging', () => {
  it('releases the workers: the error propagates and the next split call runs', () => {
    const ex = wasm('mseLoss');
    const buf = ex.lossfn_alloc(64 * 4 + 64 * 8) >>> 0;
    const sums = buf + 64 * 4;
    const calls = Array.from({ length: 64 }, (_, i) => [buf, buf, 0, 0, 4, 0, 0, 0, 0, sums + 8 * i]);
    expect(() => runJob(ex, {
      fn: 'mseLoss', kernel: 'lossfn_mse_loss_forward_f32', calls, status: buf,
      stage(c0) {
        if (c0 >= 16) throw new Error('mseLoss: staging failed');
      },
    }, (s) => check(ex, 'mseLoss', s))).toThrow('mseLoss: staging failed');
    ex.lossfn_free(buf, 64 * 4 + 64 * 8);
    const n = 300_000;
    const x = tensor(rand(n, 1, (u) => u - 0.5), [n]);
    setParallelMinBytes(0);
    try {
      const started = Date.now();
      expect(Number.isFinite(F.mseLoss(x, x.mul(2)).item())).toBe(true);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      setParallelMinBytes();
    }
  });
});

describe('shutting down', () => {
  it('a script that never terminates the pool still exits (the workers are unref()ed)', async () => {
    const dist = `${ROOT}dist/index.js`;
    if (!existsSync(dist)) throw new Error('dist/index.js is missing: npm run build');
    const script = `import { init, F, tensor, threadCount } from ${JSON.stringify(dist)};
      await init({ threads: 2 });
      const n = 1e6, x = tensor(new Float32Array(n).fill(0.5), [n]);
      console.log(threadCount(), F.binaryCrossEntropy(x, x).item());`;
    const started = Date.now();
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    expect(out.trim()).toMatch(/^2 0\.693147/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('terminateThreads() leaves one thread with the same results; calling it twice is fine', () => {
    const n = 200_000;
    const x = tensor(rand(n, 1, (u) => u - 0.5), [n]);
    const t = tensor(rand(n, 2, (u) => (u < 0.5 ? 0 : 1)), [n]);
    setParallelMinBytes(0);
    const before = F.binaryCrossEntropyWithLogits(x, t).item();
    setParallelMinBytes();
    terminateThreads();
    terminateThreads();
    expect(threadCount()).toBe(1);
    expect(Object.is(F.binaryCrossEntropyWithLogits(x, t).item(), before)).toBe(true);
  });
});
