import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';
import { checkGradient, expectAllClose, idx, logSoftmax, rng } from '../helpers/rows.js';

describeGolden('poly_loss');

describe('polyLoss', () => {
  beforeAll(() => init());

  it('is cross entropy + epsilon·(1 − p_y), with central-difference gradients', () => {
    const x0 = [1.2, -0.3, 0.5, 2.0, -1.0, 0.1, 0.7, -2.2, 0, 0, 0, 0];
    const ys = [3, 2, 1];
    for (const epsilon of [1, 2, -1, 0]) {
      const l = F.polyLoss(tensor(x0, [3, 4], { dtype: 'float64' }), idx(ys), { epsilon, reduction: 'none' });
      const want = ys.map((y, r) => {
        const lp = logSoftmax(x0.slice(4 * r, 4 * r + 4))[y];
        return -lp + epsilon * (1 - Math.exp(lp));
      });
      expectAllClose(l.data as Float64Array, want, 1e-14);
      checkGradient((x) => F.polyLoss(x, idx(ys), { epsilon }), x0, [3, 4]);
    }
    const a = tensor(x0, [3, 4]);
    expect(F.polyLoss(a, idx(ys), { epsilon: 0 }).item()).toBeCloseTo(F.crossEntropy(a, idx(ys)).item(), 6);
  });

  it('weight multiplies the whole loss and the mean divides by Σ w_y of the non-ignored targets, as crossEntropy', () => {
    const x0 = [0.2, 1.5, -0.5, 0.3, 0.3, 0.9, -1, 2, 0.1];
    const weight = tensor([0.5, 2, 1.5], undefined, { dtype: 'float64' });
    const l = F.polyLoss(tensor(x0, [3, 3], { dtype: 'float64' }), idx([1, -100, 2]), { weight, epsilon: 2 });
    const term = (r: number, y: number) => {
      const lp = logSoftmax(x0.slice(3 * r, 3 * r + 3))[y];
      return -lp + 2 * (1 - Math.exp(lp));
    };
    expect(l.item()).toBeCloseTo((2 * term(0, 1) + 1.5 * term(2, 2)) / 3.5, 14);
  });

  it('takes (N, C, d) input like crossEntropy (class dimension 1)', () => {
    const r = rng(5);
    const x0 = Array.from({ length: 24 }, () => r(-2, 2));
    const ys = [0, 2, 1, 1, 0, 2, 2, 0];
    const a = F.polyLoss(tensor(x0, [2, 3, 4], { dtype: 'float64' }), idx(ys, [2, 4]), { reduction: 'none' });
    // the same rows, class dimension last
    const rows: number[] = [];
    for (let n = 0; n < 2; n++) for (let k = 0; k < 4; k++) for (let c = 0; c < 3; c++) rows.push(x0[n * 12 + c * 4 + k]);
    const b = F.polyLoss(tensor(rows, [8, 3], { dtype: 'float64' }), idx(ys), { reduction: 'none' });
    expect(a.shape).toEqual([2, 4]);
    expectAllClose(a.data as Float64Array, Array.from(b.data as Float64Array), 1e-15);
  });

  it('defaults: epsilon 1, reduction mean; the nn class', () => {
    const x = tensor([[2, 0.5, -1], [0.1, 0.2, 3]]);
    const y = idx([0, 2]);
    expect(F.polyLoss(x, y).item()).toBe(F.polyLoss(x, y, { epsilon: 1, reduction: 'mean' }).item());
    expect(new nn.PolyLoss({ epsilon: 1 }).forward(x, y).item()).toBe(F.polyLoss(x, y).item());
  });
});
