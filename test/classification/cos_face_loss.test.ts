import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';
import { checkGradient, expectAllClose, idx } from '../helpers/rows.js';

describeGolden('cos_face_loss');

describe('cosFaceLoss', () => {
  beforeAll(() => init());
  const c0 = [0.8, 0.1, -0.3, 0.2, 0.6, 0.1, -0.5, 0.4, 0.35];
  const ys = [0, 1, 2];

  it('is crossEntropy of scale·(c − m·onehot), values and gradients', () => {
    const logits = c0.map((c, i) => (c - (i % 3 === ys[Math.floor(i / 3)] ? 0.2 : 0)) * 30);
    const a = tensor(c0, [3, 3], { dtype: 'float64', requiresGrad: true });
    const b = tensor(logits, [3, 3], { dtype: 'float64', requiresGrad: true });
    const la = F.cosFaceLoss(a, idx(ys), { scale: 30, margin: 0.2 });
    const lb = F.crossEntropy(b, idx(ys));
    expect(la.item()).toBeCloseTo(lb.item(), 13);
    la.backward();
    lb.backward();
    expectAllClose(a.grad?.data as Float64Array, Array.from(b.grad?.data as Float64Array, (v) => 30 * v), 1e-12, 1e-15);
    checkGradient((x) => F.cosFaceLoss(x, idx(ys), { scale: 5 }), c0, [3, 3]);
  });

  it('defaults scale 64, margin 0.35; the nn class', () => {
    const x = tensor(c0, [3, 3]);
    const want = F.cosFaceLoss(x, idx(ys), { scale: 64, margin: 0.35, reduction: 'mean' }).item();
    expect(F.cosFaceLoss(x, idx(ys)).item()).toBe(want);
    expect(new nn.CosFaceLoss().forward(x, idx(ys)).item()).toBe(want);
  });
});
