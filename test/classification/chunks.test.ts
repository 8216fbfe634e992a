// Class-dim losses whose rows span several scratch chunks (64 KiB per operand: 3276 rows of
// C = 5 in float32) with class weights, which are staged once per call: the weighted mean
// must equal a float64 JS reference over all rows.
import { beforeAll, expect, it } from 'vitest';
import { F, init, tensor } from '../../ts/index.js';

beforeAll(() => init());

const N = 10_000;
const C = 5;
const w = [0.5, 2, 1, 3, 0.25];
const x = Float64Array.from({ length: N * C }, (_, i) => Math.sin(i * 0.37) * 3);
const y = Int32Array.from({ length: N }, (_, i) => (i * 7) % C);

function weightedMean(perRow: (r: number) => number): number {
  // Σ w_y·l_r / Σ w_y, as PyTorch's weighted 'mean' (LOSS-SEMANTICS §2.3).
  let s = 0;
  let d = 0;
  for (let r = 0; r < N; r++) {
    s += w[y[r]] * perRow(r);
    d += w[y[r]];
  }
  return s / d;
}

it('crossEntropy with weights over three chunks', () => {
  const want = weightedMean((r) => {
    const row = x.subarray(r * C, r * C + C);
    const m = Math.max(...row);
    return m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) - row[y[r]];
  });
  const got = F.crossEntropy(tensor(x, [N, C]), tensor(y), { weight: tensor(w, undefined, { dtype: 'float64' }) }).item();
  expect(Math.abs(got - want)).toBeLessThan(1e-12 * Math.abs(want));
});

it('nllLoss with weights over three chunks', () => {
  const want = weightedMean((r) => -x[r * C + y[r]]);
  const got = F.nllLoss(tensor(x, [N, C]), tensor(y), { weight: tensor(w, undefined, { dtype: 'float64' }) }).item();
  expect(Math.abs(got - want)).toBeLessThan(1e-12 * Math.abs(want));
});

it('multiMarginLoss with weights over three chunks', () => {
  // (1/C)·Σ_{i≠y} w_y·max(0, 1 − x_y + x_i), mean over N (weights not normalised).
  let s = 0;
  for (let r = 0; r < N; r++) {
    const o = r * C;
    for (let i = 0; i < C; i++) if (i !== y[r]) s += (w[y[r]] * Math.max(0, 1 - x[o + y[r]] + x[o + i])) / C;
  }
  const got = F.multiMarginLoss(tensor(x, [N, C]), tensor(y), { weight: tensor(w, undefined, { dtype: 'float64' }) }).item();
  expect(Math.abs(got - s / N)).toBeLessThan(1e-12 * (s / N));
});
