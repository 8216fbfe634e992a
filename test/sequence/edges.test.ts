// Edge cases of the sequence losses decided one by one, and the kernels' own checks.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, tensor } from '../../ts/index.js';
import { STATUS_BAD_PARAM, STATUS_OK } from '../../ts/wasm/abi.js';
import { views, wasm } from '../../ts/wasm/runtime.js';

beforeAll(() => init());

describe('ctcLoss edges', () => {
  it('an empty batch: mean NaN, sum 0, none (0), gradient empty', () => {
    const x = tensor(new Float32Array(0), [4, 0, 3], { requiresGrad: true });
    const tg = tensor([], [0, 2], { dtype: 'int64' });
    expect(F.ctcLoss(x, tg, [], []).item()).toBeNaN();
    expect(F.ctcLoss(x, tg, [], [], { reduction: 'sum' }).item()).toBe(0);
    const none = F.ctcLoss(x, tg, [], [], { reduction: 'none' });
    expect(none.shape).toEqual([0]);
    F.ctcLoss(x, tg, [], [], { reduction: 'sum' }).backward();
    expect(x.grad?.shape).toEqual([4, 0, 3]);
  });

  it('unbatched input gives a 0-d result for reduction none, equal to the batched one', () => {
    const lp = [-0.2, -1.9, -2.5, -1.2, -0.6, -1.9, -0.3, -2.1, -1.8, -1.5, -1.1, -0.8];
    const one = F.ctcLoss(tensor(lp, [4, 3], { dtype: 'float64' }), tensor([1, 2], undefined, { dtype: 'int32' }), 4, 2, { reduction: 'none' });
    const batch = F.ctcLoss(tensor(lp, [4, 1, 3], { dtype: 'float64' }), tensor([1, 2], [1, 2], { dtype: 'int32' }), [4], [2], { reduction: 'none' });
    expect(one.shape).toEqual([]);
    expect(one.item()).toBe(batch.item());
  });

  it('−inf log-probabilities (classes masked out) give finite gradients: the limit 0 (PyTorch 1.13: NaN)', () => {
    // T = 3, C = 3; class 2 impossible at frame 1, class 1 impossible at frame 2.
    const lp = [Math.log(0.5), Math.log(0.3), Math.log(0.2), Math.log(0.4), Math.log(0.6), -Infinity, Math.log(0.7), -Infinity, Math.log(0.3)];
    const x = tensor(lp, [3, 1, 3], { dtype: 'float64', requiresGrad: true });
    const l = F.ctcLoss(x, tensor([[1, 2]], undefined, { dtype: 'int64' }), [3], [2], { reduction: 'sum' });
    // Paths collapsing to "1 2" with these zeros: 1 1 2, 1 - 2, - 1 2 ... enumerated:
    // (1,1,2) .3·.6·.3, (1,-,2) .3·.4·.3, (-,1,2) .5·.6·.3, (1,2,2) impossible, (1,2,-) impossible.
    const p = 0.3 * 0.6 * 0.3 + 0.3 * 0.4 * 0.3 + 0.5 * 0.6 * 0.3;
    expect(l.item()).toBeCloseTo(-Math.log(p), 13);
    l.backward();
    const g = x.grad?.data as Float64Array;
    expect(Array.from(g).every(Number.isFinite)).toBe(true);
    expect(g[5]).toBe(0);
    expect(g[7]).toBe(0);
    // Every frame: Σ_c g = Σ e^lp − Σ posterior = 1 − 1.
    for (let t = 0; t < 3; t++) expect(Math.abs(g[3 * t] + g[3 * t + 1] + g[3 * t + 2])).toBeLessThan(1e-15);
  });

  it('zeroInfinity zeroes an infeasible sample\'s loss and gradient, leaving the others', () => {
    const lp = new Float64Array(3 * 2 * 3).fill(Math.log(1 / 3));
    const tg = tensor([[1, 1], [1, 2]], undefined, { dtype: 'int64' });
    const x = tensor(lp, [3, 2, 3], { dtype: 'float64', requiresGrad: true });
    const l = F.ctcLoss(x, tg, [2, 3], [2, 2], { reduction: 'none', zeroInfinity: true });
    expect(l.data[0]).toBe(0);
    expect(Number.isFinite(l.data[1]) && l.data[1] > 0).toBe(true);
    l.backward(tensor([1, 1], undefined, { dtype: 'float64' }));
    const g = x.grad?.data as Float64Array;
    for (let t = 0; t < 3; t++) for (let k = 0; k < 3; k++) expect(g[(t * 2 + 0) * 3 + k]).toBe(0);
    const y = tensor(lp, [3, 2, 3], { dtype: 'float64', requiresGrad: true });
    F.ctcLoss(y, tg, [2, 3], [2, 2], { reduction: 'sum' }).backward();
    const h = y.grad?.data as Float64Array;
    // Without zeroInfinity: NaN on the infeasible sample's frames before its length, 0 after.
    expect(h[0]).toBeNaN();
    expect(h[(2 * 2 + 0) * 3]).toBe(0);
    expect(Number.isFinite(h[3])).toBe(true);
  });

  it('long, sharp inputs (underflow in probability space) take the exact log-space path', () => {
    // Frames alternate between strongly preferring the blank and class 1 (the others ~800 nats
    // below), so the alignments of "2 1 2" sit far below each frame's best: the scaled path
    // would underflow. Reference: the log-space α recursion in plain JS (float64).
    const t = 60;
    const lp: number[] = [];
    for (let f = 0; f < t; f++) lp.push(...(f % 2 ? [-800, 0, -30] : [0, -800, -30]));
    const labels = [2, 1, 2];
    const l = F.ctcLoss(tensor(lp, [t, 1, 3], { dtype: 'float64' }), tensor(labels, [1, 3], { dtype: 'int32' }), [t], [3], { reduction: 'sum' });
    const lse = (a: number, b: number): number => (a === -Infinity ? b : b === -Infinity ? a : Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b))));
    const ext = [0, 2, 0, 1, 0, 2, 0];
    let alpha = ext.map((c, s) => (s < 2 ? lp[c] : -Infinity));
    for (let f = 1; f < t; f++) {
      alpha = ext.map((c, s) => {
        let v = alpha[s];
        if (s > 0) v = lse(v, alpha[s - 1]);
        if (s > 1 && c !== 0 && ext[s - 2] !== c) v = lse(v, alpha[s - 2]);
        return v + lp[3 * f + c];
      });
    }
    const want = -lse(alpha[6], alpha[5]);
    expect(want).toBeGreaterThan(1000);
    expect(Math.abs(l.item() - want) / want).toBeLessThan(1e-13);
  });
});

describe('rnntLoss edges', () => {
  it('an empty batch: mean NaN, sum 0', () => {
    const x = tensor(new Float32Array(0), [0, 2, 2, 3]);
    const tg = tensor([], [0, 1], { dtype: 'int32' });
    expect(F.rnntLoss(x, tg, [], []).item()).toBeNaN();
    expect(F.rnntLoss(x, tg, [], [], { reduction: 'sum' }).item()).toBe(0);
  });

  it('T = 1, U = 0: the loss is −log softmax(x)[blank]; gradient softmax − onehot(blank)', () => {
    const row = [0.3, -1.2, 2.0];
    const x = tensor(row, [1, 1, 1, 3], { dtype: 'float64', requiresGrad: true });
    const l = F.rnntLoss(x, tensor([], [1, 0], { dtype: 'int32' }), [1], [0]);
    const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    expect(l.item()).toBeCloseTo(lse - 2.0, 14);
    l.backward();
    const p = row.map((v) => Math.exp(v - lse));
    const g = Array.from(x.grad?.data as Float64Array);
    [p[0], p[1], p[2] - 1].forEach((v, i) => expect(g[i]).toBeCloseTo(v, 14));
  });
});

describe('the sequence kernels check their arguments (a status, never a trap)', () => {
  it('inconsistent lengths, bad labels and empty lattices give STATUS_BAD_PARAM', () => {
    const ex = wasm('test');
    const at = ex.lossfn_alloc(1024) >>> 0;
    const call = (name: string, ...a: number[]) => (ex[name] as (...b: number[]) => number)(...a);
    const i32 = (v: number[], off: number) => views(ex).i32.set(v, (at + off) / 4);
    views(ex).f64.set([-1, -2, -3, -1, -2, -3], at / 8);
    i32([1], 512); // labels
    i32([2], 528); // t_lens
    i32([1], 544); // l_lens
    // 2 frames × (1 + 1) columns = 4 values, not 6:
    expect(call('lossfn_ctc_loss_forward_f64', at, 6, at + 512, 1, at + 528, at + 544, 1, at + 600)).toBe(STATUS_BAD_PARAM);
    expect(call('lossfn_ctc_loss_forward_f64', at, 4, at + 512, 1, at + 528, at + 544, 1, at + 600)).toBe(STATUS_OK);
    i32([-1], 544);
    expect(call('lossfn_ctc_loss_forward_f64', at, 4, at + 512, 1, at + 528, at + 544, 1, at + 600)).toBe(STATUS_BAD_PARAM);
    i32([0], 528); // a lattice with no frame
    i32([0], 544);
    expect(call('lossfn_rnnt_loss_lattice', at, at, 0, at + 528, at + 544, 1, at + 600, 0)).toBe(STATUS_BAD_PARAM);
    i32([3], 512); // a row label ≥ classes
    expect(call('lossfn_rnnt_loss_prepare_f64', at, 1, 3, 0, at + 512, 1, at + 600, at + 640)).toBe(STATUS_BAD_PARAM);
    expect(call('lossfn_rnnt_loss_prepare_f64', at, 1, 3, 3, at + 512, 1, at + 600, at + 640)).toBe(STATUS_BAD_PARAM);
    ex.lossfn_free(at, 1024);
    expect(Number.isFinite(F.ctcLoss(tensor([-1, -1, -1, -1], [2, 1, 2]), tensor([1], [1, 1], { dtype: 'int32' }), [2], [1]).item())).toBe(true);
  });
});
