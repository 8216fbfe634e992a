import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';
import { checkGradient, expectAllClose, idx, logSoftmax, rng } from '../helpers/rows.js';

describeGolden('softmax_focal_loss');

describe('softmaxFocalLoss', () => {
  beforeAll(() => init());

  it('with gamma = 0 equals crossEntropy (values and gradients, weights, ignoreIndex, (N, C, d))', () => {
    const r = rng(3);
    const shape = [3, 5, 4];
    const x0 = Array.from({ length: 60 }, () => r(-4, 4));
    const ys = idx(Array.from({ length: 12 }, (_, i) => (i % 5 === 2 ? 1 : (i * 3) % 5)), [3, 4]);
    const weight = tensor([0.3, 1, 2, 0.7, 1.2], undefined, { dtype: 'float64' });
    for (const reduction of ['none', 'mean', 'sum'] as const) {
      const o = { weight, ignoreIndex: 1, reduction };
      const a = tensor(x0, shape, { dtype: 'float64', requiresGrad: true });
      const b = tensor(x0, shape, { dtype: 'float64', requiresGrad: true });
      const la = F.softmaxFocalLoss(a, ys, { ...o, gamma: 0 });
      const lb = F.crossEntropy(b, ys, o);
      expectAllClose(la.data as Float64Array, Array.from(lb.data as Float64Array), 1e-13, 1e-15, reduction);
      const g = reduction === 'none' ? tensor(Array.from({ length: 12 }, () => r(-1, 1)), [3, 4], { dtype: 'float64' }) : undefined;
      la.backward(g);
      lb.backward(g);
      expectAllClose(a.grad?.data as Float64Array, Array.from(b.grad?.data as Float64Array), 1e-12, 1e-15, `grad ${reduction}`);
    }
  });

  it('matches the formula and its central-difference gradient for several gamma', () => {
    const x0 = [1.2, -0.3, 0.5, 2.0, -1.0, 0.1, 0.7, -2.2];
    for (const gamma of [0.5, 1, 2, 3.5]) {
      const l = F.softmaxFocalLoss(tensor(x0, [2, 4], { dtype: 'float64' }), idx([2, 0]), { gamma, reduction: 'sum' });
      const want = [0, 1].reduce((s, r) => {
        const lp = logSoftmax(x0.slice(4 * r, 4 * r + 4))[[2, 0][r]];
        return s - (1 - Math.exp(lp)) ** gamma * lp;
      }, 0);
      expect(Math.abs(l.item() - want)).toBeLessThan(1e-14);
      checkGradient((x) => F.softmaxFocalLoss(x, idx([2, 0]), { gamma }), x0, [2, 4]);
    }
  });

  it('default gamma is 2; the nn class validates once', () => {
    const x = tensor([[2, 0.5, -1]]);
    expect(F.softmaxFocalLoss(x, idx([0])).item()).toBe(F.softmaxFocalLoss(x, idx([0]), { gamma: 2 }).item());
    expect(new nn.SoftmaxFocalLoss({ gamma: 2 }).forward(x, idx([0])).item()).toBe(F.softmaxFocalLoss(x, idx([0])).item());
    expect(() => new nn.SoftmaxFocalLoss({ gamma: -1 })).toThrow(/^SoftmaxFocalLoss: option 'gamma' must be finite and >= 0, got -1/);
  });

  it('gives a finite gradient where 1 − p_y is tiny or 0, for 0 < gamma < 1 (its limit, 0)', () => {
    // Row 0: u = 1 − p_y ≈ e^−50 ≈ 1.9e-22 and −ln p_y ≈ u, so ℓ = u^½·(−ln p_y) ≈ u^1.5
    // ≈ 2.7e-33 and its gradient is of that order; row 2: u ≈ e^−2000 is 0 (the term
    // γ·u^(γ−1)·0 must not become inf·0 = NaN).
    const x = tensor([[100, -100, 0, 50], [0.5, 0.1, -0.2, 0.3], [1000, -1000, 0, 0]], undefined, {
      requiresGrad: true,
    });
    F.softmaxFocalLoss(x, idx([0, 1, 0]), { gamma: 0.5 }).backward();
    const g = Array.from(x.grad?.data as Float32Array);
    expect(g.every(Number.isFinite)).toBe(true);
    expect(g.slice(0, 4).every((v) => Math.abs(v) < 1e-30)).toBe(true);
    expect(g.slice(8, 12).every((v) => v === 0)).toBe(true);
    expect(g.slice(4, 8).some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });
});
