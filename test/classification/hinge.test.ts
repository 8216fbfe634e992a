import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';

describeGolden('hinge');

describe('hinge beyond the fixtures', () => {
  beforeAll(() => init());

  it('target gradient: −x where the hinge is active, −2x when {0, 1} labels are converted', () => {
    const x = tensor([0.5, 2, -0.25], undefined, { dtype: 'float64' });
    // ±1 labels: margins 1 − t·x = [0.5, 3, 1.25], all active.
    const pm = tensor([1, -1, -1], undefined, { dtype: 'float64', requiresGrad: true });
    F.hinge(x, pm, { reduction: 'sum' }).backward();
    expect(Array.from(pm.grad!.data as Float64Array)).toEqual([-0.5, -2, 0.25]);
    // {0, 1} labels become [1, −1, 1]: margins [0.5, 3, 1.25]; d/dt of 1 − (2t − 1)·x is −2x.
    const zo = tensor([1, 0, 1], undefined, { dtype: 'float64', requiresGrad: true });
    F.hinge(x, zo, { reduction: 'sum' }).backward();
    expect(Array.from(zo.grad!.data as Float64Array)).toEqual([-1, -4, 0.5]);
  });

  it('converts only when every target is 0 or 1; an empty target is fine', () => {
    const x = tensor([0.5, 0.5]);
    expect(F.hinge(x, tensor([0, 1]), { reduction: 'none' }).tolist()).toEqual([1.5, 0.5]);
    expect(F.hinge(x, tensor([0, -1]), { reduction: 'none' }).tolist()).toEqual([1, 1.5]);
    expect(F.hinge(tensor([]), tensor([]), { reduction: 'sum' }).item()).toBe(0);
  });

  it('nn.Hinge forwards to F', () => {
    const x = tensor([0.3, -1.2, 2]);
    const y = tensor([1, 0, 0]);
    expect(new nn.Hinge().forward(x, y).item()).toBe(F.hinge(x, y).item());
  });
});
