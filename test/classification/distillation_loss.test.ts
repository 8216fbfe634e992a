import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden } from '../helpers/golden.js';
import { checkGradient, expectAllClose, logSoftmax, rng } from '../helpers/rows.js';

describeGolden('distillation_loss');

/** T²·Σ p·(log p − log q) per row of (N, C), in plain float64. */
function reference(s: number[], t: number[], n: number, c: number, temp: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < n; r++) {
    const lp = logSoftmax(t.slice(r * c, r * c + c).map((v) => v / temp));
    const lq = logSoftmax(s.slice(r * c, r * c + c).map((v) => v / temp));
    for (let j = 0; j < c; j++) out.push(temp * temp * Math.exp(lp[j]) * (lp[j] - lq[j]));
  }
  return out;
}

describe('distillationLoss', () => {
  beforeAll(() => init());
  const r = rng(7);
  const s0 = Array.from({ length: 12 }, () => r(-3, 3));
  const t0 = Array.from({ length: 12 }, () => r(-3, 3));

  it('is T²·KL(softmax(t/T) ‖ softmax(s/T)); batchmean = sum / N, mean = sum / numel', () => {
    const s = tensor(s0, [3, 4], { dtype: 'float64' });
    const t = tensor(t0, [3, 4], { dtype: 'float64' });
    const e = reference(s0, t0, 3, 4, 2.5);
    const sum = e.reduce((a, b) => a + b, 0);
    expectAllClose(F.distillationLoss(s, t, { temperature: 2.5, reduction: 'none' }).data as Float64Array, e, 1e-13, 1e-16);
    // Relative, as the golden tests: the reference's plain sum carries a few ulp of its own.
    const reduced = (reduction: 'batchmean' | 'sum' | 'mean') =>
      [F.distillationLoss(s, t, { temperature: 2.5, reduction }).item()];
    expectAllClose(reduced('batchmean'), [sum / 3], 1e-13, 0);
    expectAllClose(reduced('sum'), [sum], 1e-13, 0);
    expectAllClose(reduced('mean'), [sum / 12], 1e-13, 0);
    expect(F.distillationLoss(s, s).item()).toBe(0);
  });

  it('has student and teacher gradients (central differences)', () => {
    checkGradient((x) => F.distillationLoss(x, tensor(t0, [3, 4], { dtype: 'float64' }), { temperature: 3 }), s0, [3, 4]);
    checkGradient((x) => F.distillationLoss(tensor(s0, [3, 4], { dtype: 'float64' }), x, { temperature: 3 }), t0, [3, 4]);
    const g = Array.from({ length: 12 }, () => r(-1, 1));
    const weighted = (x: ReturnType<typeof tensor>) => {
      const e = F.distillationLoss(x, tensor(t0, [3, 4], { dtype: 'float64' }), { temperature: 0.7, reduction: 'none' });
      // Σ g·e through a 'none' result: backward(g) equals the gradient of this scalar.
      const d = e.data as Float64Array;
      return tensor([d.reduce((a, v, i) => a + v * g[i], 0)], [], { dtype: 'float64' });
    };
    const s = tensor(s0, [3, 4], { dtype: 'float64', requiresGrad: true });
    const t = tensor(t0, [3, 4], { dtype: 'float64', requiresGrad: true });
    F.distillationLoss(s, t, { temperature: 0.7, reduction: 'none' }).backward(tensor(g, [3, 4], { dtype: 'float64' }));
    for (const i of [0, 5, 11]) {
      const at = (d: number) => {
        const x = s0.slice();
        x[i] += d;
        return weighted(tensor(x, [3, 4], { dtype: 'float64' })).item();
      };
      expect(Math.abs((at(1e-6) - at(-1e-6)) / 2e-6 - (s.grad?.data as Float64Array)[i])).toBeLessThan(1e-7);
    }
    expect(t.grad).not.toBeNull();
  });

  it('the teacher gets no gradient unless it requires grad; the student alone may', () => {
    const s = tensor(s0, [3, 4], { requiresGrad: true });
    const t = tensor(t0, [3, 4]);
    F.distillationLoss(s, t).backward();
    expect(s.grad?.shape).toEqual([3, 4]);
    expect(t.grad).toBeNull();
  });

  it('takes (N, C, d) with the class dimension 1', () => {
    const a = F.distillationLoss(tensor(s0, [1, 4, 3], { dtype: 'float64' }), tensor(t0, [1, 4, 3], { dtype: 'float64' }), { reduction: 'none' });
    const perm = (x: number[]) => [0, 1, 2].flatMap((k) => [0, 1, 2, 3].map((c) => x[c * 3 + k]));
    const e = reference(perm(s0), perm(t0), 3, 4, 1);
    const back = new Array<number>(12);
    [0, 1, 2].forEach((k) => [0, 1, 2, 3].forEach((c) => (back[c * 3 + k] = e[k * 4 + c])));
    expect(a.shape).toEqual([1, 4, 3]);
    expectAllClose(a.data as Float64Array, back, 1e-13, 1e-16);
  });

  it('the nn class defaults to batchmean and temperature 1', () => {
    const s = tensor(s0, [3, 4]);
    const t = tensor(t0, [3, 4]);
    expect(new nn.DistillationLoss().forward(s, t).item()).toBe(F.distillationLoss(s, t, { temperature: 1, reduction: 'batchmean' }).item());
  });
});
