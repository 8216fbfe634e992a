// Large vocabularies and long inputs in bounded wasm memory: the CTC recursion reads only the
// blank's and the labels' log-probabilities (O(T·S) per sample), the dense part of the
// gradient streams through 64 KiB chunks. README "Sequence losses" states the bound tested here.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, memoryBytes, tensor } from '../../ts/index.js';
import { rng } from '../helpers/rows.js';

beforeAll(() => init());

/** The wasm memory bound README "Sequence losses" states for T = 1000, C = 5000, S = 200. */
const BOUND = 16 * 1024 * 1024;

describe('ctcLoss with T = 1000, C = 5000, S = 200', () => {
  it('forward and backward in ≤ 16 MiB of wasm memory; the gradient is e^lp away from the target classes', () => {
    const [t, n, c, s] = [1000, 2, 5000, 200];
    const r = rng(3);
    // A uniform distribution perturbed per frame: log-probabilities −ln C + small noise,
    // renormalised (every row sums to 1 in f64, rounded to f32).
    const x = new Float32Array(t * n * c);
    for (let q = 0; q < t * n; q++) {
      let sum = 0;
      for (let k = 0; k < c; k++) sum += Math.exp((x[q * c + k] = r(-0.5, 0.5)));
      const l = Math.log(sum);
      for (let k = 0; k < c; k++) x[q * c + k] -= l;
    }
    const labels = Array.from({ length: n * s }, (_, i) => 1 + ((i * 7919) % (c - 1)));
    const lp = tensor(x, [t, n, c], { requiresGrad: true });
    const loss = F.ctcLoss(lp, tensor(labels, [n, s], { dtype: 'int32' }), [t, 900], [s, 150], { reduction: 'sum' });
    expect(Number.isFinite(loss.item())).toBe(true);
    // ≈ −ln of (number of alignments)·C^−T: at least T·ln C − ln C(T + S, 2S) nats.
    expect(loss.item()).toBeGreaterThan(2 * 800 * Math.log(c));
    loss.backward();
    const g = lp.grad?.data as Float32Array;
    // A class that is not in either target: gradient = e^lp (before the input length), 0 after.
    const free = 2; // labels are 1 + (i·7919 mod 4999): 2 occurs only if i·7919 ≡ 1, not for i < 400
    expect(labels.includes(free)).toBe(false);
    expect(g[(10 * n + 0) * c + free]).toBeCloseTo(Math.exp(x[(10 * n + 0) * c + free]), 9);
    expect(g[(950 * n + 1) * c + free]).toBe(0);
    expect(memoryBytes()).toBeLessThanOrEqual(BOUND);
  });
});
