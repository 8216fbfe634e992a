import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';
import { checkGradient, expectAllClose, idx } from '../helpers/rows.js';

describeGolden('arc_face_loss');

describe('arcFaceLoss', () => {
  beforeAll(() => init());
  const c0 = [0.8, 0.1, -0.3, 0.2, 0.6, 0.1, -0.5, 0.4, 0.35];
  const ys = [0, 1, 2];

  it('is crossEntropy of scale·logits with the target cosine replaced by cos(acos(c_y) + m)', () => {
    const logits = c0.map((c, i) => (i % 3 === ys[Math.floor(i / 3)] ? Math.cos(Math.acos(c) + 0.3) : c) * 30);
    for (const reduction of ['none', 'mean', 'sum'] as const) {
      const a = F.arcFaceLoss(tensor(c0, [3, 3], { dtype: 'float64' }), idx(ys), { scale: 30, margin: 0.3, reduction });
      const b = F.crossEntropy(tensor(logits, [3, 3], { dtype: 'float64' }), idx(ys), { reduction });
      expectAllClose(a.data as Float64Array, Array.from(b.data as Float64Array), 1e-13);
    }
  });

  it('gradients flow through the margin (central differences) and stop where the clamp is active', () => {
    checkGradient((x) => F.arcFaceLoss(x, idx(ys), { scale: 8, margin: 0.5 }), c0, [3, 3], 1e-6, 1e-7);
    const x = tensor([[1.0, 0.2], [0.3, 0.9]], undefined, { dtype: 'float64', requiresGrad: true });
    F.arcFaceLoss(x, idx([0, 1]), { scale: 4 }).backward();
    const g = x.grad?.data as Float64Array;
    expect(Math.abs(g[0])).toBe(0); // target cosine 1 > 1 − 1e-7: clamped
    expect(g[1]).not.toBe(0); // non-target cosines are never clamped
    expect(g[3]).not.toBe(0);
  });

  it('defaults scale 64, margin 0.5; the nn class', () => {
    const x = tensor(c0, [3, 3]);
    const want = F.arcFaceLoss(x, idx(ys), { scale: 64, margin: 0.5, reduction: 'mean' }).item();
    expect(F.arcFaceLoss(x, idx(ys)).item()).toBe(want);
    expect(new nn.ArcFaceLoss().forward(x, idx(ys)).item()).toBe(want);
  });
});
