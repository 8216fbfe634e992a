import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';
import { checkGradient, expectAllClose, idx } from '../helpers/rows.js';

describeGolden('multi_margin_loss');

describe('multiMarginLoss', () => {
  beforeAll(() => init());

  it("PyTorch's docs example and its gradient", () => {
    // torch: nn.MultiMarginLoss()(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([3])) = 0.3250
    const x = tensor([[0.1, 0.2, 0.4, 0.8]], undefined, { requiresGrad: true });
    const l = F.multiMarginLoss(x, idx([3]));
    expect(l.item()).toBeCloseTo(0.325, 7);
    l.backward();
    expectAllClose(x.grad?.data as Float32Array, [0.25, 0.25, 0.25, -0.75], 1e-7);
  });

  it('applies the class weight after the power (as the kernel, not as the docs draw it)', () => {
    const x0 = [0.1, 0.2, 0.4, 0.8, 1.5, -0.2, 0.3, 0.9];
    const weight = tensor([1, 2, 1, 3], undefined, { dtype: 'float64' });
    const l = F.multiMarginLoss(tensor(x0, [2, 4], { dtype: 'float64' }), idx([3, 1]), { p: 2, margin: 0.7, weight, reduction: 'none' });
    const row = (xs: number[], y: number, w: number) =>
      (w * xs.reduce((s, v, i) => s + (i === y ? 0 : Math.max(0, 0.7 - xs[y] + v) ** 2), 0)) / 4;
    expectAllClose(l.data as Float64Array, [row(x0.slice(0, 4), 3, 3), row(x0.slice(4), 1, 2)], 1e-15);
    checkGradient((x) => F.multiMarginLoss(x, idx([3, 1]), { p: 2, margin: 0.7, weight }), x0, [2, 4]);
  });

  it("shapes as PyTorch: 1-D input with a 0-d target gives a 0-d 'none', with a (1) target a (1)", () => {
    const x = tensor([0.1, 0.2, 0.4, 0.8]);
    expect(F.multiMarginLoss(x, idx([3], []), { reduction: 'none' }).shape).toEqual([]);
    expect(F.multiMarginLoss(x, idx([3]), { reduction: 'none' }).shape).toEqual([1]);
    expect(F.multiMarginLoss(tensor([0.5], []), idx([0], []), { reduction: 'none' }).item()).toBe(0);
    expect(F.multiMarginLoss(tensor([], [0, 3]), idx([]), { reduction: 'mean' }).item()).toBeNaN();
    expect(F.multiMarginLoss(tensor([], [0, 3]), idx([]), { reduction: 'sum' }).item()).toBe(0);
  });

  it('the nn class validates p once', () => {
    expect(() => new nn.MultiMarginLoss({ p: 3 })).toThrow(/^MultiMarginLoss: option 'p' must be 1 or 2 \(only p == 1 and p == 2 supported\), got 3/);
    expect(new nn.MultiMarginLoss({ p: 2 }).forward(tensor([[0.1, 0.2, 0.4, 0.8]]), idx([3])).item()).toBeCloseTo((0.09 + 0.16 + 0.36) / 4, 7);
  });
});
