import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden, expectClose } from '../helpers/golden.js';

describeGolden('multilabel_soft_margin_loss');

describe('multilabelSoftMarginLoss beyond the fixtures', () => {
  beforeAll(() => init());

  it('(…, C) input with a (N, C) weight: per-row values, input and target gradients (PyTorch 1.13)', () => {
    // x = [[[1, -2, 0.5], [3, 0, -1]]], t = [[[1, 0, 1], [0, 1, 0.5]]], w = [[1, 2, 3], [0.5, 1, 1.5]],
    // reduction='none', backward([[1, 2]]) — values from torch 1.13, float64.
    const opts = { dtype: 'float64' as const, requiresGrad: true };
    const x = tensor([[[1, -2, 0.5], [3, 0, -1]]], undefined, opts);
    const t = tensor([[[1, 0, 1], [0, 1, 0.5]]], undefined, opts);
    const w = tensor([[1, 2, 3], [0.5, 1, 1.5]], undefined, { dtype: 'float64' });
    const out = F.multilabelSoftMarginLoss(x, t, { weight: w, reduction: 'none' });
    expectClose(out, { shape: [1, 2], data: [0.6631162207148292, 1.1457777958747168] }, 1e-14, 0, 'output');
    out.backward(tensor([[1, 2]], undefined, { dtype: 'float64' }));
    expectClose(x.grad!, {
      shape: [1, 2, 3],
      data: [-0.08964714045666503, 0.0794686146814117, -0.37754066879814546, 0.3175247089408111, -0.3333333333333333, -0.2310585786300049],
    }, 1e-14, 1e-16, 'grad input');
    expectClose(t.grad!, {
      shape: [1, 2, 3], data: [-0.3333333333333333, 1.3333333333333335, -0.5, -0.9999999999999999, 0, 1],
    }, 1e-14, 1e-16, 'grad target');
  });

  it('no classes: each sample is 0/0 = NaN; no samples: mean NaN, sum 0', () => {
    const none = F.multilabelSoftMarginLoss(tensor([], [2, 0]), tensor([], [2, 0]), { reduction: 'none' });
    expect(none.shape).toEqual([2]);
    expect(Array.from(none.data as Float32Array).every(Number.isNaN)).toBe(true);
    expect(Number.isNaN(F.multilabelSoftMarginLoss(tensor([], [2, 0]), tensor([], [2, 0]), { reduction: 'sum' }).item())).toBe(true);
    expect(Number.isNaN(F.multilabelSoftMarginLoss(tensor([], [0, 3]), tensor([], [0, 3])).item())).toBe(true);
    expect(F.multilabelSoftMarginLoss(tensor([], [0, 3]), tensor([], [0, 3]), { reduction: 'sum' }).item()).toBe(0);
  });

  it('nn.MultiLabelSoftMarginLoss forwards to F', () => {
    const x = tensor([[0.3, -1.2, 2], [1, 1, -1]]);
    const y = tensor([[1, 0, 1], [0, 0, 1]]);
    const w = tensor([1, 2, 1]);
    expect(new nn.MultiLabelSoftMarginLoss({ weight: w }).forward(x, y).item()).toBe(F.multilabelSoftMarginLoss(x, y, { weight: w }).item());
  });
});
