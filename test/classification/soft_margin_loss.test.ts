import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';

describeGolden('soft_margin_loss');

describe('softMarginLoss beyond the fixtures', () => {
  beforeAll(() => init());

  it('is finite where PyTorch\'s literal log(1 + exp(−t·x)) overflows (float32, −t·x = 1000)', () => {
    const x = tensor([1000, -1000], undefined, { requiresGrad: true });
    const out = F.softMarginLoss(x, tensor([-1, 1]), { reduction: 'none' });
    expect(Array.from(out.data as Float32Array)).toEqual([1000, 1000]);
    out.backward(tensor([1, 1]));
    expect(Array.from(x.grad!.data as Float32Array)).toEqual([1, -1]);
  });

  it('nn.SoftMarginLoss forwards to F', () => {
    const x = tensor([0.3, -1.2, 2]);
    const y = tensor([1, -1, -1]);
    expect(new nn.SoftMarginLoss({ reduction: 'sum' }).forward(x, y).item()).toBe(F.softMarginLoss(x, y, { reduction: 'sum' }).item());
  });
});
