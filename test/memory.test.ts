// Wasm memory: views survive memory.grow, repeated calls never grow memory, and inputs of any
// length stream through the bounded scratch area (README: "wasm memory stays under 4 MiB").
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, memoryBytes, tensor } from '../ts/index.js';
import { wasm } from '../ts/wasm/runtime.js';

beforeAll(() => init());

/** The bound the README states for the module's memory, whatever the input length. */
const MEMORY_BOUND = 4 * 1024 * 1024;

function mseRef(x: Float32Array, t: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - t[i]) ** 2;
  return s / x.length;
}

describe('wasm memory', () => {
  // First in the file: the other tests grow memory on purpose.
  it('mseLoss over 1e8 float32 elements streams in constant wasm memory', () => {
    const n = 100_000_000;
    const x = new Float32Array(n);
    const t = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = (i % 1000) * 1e-3; // 0 … 0.999
      t[i] = 0.5;
    }
    const loss = F.mseLoss(tensor(x), tensor(t)).item();
    // Each block of 1000 holds x = k/1000, k = 0…999, against t = 0.5, so the mean is
    // mean_k (k/1000 − 0.5)² = mean(k²)/1e6 − mean(k)/1e3 + 0.25, with mean(k) = 499.5 and
    // mean(k²) = 999·1999/6 = 332833.5: 0.3328335 − 0.4995 + 0.25 = 0.0833335.
    expect(loss).toBeCloseTo(0.0833335, 6);
    expect(memoryBytes()).toBeLessThanOrEqual(MEMORY_BOUND);
  });

  it('a call after memory.grow sees fresh views and computes the same value', () => {
    const x = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i));
    const t = Float32Array.from({ length: 5000 }, (_, i) => Math.cos(i));
    const before = F.mseLoss(tensor(x), tensor(t)).item();
    const ex = wasm('memory.test');
    const size = ex.memory.buffer.byteLength;
    const block = ex.lossfn_alloc(8 * 1024 * 1024); // forces growth: more than the current memory
    expect(ex.memory.buffer.byteLength).toBeGreaterThan(size);
    const after = F.mseLoss(tensor(x), tensor(t)).item();
    ex.lossfn_free(block, 8 * 1024 * 1024);
    expect(after).toBe(before);
    expect(after).toBeCloseTo(mseRef(x, t), 5);
  });

  it('repeated calls of every size and loss do not grow memory', () => {
    const sizes = [0, 1, 7, 1000, 16384, 16385, 100_000, 300_001];
    const run = () => {
      for (const n of sizes) {
        const a = new Float64Array(n).fill(0.5);
        const b = new Float64Array(n).fill(2);
        const x = tensor(a, undefined, { requiresGrad: true });
        F.mseLoss(x, tensor(b)).backward();
        F.huberLoss(tensor(new Float32Array(n)), tensor(new Float32Array(n)), { reduction: 'none' });
        F.gaussianNllLoss(tensor(a), tensor(b), tensor(b));
      }
    };
    run();
    const settled = memoryBytes();
    for (let i = 0; i < 5; i++) run();
    expect(memoryBytes()).toBe(settled);
  });

});
