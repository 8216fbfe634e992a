import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { describeGolden, expectClose, loadGolden, toTensor } from '../helpers/golden.js';
import { expectAllClose, idx, logSoftmax, rng } from '../helpers/rows.js';

describeGolden('nll_loss');

describe('nllLoss', () => {
  beforeAll(() => init());

  it('is cross entropy of log-probabilities (values and gradients, weights, ignored targets, (N, C, d))', () => {
    const r = rng(1);
    const [n, c, d] = [3, 4, 5];
    const logits = Array.from({ length: n * c * d }, () => r(-3, 3));
    // log-softmax over dim 1 of (N, C, d)
    const logp = logits.slice();
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < d; k++) {
        const row = logSoftmax(Array.from({ length: c }, (_, j) => logits[i * c * d + j * d + k]));
        row.forEach((v, j) => (logp[i * c * d + j * d + k] = v));
      }
    }
    const ys = Array.from({ length: n * d }, (_, i) => (i % 7 === 3 ? -100 : i % c));
    const weight = tensor([0.5, 2, 1, 1.5], undefined, { dtype: 'float64' });
    for (const reduction of ['none', 'mean', 'sum'] as const) {
      const a = tensor(logp, [n, c, d], { dtype: 'float64', requiresGrad: true });
      const b = tensor(logits, [n, c, d], { dtype: 'float64', requiresGrad: true });
      const la = F.nllLoss(a, idx(ys, [n, d]), { weight, reduction });
      const lb = F.crossEntropy(b, idx(ys, [n, d]), { weight, reduction });
      expectAllClose(la.data as Float64Array, Array.from(lb.data as Float64Array), 1e-12, 1e-15);
      expect(la.shape).toEqual(lb.shape);
    }
  });

  it('int32 and int64 targets agree; NLLLoss2d is NLLLoss on (N, C, H, W)', () => {
    const x = tensor([-0.1, -2, -3, -1.5, -0.7, -0.2, -2.2, -0.4], [1, 2, 2, 2], { requiresGrad: true });
    const a = F.nllLoss(x, tensor([0, 1, 1, 0], [1, 2, 2], { dtype: 'int32' }));
    const b = new nn.NLLLoss2d().forward(x, idx([0, 1, 1, 0], [1, 2, 2]));
    expect(a.item()).toBe(b.item());
    // positions (h, w) = (0,0), (0,1), (1,0), (1,1) pick x[0,0,0,0], x[0,1,0,1], x[0,1,1,0], x[0,0,1,1]
    expect(a.item()).toBeCloseTo((0.1 + 0.2 + 2.2 + 1.5) / 4, 6);
    expect(() => new nn.NLLLoss2d().forward(x, idx([0, 1, 1, 7], [1, 2, 2]))).toThrow(/^NLLLoss2d: .*Target 7 is out of bounds/);
  });

  it('weighted mean divides by Σ w_y of the non-ignored targets; all ignored is NaN with zero gradients', () => {
    const x = tensor([[-1, -0.5], [-2, -0.25], [-1.5, -3]], undefined, { dtype: 'float64', requiresGrad: true });
    const weight = tensor([2, 3], undefined, { dtype: 'float64' });
    const l = F.nllLoss(x, idx([1, -100, 0]), { weight });
    expect(l.item()).toBeCloseTo((3 * 0.5 + 2 * 1.5) / 5, 15);
    l.backward();
    expectAllClose(x.grad?.data as Float64Array, [0, -0.6, 0, 0, -0.4, 0], 1e-15);
    const y = tensor([[-1, -0.5]], undefined, { requiresGrad: true });
    const all = F.nllLoss(y, idx([-100]));
    expect(all.item()).toBeNaN();
    all.backward();
    expect(Array.from(y.grad?.data as Float32Array)).toEqual([0, 0]);
    expect(F.nllLoss(y, idx([-100]), { reduction: 'sum' }).item()).toBe(0);
  });

  it('runs batches larger than one scratch chunk', () => {
    const r = rng(2);
    const [n, c] = [5000, 10];
    const x = Array.from({ length: n * c }, () => r(-5, 0));
    const ys = Array.from({ length: n }, (_, i) => (i * 7) % c);
    const l = F.nllLoss(tensor(x, [n, c], { dtype: 'float64' }), idx(ys), { reduction: 'sum' });
    const want = ys.reduce((s, y, i) => s - x[i * c + y], 0);
    expect(Math.abs(l.item() - want)).toBeLessThan(1e-9 * Math.abs(want));
  });

  it('without a graph, reduced results (summed in the gathering pass) match every golden case, int64 and int32 targets, and equal the graph path', () => {
    // The reduced no-graph path sums −w_y·x[r, y_r] in TS (ts/functional/nll_loss.ts,
    // pickedSum); the golden cases run with requiresGrad, through the elementwise kernel.
    const cases = loadGolden('nll_loss').cases.filter((c) => c.options.reduction !== 'none');
    expect(cases.length).toBeGreaterThan(40);
    for (const c of cases) {
      const options: Record<string, unknown> = { ...c.options };
      if (c.options.weight) options.weight = toTensor(c.options.weight as never, c.dtype);
      for (const dtype of ['int64', 'int32'] as const) {
        const x = toTensor(c.args[0], c.dtype);
        const t = tensor(c.args[1].data.map(Number), c.args[1].shape, { dtype });
        const out = F.nllLoss(x, t, options);
        expectClose(out, c.output, c.rtol, c.atol, `${c.name} (no graph, ${dtype} targets)`);
        const graph = F.nllLoss(toTensor(c.args[0], c.dtype, true), t, options).item();
        // Both sums are compensated: at most the final rounding apart.
        const tol = (c.dtype === 'float32' ? 2 ** -23 : 2 ** -51) * Math.abs(graph);
        if (Number.isNaN(graph)) expect(out.item()).toBeNaN();
        else expect(Math.abs(out.item() - graph), c.name).toBeLessThanOrEqual(tol);
      }
    }
  });
});
