// Issue 8, finding 4: an empty tensor costs O(1) whatever its other dimensions. The row losses
// skip their kernels when the input has no elements: every row's loss is an empty sum (0), so
// 'sum' is 0 and 'mean' NaN (0/0), as PyTorch 1.13:
//   F.cross_entropy(torch.zeros(1, 0, 5), torch.zeros(1, 0, 5), reduction=r)
//     → mean: nan, sum: -0., none: tensor([[-0., -0., -0., -0., -0.]])
//   F.kl_div(torch.zeros(3, 0), torch.zeros(3, 0), reduction='batchmean') → 0 (0 / N)
// Without the fix these calls loop over 2^40 rows (minutes) or 1e11 rows (linear time).
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, tensor } from '../../ts/index.js';

beforeAll(() => init());

describe('empty tensors (finding 4)', () => {
  it('crossEntropy on [1, 0, 2^40]: NaN for mean, 0 for sum, a named error for a 2^40-element none', () => {
    const e = tensor(new Float32Array(0), [1, 0, 2 ** 40], { requiresGrad: true });
    const mean = F.crossEntropy(e, e);
    expect(mean.item()).toBeNaN();
    expect(F.crossEntropy(e, e, { reduction: 'sum' }).item()).toBe(0);
    expect(() => F.crossEntropy(e, e, { reduction: 'none' })).toThrow(/^crossEntropy: the result would have 1099511627776 elements/);
    mean.backward();
    expect(e.grad!.shape).toEqual([1, 0, 2 ** 40]);
    expect(e.grad!.data.length).toBe(0);
  });

  it('small empty shapes keep PyTorch\'s values and shapes', () => {
    const e = tensor(new Float64Array(0), [1, 0, 5]);
    const none = F.crossEntropy(e, e, { reduction: 'none' });
    expect(none.shape).toEqual([1, 5]);
    expect(Array.from(none.data as Float64Array)).toEqual([0, 0, 0, 0, 0]);
    expect(F.crossEntropy(tensor(new Float32Array(0), [3, 0]), tensor(new Float32Array(0), [3, 0])).item()).toBeNaN();
  });

  it('distillationLoss on [1e11, 0] returns at once: batchmean 0/N = 0, mean NaN', () => {
    const s = tensor(new Float32Array(0), [1e11, 0], { requiresGrad: true });
    const t = tensor(new Float32Array(0), [1e11, 0]);
    const l = F.distillationLoss(s, t);
    expect(l.item()).toBe(0);
    expect(F.distillationLoss(s, t, { reduction: 'mean' }).item()).toBeNaN();
    l.backward();
    expect(s.grad!.data.length).toBe(0);
  });

  it('the elementwise and index-target losses on empty batches', () => {
    const e = tensor(new Float32Array(0), [0, 2 ** 40]);
    expect(F.mseLoss(e, e).item()).toBeNaN();
    expect(F.l1Loss(e, e, { reduction: 'sum' }).item()).toBe(0);
    const x = tensor(new Float32Array(0), [0, 7]);
    expect(F.crossEntropy(x, tensor(new Int32Array(0))).item()).toBeNaN();
    expect(F.nllLoss(x, tensor(new Int32Array(0)), { reduction: 'sum' }).item()).toBe(0);
  });
});
