import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';

// The fixtures' float64 reference is the exact softplus form (scripts/gen_fixtures.py): PyTorch
// 1.13's own kernel rounds confident predictions (|x| ≳ 37) to 0 even in float64.
describeGolden('binary_cross_entropy_with_logits');

describe('binaryCrossEntropyWithLogits numerics and broadcasting', () => {
  beforeAll(() => init());

  it('keeps the digits of confident right predictions (PyTorch: 0)', () => {
    // log1p(e^−|x|) and its gradient −σ(−|x|), from float64 Math.
    for (const dtype of ['float32', 'float64'] as const) {
      const xs = dtype === 'float32' ? [20, -20, 60, -60] : [20, -20, 88, -88, 350, -420];
      const ts = xs.map((x) => (x > 0 ? 1 : 0));
      const x = tensor(xs, undefined, { dtype, requiresGrad: true });
      const out = F.binaryCrossEntropyWithLogits(x, tensor(ts, undefined, { dtype }), { reduction: 'none' });
      out.backward(tensor(xs.map(() => 1), undefined, { dtype }));
      const rel = dtype === 'float32' ? 3e-7 : 3e-16;
      xs.forEach((xi, i) => {
        const e = Math.exp(-Math.abs(xi));
        const want = Math.log1p(e);
        const got = Number(out.data[i]);
        expect(Math.abs(got - want), `${dtype} loss at x = ${xi}`).toBeLessThanOrEqual(rel * want);
        const wantGrad = (xi > 0 ? -1 : 1) * (e / (1 + e));
        const g = Number(x.grad!.data[i]);
        expect(Math.abs(g - wantGrad), `${dtype} grad at x = ${xi}`).toBeLessThanOrEqual(rel * Math.abs(wantGrad));
      });
    }
  });

  it('broadcasts a (C, 1, 1) posWeight per channel of (N, C, H, W), and weight along the last dim', () => {
    const shape = [2, 3, 2, 2];
    const n = 24;
    const xs = Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
    const ts = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : i % 3 === 1 ? 0 : 0.3));
    const pw = [0.5, 2, 4];
    const w = [1.5, 0.25];
    const x = tensor(xs, shape, { dtype: 'float64', requiresGrad: true });
    const t = tensor(ts, shape, { dtype: 'float64', requiresGrad: true });
    const out = F.binaryCrossEntropyWithLogits(x, t, {
      posWeight: tensor(pw, [3, 1, 1], { dtype: 'float64' }), weight: tensor(w, [2], { dtype: 'float64' }), reduction: 'sum',
    });
    out.backward();
    let want = 0;
    for (let i = 0; i < n; i++) {
      const p = pw[Math.floor(i / 4) % 3];
      const wi = w[i % 2];
      const logSig = -Math.log1p(Math.exp(-xs[i]));
      const sig = 1 / (1 + Math.exp(-xs[i]));
      want += wi * ((1 - ts[i]) * xs[i] - (1 + (p - 1) * ts[i]) * logSig);
      expect(Number(x.grad!.data[i])).toBeCloseTo(wi * (sig * (1 + (p - 1) * ts[i]) - p * ts[i]), 13);
      expect(Number(t.grad!.data[i])).toBeCloseTo(wi * (-xs[i] - (p - 1) * logSig), 13);
    }
    expect(out.item()).toBeCloseTo(want, 12);
  });
});
