import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';
import { checkGradient, expectAllClose } from '../helpers/rows.js';

describeGolden('categorical_hinge');

describe('categoricalHinge', () => {
  beforeAll(() => init());

  it('Keras values: max(max_j (1 − t_j)·x_j − Σ t_j·x_j + 1, 0) per sample', () => {
    const x = tensor([[3, 1, 0.5], [0.3, 0.9, 0.1], [-1, -2, -3]], undefined, { requiresGrad: true });
    const t = tensor([[1, 0, 0], [1, 0, 0], [0, 0, 1]]);
    const l = F.categoricalHinge(x, t, { reduction: 'none' });
    // row 2: every wrong score is negative, so the inner max is the target's (1 − 1)·x = 0
    expectAllClose(l.data as Float32Array, [0, 1.6, 4], 1e-6);
    F.categoricalHinge(x, t).backward();
    expectAllClose(x.grad?.data as Float32Array, [0, 0, 0, -1 / 3, 1 / 3, 0, 0, 0, -1 / 3], 1e-7);
  });

  it('tied maxima share the gradient; a margin of exactly 0 still passes it (clamp(min=0))', () => {
    const x = tensor([[1, 3, 3, 0], [2, 1, 0.5, -1]], undefined, { requiresGrad: true });
    const t = tensor([[1, 0, 0, 0], [1, 0, 0, 0]]);
    const l = F.categoricalHinge(x, t, { reduction: 'sum' });
    expect(l.item()).toBe(3);
    l.backward();
    expect(Array.from(x.grad?.data as Float32Array)).toEqual([-1, 0.5, 0.5, 0, -1, 1, 0, 0]);
  });

  it('differentiates the target too when it requires grad (central differences)', () => {
    const x0 = [0.2, 1.1, -0.4, 0.8, 0.3, -0.9];
    const t0 = [0.7, 0.2, 0.1, 0.05, 0.15, 0.8];
    checkGradient((t) => F.categoricalHinge(tensor(x0, [2, 3], { dtype: 'float64' }), t), t0, [2, 3]);
    checkGradient((x) => F.categoricalHinge(x, tensor(t0, [2, 3], { dtype: 'float64' })), x0, [2, 3]);
  });

  it("reduces over the last dimension: 'none' drops it (0-d for 1-D input)", () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]);
    const t = tensor([1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1], [2, 3, 2]);
    expect(F.categoricalHinge(x, t, { reduction: 'none' }).shape).toEqual([2, 3]);
    expect(F.categoricalHinge(tensor([0.5, 1]), tensor([1, 0]), { reduction: 'none' }).shape).toEqual([]);
    expect(new nn.CategoricalHinge({ reduction: 'sum' }).forward(tensor([0.5, 1]), tensor([1, 0])).item()).toBe(1.5);
  });
});
