// Issue 8, finding 5: wasm memory stays bounded for any class count (the row driver streams a
// long row in pieces with a running log-sum-exp), and `release()` gives the memory back by
// swapping in a fresh instance of the same compiled module.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, memoryBytes, release, tensor } from '../../ts/index.js';
import { scratch, wasm } from '../../ts/wasm/runtime.js';

beforeAll(() => init());

const MiB = 1024 * 1024;
/** The README's bound for any single call. */
const MEMORY_BOUND = 4 * MiB;

describe('memory (finding 5)', () => {
  it('crossEntropy with requiresGrad on [1, 1e7] float32 stays within the bound, forward and backward', () => {
    const c = 1e7;
    const data = new Float32Array(c);
    for (let i = 0; i < c; i++) data[i] = Math.sin(i * 0.37) * 4;
    const x = tensor(data, [1, c], { requiresGrad: true });
    const y = tensor([123456], undefined, { dtype: 'int32' });
    const loss = F.crossEntropy(x, y);
    expect(memoryBytes()).toBeLessThanOrEqual(MEMORY_BOUND);
    loss.backward();
    expect(memoryBytes()).toBeLessThanOrEqual(MEMORY_BOUND);
    // Reference in float64: logsumexp(x) − x_y, and Σ ∂x = Σ softmax − 1 = 0.
    let m = -Infinity;
    for (let i = 0; i < c; i++) m = Math.max(m, data[i]);
    let s = 0;
    for (let i = 0; i < c; i++) s += Math.exp(data[i] - m);
    const want = m + Math.log(s) - data[123456];
    expect(Math.abs(loss.item() - want)).toBeLessThanOrEqual(1e-5 * want);
    const g = x.grad!.data as Float32Array;
    expect(g[123456]).toBeCloseTo(Math.exp(data[123456] - m) / s - 1, 6);
  });

  it('release() resolves to the bytes given back; calls, results and pending backward passes keep working', async () => {
    const x = tensor([[2, 0.5, -1], [0.1, 0.2, 3]], undefined, { dtype: 'float64', requiresGrad: true });
    const y = tensor([0, 2], undefined, { dtype: 'int32' });
    const before = F.crossEntropy(x, y);
    // Grow the module's memory as a large call would (a 48 MiB scratch request).
    scratch(wasm('probe'), 48 * MiB);
    const grown = memoryBytes();
    expect(grown).toBeGreaterThan(48 * MiB);
    const freed = await release();
    expect(freed).toBe(grown - memoryBytes());
    expect(freed).toBeGreaterThan(44 * MiB);
    expect(memoryBytes()).toBeLessThanOrEqual(MEMORY_BOUND);
    // The graph recorded before the swap runs on the new instance.
    before.backward();
    const after = F.crossEntropy(tensor([[2, 0.5, -1], [0.1, 0.2, 3]], undefined, { dtype: 'float64' }), y);
    expect(after.item()).toBe(before.item());
    // ∂/∂x = (softmax − onehot)/2; row 0: softmax(2, 0.5, −1)_0 − 1.
    const e = [Math.exp(2), Math.exp(0.5), Math.exp(-1)];
    const z = e[0] + e[1] + e[2];
    expect((x.grad!.data as Float64Array)[0]).toBeCloseTo((e[0] / z - 1) / 2, 14);
    const size = memoryBytes();
    expect(await release()).toBe(size - memoryBytes());
  });
});
