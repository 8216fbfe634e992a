import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';

describeGolden('kl_div');

describe('klDiv beyond the fixtures', () => {
  beforeAll(() => init());

  it("'batchmean' of a 0-d input is the plain sum, as PyTorch", () => {
    // torch: F.kl_div(tensor(-1.), tensor(0.5), reduction='batchmean') = 0.5·(log 0.5 + 1) = 0.1534.
    const out = F.klDiv(tensor(-1, [], { dtype: 'float64' }), tensor(0.5, [], { dtype: 'float64' }), { reduction: 'batchmean' });
    expect(out.shape).toEqual([]);
    expect(out.item()).toBeCloseTo(0.5 * (Math.log(0.5) + 1), 15);
  });

  it('target gradient log t + 1 − x, NaN at t = 0 (PyTorch: xlogy has no derivative there)', () => {
    const x = tensor([-1, -2], undefined, { dtype: 'float64' });
    const t = tensor([0, 0.5], undefined, { dtype: 'float64', requiresGrad: true });
    F.klDiv(x, t, { reduction: 'sum' }).backward();
    const g = t.grad!.data as Float64Array;
    expect(Number.isNaN(g[0])).toBe(true);
    expect(g[1]).toBeCloseTo(Math.log(0.5) + 3, 15);
  });

  it("defaults to PyTorch 1.x's 'mean' (÷ numel), in F and nn", () => {
    const x = tensor([[-1, -0.5], [-2, -0.1]]);
    const t = tensor([[0.3, 0.7], [0.1, 0.9]]);
    const sum = F.klDiv(x, t, { reduction: 'sum' }).item();
    expect(F.klDiv(x, t).item()).toBeCloseTo(sum / 4, 6);
    expect(new nn.KLDivLoss().options).toEqual({ reduction: 'mean', logTarget: false });
    expect(new nn.KLDivLoss({ reduction: 'batchmean', logTarget: true }).forward(x, x).item()).toBe(0);
  });
});
