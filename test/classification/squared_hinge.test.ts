import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';

describeGolden('squared_hinge');

describe('squaredHinge beyond the fixtures', () => {
  beforeAll(() => init());

  it('target gradient: −2·max(1 − t·x, 0)·x, doubled for converted {0, 1} labels', () => {
    const x = tensor([0.5, 2, 3], undefined, { dtype: 'float64' });
    // {0, 1} labels become [1, −1, 1]: margins [0.5, 3, −2 → 0].
    const t = tensor([1, 0, 1], undefined, { dtype: 'float64', requiresGrad: true });
    F.squaredHinge(x, t, { reduction: 'sum' }).backward();
    expect(Array.from(t.grad!.data as Float64Array)).toEqual([-1, -24, 0]);
  });

  it('nn.SquaredHinge forwards to F', () => {
    const x = tensor([0.3, -1.2, 2]);
    const y = tensor([1, -1, 1]);
    expect(new nn.SquaredHinge({ reduction: 'none' }).forward(x, y).tolist()).toEqual(F.squaredHinge(x, y, { reduction: 'none' }).tolist());
  });
});
