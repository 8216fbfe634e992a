import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';
import { checkGradient, expectAllClose, idx } from '../helpers/rows.js';

describeGolden('sphere_face_loss');

describe('sphereFaceLoss', () => {
  beforeAll(() => init());
  const c0 = [0.8, 0.1, -0.3, 0.2, 0.6, 0.1, -0.5, 0.4, -0.35];
  const ys = [0, 1, 2];

  it('margin 1 is crossEntropy of scale·c', () => {
    const a = F.sphereFaceLoss(tensor(c0, [3, 3], { dtype: 'float64' }), idx(ys), { margin: 1, scale: 7, reduction: 'none' });
    const b = F.crossEntropy(tensor(c0.map((c) => 7 * c), [3, 3], { dtype: 'float64' }), idx(ys), { reduction: 'none' });
    expectAllClose(a.data as Float64Array, Array.from(b.data as Float64Array), 1e-13);
  });

  it('ψ(θ) = (−1)^k·cos(mθ) − 2k with k = ⌊mθ/π⌋, and its gradient (central differences)', () => {
    const psi = (c: number, m: number) => {
      const th = Math.acos(c);
      const k = Math.floor((m * th) / Math.PI);
      return (k % 2 === 0 ? 1 : -1) * Math.cos(m * th) - 2 * k;
    };
    for (const m of [2, 3, 4]) {
      const logits = c0.map((c, i) => 2 * (i % 3 === ys[Math.floor(i / 3)] ? psi(c, m) : c));
      const a = F.sphereFaceLoss(tensor(c0, [3, 3], { dtype: 'float64' }), idx(ys), { margin: m, scale: 2, reduction: 'sum' });
      const b = F.crossEntropy(tensor(logits, [3, 3], { dtype: 'float64' }), idx(ys), { reduction: 'sum' });
      expect(a.item()).toBeCloseTo(b.item(), 12);
      checkGradient((x) => F.sphereFaceLoss(x, idx(ys), { margin: m, scale: 2 }), c0, [3, 3], 1e-6, 1e-7);
    }
  });

  it('defaults margin 4, scale 1; the nn class', () => {
    const x = tensor(c0, [3, 3]);
    const want = F.sphereFaceLoss(x, idx(ys), { margin: 4, scale: 1, reduction: 'mean' }).item();
    expect(F.sphereFaceLoss(x, idx(ys)).item()).toBe(want);
    expect(new nn.SphereFaceLoss().forward(x, idx(ys)).item()).toBe(want);
    expect(() => new nn.SphereFaceLoss({ margin: 2.5 })).toThrow(/^SphereFaceLoss: option 'margin' must be an integer >= 1, got 2.5/);
  });
});
