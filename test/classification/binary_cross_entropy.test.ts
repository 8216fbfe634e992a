import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';

describeGolden('binary_cross_entropy');

describe('binaryCrossEntropy beyond the fixtures', () => {
  beforeAll(() => init());

  it('target gradient is −logit(x), ±inf at x ∈ {0, 1}, as PyTorch', () => {
    // torch: x = [0, 1, 0.25, 1e-30] → target.grad = [inf, -inf, log 3, 69.0776] (reduction 'sum').
    const x = tensor([0, 1, 0.25, 1e-30], undefined, { dtype: 'float64' });
    const t = tensor([0, 1, 0.5, 1], undefined, { dtype: 'float64', requiresGrad: true });
    F.binaryCrossEntropy(x, t, { reduction: 'sum' }).backward();
    const g = Array.from(t.grad!.data as Float64Array);
    expect(g[0]).toBe(Infinity);
    expect(g[1]).toBe(-Infinity);
    expect(g[2]).toBeCloseTo(Math.log(3), 15);
    expect(g[3]).toBeCloseTo(30 * Math.LN10, 12);
  });

  it('input gradient at x ∈ {0, 1} uses PyTorch 1.13\'s clamp, float32(1e-12), in both precisions', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tensor([0, 1], undefined, { dtype, requiresGrad: true });
      F.binaryCrossEntropy(x, tensor([1, 0], undefined, { dtype }), { reduction: 'sum' }).backward();
      // torch 1.13 float64: [-1000000003995.8029, 1000000003995.8029]; float32: ∓999999995904.
      const want = dtype === 'float64' ? 1000000003995.8029 : 999999995904;
      expect(Array.from(x.grad!.data as Float32Array)).toEqual([-want, want]);
    }
  });

  it('nn.BCELoss validates once and forwards to F', () => {
    const w = tensor([1, 2, 0.5]);
    const loss = new nn.BCELoss({ weight: w, reduction: 'sum' });
    expect(loss.options).toEqual({ weight: w, reduction: 'sum' });
    const p = tensor([0.9, 0.2, 0.6]);
    const y = tensor([1, 0, 1]);
    expect(loss.forward(p, y).item()).toBe(F.binaryCrossEntropy(p, y, { weight: w, reduction: 'sum' }).item());
    expect(new nn.BCELoss().options).toEqual({ weight: null, reduction: 'mean' });
  });
});
