import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';
import { checkGradient, expectAllClose, idx } from '../helpers/rows.js';

describeGolden('multilabel_margin_loss');

describe('multilabelMarginLoss', () => {
  beforeAll(() => init());

  it("PyTorch's docs example: 0.85", () => {
    const x = tensor([[0.1, 0.2, 0.4, 0.8]], undefined, { requiresGrad: true });
    const l = F.multilabelMarginLoss(x, idx([3, 0, -1, 1], [1, 4]));
    expect(l.item()).toBeCloseTo(0.85, 7);
    l.backward();
    expectAllClose(x.grad?.data as Float32Array, [-0.5, 0.5, 0.5, -0.5], 1e-7);
    expect(new nn.MultiLabelMarginLoss().forward(x, idx([3, 0, -1, 1], [1, 4])).item()).toBe(l.item());
  });

  it('reads up to the first -1; duplicates count twice; central-difference gradient', () => {
    const x0 = [0.3, -0.2, 0.9, 0.1, 0.5, 0.4, -0.7, 0.2];
    const t = idx([2, 2, -1, 0, 1, -1, 3, 3], [2, 4]);
    const l = F.multilabelMarginLoss(tensor(x0, [2, 4], { dtype: 'float64' }), t, { reduction: 'none' });
    // row 0: class 2 twice against 0, 1, 3; row 1: class 1 against 0, 2, 3 (3, 3 after -1 ignored)
    const h = (a: number, b: number) => Math.max(0, 1 - (a - b));
    const r0 = 2 * (h(0.9, 0.3) + h(0.9, -0.2) + h(0.9, 0.1)) / 4;
    const r1 = (h(0.4, 0.5) + h(0.4, -0.7) + h(0.4, 0.2)) / 4;
    expectAllClose(l.data as Float64Array, [r0, r1], 1e-15);
    checkGradient((x) => F.multilabelMarginLoss(x, t), x0, [2, 4]);
  });

  it("1-D input with a 1-D target is one sample and 'none' is 0-d", () => {
    const l = F.multilabelMarginLoss(tensor([0.1, 0.2, 0.4, 0.8]), idx([3, 0, -1, 1]), { reduction: 'none' });
    expect(l.shape).toEqual([]);
    expect(l.item()).toBeCloseTo(0.85, 7);
  });
});
