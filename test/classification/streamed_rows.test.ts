// The streamed path of the row driver: rows too wide for the scratch area go through the
// `piece` export pass by pass, piece by piece (crates/kernels/src/row_driver.rs). Here every
// row wider than 8 bytes streams, in pieces of 8 bytes (2 float32 / 1 float64 classes per
// piece), and every golden case of every row loss must still hold: the streamed passes compute
// the same quantities as the whole-row path. A last test runs the real threshold: cross
// entropy over rows of 100 000 classes, against a float64 reference written out below.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F, init, tensor } from '../../ts/index.js';
import { setRowStreaming } from '../../ts/rowloss.js';
import { loadGolden, runCase } from '../helpers/golden.js';

const ROW_LOSSES = [
  'cross_entropy', 'nll_loss', 'softmax_focal_loss', 'poly_loss', 'multi_margin_loss', 'categorical_hinge',
  'distillation_loss', 'zero_one_loss', 'arc_face_loss', 'cos_face_loss', 'sphere_face_loss', 'multilabel_margin_loss',
];

describe('row losses with every row streamed in pieces (8-byte rows and pieces)', () => {
  beforeAll(async () => {
    await init();
    setRowStreaming(8, 8);
  });
  afterAll(() => setRowStreaming());
  for (const stem of ROW_LOSSES) {
    const file = loadGolden(stem);
    describe(`${stem} (${file.cases.length} golden cases)`, () => {
      for (const c of file.cases) it(c.name, () => runCase(c));
    });
  }
});

describe('rows wider than the scratch area (real threshold)', () => {
  beforeAll(() => init());
  it('crossEntropy over 3 rows of 100 000 classes equals the float64 log-sum-exp', () => {
    const C = 100_000;
    const x = new Float64Array(3 * C);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) * 4 + (i % C === 7 ? 9 : 0);
    const y = [7, 99_999, 123];
    const input = tensor(x, [3, C], { requiresGrad: true });
    const loss = F.crossEntropy(input, tensor(y, undefined, { dtype: 'int32' }), { reduction: 'sum' });
    // Reference: Σ_r (log Σ_c e^{x_rc} − x_{r,y_r}), each row's sum taken relative to its max in
    // f64 with compensated summation; the gradient is softmax − one-hot.
    let want = 0;
    const grad = new Float64Array(x.length);
    for (let r = 0; r < 3; r++) {
      const row = x.subarray(r * C, (r + 1) * C);
      const m = row.reduce((a, b) => Math.max(a, b), -Infinity);
      let s = 0;
      let comp = 0;
      for (const v of row) {
        const term = Math.exp(v - m) - comp;
        const t = s + term;
        comp = t - s - term;
        s = t;
      }
      const lse = m + Math.log(s);
      want += lse - row[y[r]];
      for (let c = 0; c < C; c++) grad[r * C + c] = Math.exp(row[c] - lse) - (c === y[r] ? 1 : 0);
    }
    expect(Math.abs(loss.item() - want)).toBeLessThanOrEqual(1e-10 * Math.abs(want));
    loss.backward();
    const g = input.grad!.data as Float64Array;
    let worst = 0;
    for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i] - grad[i]) / Math.max(Math.abs(grad[i]), 1e-300));
    expect(worst).toBeLessThanOrEqual(1e-9);
  });
});
