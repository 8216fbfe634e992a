import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';
import { idx } from '../helpers/rows.js';

describeGolden('zero_one_loss');

describe('zeroOneLoss', () => {
  beforeAll(() => init());

  it('backward throws "zeroOneLoss is not differentiable", whether or not the scores require grad', () => {
    const scores = tensor([[0.1, 2, 0.3], [1, 1, 0]], undefined, { requiresGrad: true });
    const l = F.zeroOneLoss(scores, idx([1, 1]));
    expect(l.requiresGrad).toBe(true);
    expect(() => l.backward()).toThrow(/zeroOneLoss is not differentiable/);
    const plain = F.zeroOneLoss(tensor([[0.1, 2, 0.3]]), idx([1]));
    expect(plain.requiresGrad).toBe(false);
    expect(() => plain.backward()).toThrow(/zeroOneLoss is not differentiable/);
    const labels = F.zeroOneLoss(idx([0, 2]), idx([0, 1]), { reduction: 'none' });
    expect(labels.requiresGrad).toBe(false);
    expect(() => labels.backward(tensor([1, 1]))).toThrow(/zeroOneLoss is not differentiable/);
    expect(() => new nn.ZeroOneLoss().forward(scores, idx([1, 1])).backward()).toThrow(/zeroOneLoss is not differentiable/);
  });

  it('the first maximum wins on ties; a NaN score is the maximum (as numpy.argmax)', () => {
    const scores = tensor([[1, 3, 3, 0], [2, 2, 2, 2], [0, Number.NaN, 5, Number.NaN]], undefined, { dtype: 'float64' });
    const l = F.zeroOneLoss(scores, idx([1, 0, 1]), { reduction: 'none' });
    expect(Array.from(l.data as Float64Array)).toEqual([0, 0, 0]);
    expect(Array.from(F.zeroOneLoss(scores, idx([2, 3, 2]), { reduction: 'none' }).data as Float64Array)).toEqual([1, 1, 1]);
  });

  it("reductions: 'mean' is the error rate, 'sum' the count; empty 'mean' is NaN", () => {
    const p = idx([0, 2, 1, 1, 4, 3, 2]);
    const y = idx([0, 2, 2, 1, 3, 3, 0]);
    expect(F.zeroOneLoss(p, y).item()).toBeCloseTo(3 / 7, 7);
    expect(F.zeroOneLoss(p, y, { reduction: 'sum' }).item()).toBe(3);
    expect(F.zeroOneLoss(tensor([], [0, 3]), idx([])).item()).toBeNaN();
    expect(F.zeroOneLoss(tensor([], [0, 3]), idx([]), { reduction: 'sum' }).item()).toBe(0);
  });

  it("dtype: the scores' dtype; float32 for label input unless option dtype says otherwise", () => {
    expect(F.zeroOneLoss(tensor([[1, 2]], undefined, { dtype: 'float64' }), idx([1])).dtype).toBe('float64');
    expect(F.zeroOneLoss(idx([1]), idx([1])).dtype).toBe('float32');
    expect(F.zeroOneLoss(idx([1]), idx([0]), { dtype: 'float64' }).dtype).toBe('float64');
    expect(F.zeroOneLoss(tensor([[1, 2]]), tensor([1], undefined, { dtype: 'int32' }), { dtype: 'float64' }).dtype).toBe('float64');
  });
});
