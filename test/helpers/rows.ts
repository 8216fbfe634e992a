// Helpers of the row-loss tests (test/classification/*): a seeded generator, plain-JS float64
// references (log-softmax), a central-difference gradient check and element-wise comparison.

import { expect } from 'vitest';
import { tensor, type Tensor } from '../../ts/index.js';

/** Deterministic uniform numbers in [lo, hi) (mulberry32). */
export function rng(seed: number): (lo?: number, hi?: number) => number {
  let a = seed >>> 0;
  return (lo = 0, hi = 1) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  };
}

/** log softmax of one row, max-shifted (float64). */
export function logSoftmax(row: ArrayLike<number>): number[] {
  const xs = Array.from(row, Number);
  const m = Math.max(...xs);
  const lse = m + Math.log(xs.reduce((s, v) => s + Math.exp(v - m), 0));
  return xs.map((v) => v - lse);
}

/** Class indices as an int64 tensor. */
export const idx = (ys: number[], shape?: number[]): Tensor => tensor(ys, shape, { dtype: 'int64' });

/** Every element of `actual` within `rtol`·|e| + `atol` of `expected`. */
export function expectAllClose(actual: ArrayLike<number | bigint>, expected: ArrayLike<number>, rtol: number, atol = 0, what = 'value'): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const v = Number(actual[i]);
    const e = expected[i];
    if (Number.isNaN(e)) {
      expect(v, `${what}[${i}]`).toBeNaN();
      continue;
    }
    if (!(Math.abs(v - e) <= atol + rtol * Math.abs(e))) throw new Error(`${what}[${i}]: got ${v}, expected ${e}`);
  }
}

/**
 * Checks the analytic gradient of a scalar loss against central differences, in float64:
 * `loss(x)` builds the loss from a fresh float64 tensor of `shape` (requiresGrad) holding `x`.
 */
export function checkGradient(loss: (x: Tensor) => Tensor, x0: number[], shape: number[], tol = 1e-6, h = 1e-6): void {
  const x = tensor(x0, shape, { dtype: 'float64', requiresGrad: true });
  loss(x).backward();
  const g = Array.from(x.grad?.data as Float64Array);
  for (let i = 0; i < x0.length; i++) {
    const at = (d: number) => {
      const xs = x0.slice();
      xs[i] += d;
      return loss(tensor(xs, shape, { dtype: 'float64' })).item();
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    if (!(Math.abs(fd - g[i]) <= tol * Math.max(1, Math.abs(fd)))) throw new Error(`gradient[${i}]: analytic ${g[i]}, central difference ${fd}`);
  }
}
