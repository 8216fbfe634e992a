import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';

describeGolden('sigmoid_focal_loss');

describe('sigmoidFocalLoss beyond the fixtures', () => {
  beforeAll(() => init());

  it('keeps the digits of confident predictions in float32 (torchvision float32: 0)', () => {
    // torchvision, float64: sigmoid_focal_loss([20, -20], [1, 0]) = [2.189127910593805e-27, 6.567383024288281e-27];
    // the same in float32 gives [0, 0] (1 − sigmoid(20) is 0 there).
    const out = F.sigmoidFocalLoss(tensor([20, -20]), tensor([1, 0]));
    const want = [2.189127910593805e-27, 6.567383024288281e-27];
    want.forEach((w, i) => expect(Math.abs(Number(out.data[i]) - w)).toBeLessThanOrEqual(3e-7 * w));
  });

  it('γ = 0 is α_t times BCE with logits', () => {
    const x = tensor([1.5, -0.3, 4, -2], undefined, { dtype: 'float64' });
    const t = tensor([1, 0, 0.3, 1], undefined, { dtype: 'float64' });
    const focal = F.sigmoidFocalLoss(x, t, { gamma: 0, alpha: 0.75 }).data as Float64Array;
    const ce = F.binaryCrossEntropyWithLogits(x, t, { reduction: 'none' }).data as Float64Array;
    const tv = [1, 0, 0.3, 1];
    focal.forEach((v, i) => expect(v).toBeCloseTo((0.75 * tv[i] + 0.25 * (1 - tv[i])) * ce[i], 15));
  });

  it("defaults (α = 0.25, γ = 2, reduction 'none') in F and nn", () => {
    expect(new nn.SigmoidFocalLoss().options).toEqual({ alpha: 0.25, gamma: 2, reduction: 'none' });
    const x = tensor([[0.3, -1.2], [2, 0]]);
    const y = tensor([[1, 0], [0, 1]]);
    const out = F.sigmoidFocalLoss(x, y);
    expect(out.shape).toEqual([2, 2]);
    expect(new nn.SigmoidFocalLoss().forward(x, y).tolist()).toEqual(out.tolist());
    expect(F.sigmoidFocalLoss(x, y, { alpha: 0.25, gamma: 2, reduction: 'none' }).tolist()).toEqual(out.tolist());
  });
});
