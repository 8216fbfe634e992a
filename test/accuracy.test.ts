// Accurate reductions: float32 sums over 1e7 elements stay within 1e-6 relative of the exact
// value (the kernels' blocked + compensated summation, crates/kernels/src/driver.rs).
import { beforeAll, expect, it } from 'vitest';
import { F, init, tensor } from '../ts/index.js';

beforeAll(() => init());

/**
 * Exact reference: each (x − t)² of float32 x and t = 0 is x², whose 48-bit significand is
 * exact in a double; the 1e7 squares are summed with Neumaier compensation in float64 (error
 * ≈ 1e-16 relative), far below the 1e-6 being tested.
 */
function exactSumOfSquares(x: Float32Array): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] * x[i];
    const u = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - u + v : v - u + s;
    s = u;
  }
  return s + c;
}

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

it('float32 mseLoss sum and mean over 1e7 elements are within 1e-6 relative of the exact value', () => {
  const n = 10_000_000;
  const rnd = xorshift(7);
  const x = new Float32Array(n);
  // Magnitudes spread over 6 decades: the naive float32 running sum is off by ~1e-3 here.
  for (let i = 0; i < n; i++) x[i] = (rnd() - 0.5) * 10 ** (rnd() * 6 - 3);
  const zeros = new Float32Array(n);
  const exact = exactSumOfSquares(x);

  let naive = Math.fround(0);
  for (let i = 0; i < n; i++) naive = Math.fround(naive + Math.fround(x[i] * x[i]));
  expect(Math.abs(naive - exact) / exact).toBeGreaterThan(1e-6); // the test can fail

  const sum = F.mseLoss(tensor(x), tensor(zeros), { reduction: 'sum' }).item();
  expect(Math.abs(sum - exact) / exact).toBeLessThan(1e-6);
  const mean = F.mseLoss(tensor(x), tensor(zeros)).item();
  expect(Math.abs(mean - exact / n) / (exact / n)).toBeLessThan(1e-6);
});
