// Gradients route to every floating argument that requires grad and accumulate across calls,
// as in PyTorch. (Values of the gradients themselves are checked by the golden tests.)
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../ts/index.js';

beforeAll(() => init());

describe('autograd', () => {
  it('accumulates into .grad across separate losses and backward calls', () => {
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true, dtype: 'float64' });
    const t = tensor([0, 0, 0], undefined, { dtype: 'float64' });
    F.mseLoss(x, t, { reduction: 'sum' }).backward(); // 2x
    F.l1Loss(x, t, { reduction: 'sum' }).backward(); // sign(x)
    expect(Array.from(x.grad!.data as Float64Array)).toEqual([3, 5, 7]);
  });

  it('fills input, target and var gradients of gaussianNllLoss, var broadcast per row', () => {
    const x = tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true, dtype: 'float64' });
    const t = tensor([[0, 0], [0, 0]], undefined, { requiresGrad: true, dtype: 'float64' });
    const v = tensor([1, 2], undefined, { requiresGrad: true, dtype: 'float64' }); // one per row
    F.gaussianNllLoss(x, t, v, { reduction: 'sum' }).backward();
    // ∂x = (x − t)/v; ∂t = −∂x; ∂v_row = Σ_row ½(1/v − (x − t)²/v²).
    expect(Array.from(x.grad!.data as Float64Array)).toEqual([1, 2, 1.5, 2]);
    expect(Array.from(t.grad!.data as Float64Array)).toEqual([-1, -2, -1.5, -2]);
    expect(Array.from(v.grad!.data as Float64Array)).toEqual([0.5 * (1 - 1) + 0.5 * (1 - 4), 0.5 * (0.5 - 9 / 4) + 0.5 * (0.5 - 16 / 4)]);
    expect(v.grad!.shape).toEqual([2]);
  });

  it("'none' takes a gradient of the output's shape, as a tensor or numbers", () => {
    const x = tensor([1, -1], undefined, { requiresGrad: true });
    F.l1Loss(x, tensor([0, 0]), { reduction: 'none' }).backward([2, 3]);
    expect(Array.from(x.grad!.data as Float32Array)).toEqual([2, -3]);
  });

  it('a result requires grad only when an argument does; nn forwards the same graph', () => {
    const x = tensor([0.5, 0.25], undefined, { requiresGrad: true });
    const loss = new nn.SmoothL1Loss({ beta: 1 }).forward(x, tensor([0, 0]));
    expect(loss.requiresGrad).toBe(true);
    expect(loss.gradFn?.name).toBe('SmoothL1LossBackward');
    loss.backward();
    // mean of ½d² → ∂x = d/2.
    expect(Array.from(x.grad!.data as Float32Array)).toEqual([0.25, 0.125]);
    expect(F.mseLoss(tensor([1]), tensor([2])).requiresGrad).toBe(false);
  });

  it('mixing float32 and float64 is an error', () => {
    expect(() => F.mseLoss(tensor([1]), tensor([1], undefined, { dtype: 'float64' }))).toThrow(/mixing dtypes/);
  });
});
