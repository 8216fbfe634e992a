// Wasm memory: views survive memory.grow, repeated calls of every loss never grow memory, and
// inputs of any length stream through the bounded scratch area (README: "wasm memory stays
// under 4 MiB"), rows of millions of classes included.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, memoryBytes, tensor, type FloatDType, type Tensor } from '../ts/index.js';
import { LOSSES } from '../ts/losses.js';
import { wasm } from '../ts/wasm/runtime.js';
import { argsOf as makeArgs, kindOf, optionsFor, ROW_KINDS } from './helpers/loss_args.js';
import { arc, crossEntropyIndex, distillationRow, marginRow, nllRow, type RowResult } from './helpers/row_reference.js';

beforeAll(() => init());

/** The bound the README states for the module's memory, whatever the input length. */
const MEMORY_BOUND = 4 * 1024 * 1024;

function mseRef(x: Float32Array, t: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - t[i]) ** 2;
  return s / x.length;
}

/** Every element of `got` within rtol·|e| + atol of `want`. */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) throw new Error(`${what}[${i}]: got ${got[i]}, expected ${want[i]}`);
  }
}

/**
 * One wide-row loss call, forward and backward with the 'mean' reduction, on (rows, C) float32
 * input(s) requiring grad, against the float64 row reference `row` (upstream 1/N per row):
 * checks the value, every gradient and that wasm memory stays within MEMORY_BOUND.
 */
function wideRows(
  call: (args: Tensor[]) => Tensor,
  inputs: Float32Array[],
  shape: [number, number],
  row: (x: Float64Array, t: Float64Array | null, r: number, g: number) => RowResult,
): void {
  const [rows, c] = shape;
  const args = inputs.map((d) => tensor(d, shape, { requiresGrad: true }));
  const loss = call(args);
  loss.backward();
  const bytes = memoryBytes();
  expect(bytes).toBeLessThanOrEqual(MEMORY_BOUND);
  let want = 0;
  for (let r = 0; r < rows; r++) {
    const slice = (d: Float32Array) => Float64Array.from(d.subarray(r * c, (r + 1) * c));
    const res = row(slice(inputs[0]), inputs[1] ? slice(inputs[1]) : null, r, 1 / rows);
    for (const l of res.l) want += l / rows;
    expectClose(args[0].grad!.data.subarray(r * c, (r + 1) * c) as Float32Array, res.dx!, 1e-5, 1e-9, `row ${r} ∂input`);
    if (inputs[1]) expectClose(args[1].grad!.data.subarray(r * c, (r + 1) * c) as Float32Array, res.dt!, 1e-5, 1e-9, `row ${r} ∂target`);
  }
  expect(Math.abs(loss.item() - want)).toBeLessThanOrEqual(1e-5 * Math.abs(want));
}

/** Deterministic float32 values in [−s, s]. */
function wave(n: number, s: number, phase = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = s * Math.sin(i * 0.618 + phase);
  return out;
}

/** Losses without a gradient: forward only. */
const NO_GRAD = new Set(['zeroOneLoss']);

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

  // Rows of millions of classes stream through the `piece` export: the scratch area stays
  // bounded while the inputs and gradients live in JS (measured, Node 20: wasm memory 1.69 MiB
  // after these four calls in file order, 2.13 MiB when they run alone; the module starts at
  // 1.06 MiB). Each checks its value and gradients against the float64 row references of the
  // property tests.
  it('crossEntropy on a [1, 1e7] float32 input requiring grad, forward and backward, stays within 4 MiB', () => {
    const c = 10_000_000;
    wideRows(
      ([x]) => F.crossEntropy(x, tensor([c - 3], [1], { dtype: 'int64' })),
      [wave(c, 8)], [1, c],
      (x, _t, _r, g) => crossEntropyIndex(0)({ x, t: null, y: [c - 3], w: null, s: Number.NaN, dtype: 'float32' }, [g]),
    );
  });

  it('crossEntropy with class weights and label smoothing on [2, 3e6]: the weights stream with the rows (within 4 MiB)', () => {
    const c = 3_000_000;
    const ys = [11, c - 5];
    const w = Float32Array.from({ length: c }, (_, k) => 0.5 + (k % 7) / 4);
    const weight = tensor(w);
    wideRows(
      ([x]) => F.crossEntropy(x, tensor(ys, [2], { dtype: 'int64' }), { weight, labelSmoothing: 0.1, reduction: 'sum' }),
      [wave(2 * c, 8)], [2, c],
      (x, _t, r, g) => {
        // 'sum' here: the wideRows helper feeds upstream 1/N and divides by N; undo both.
        const res = crossEntropyIndex(0.1)({ x, t: null, y: [ys[r]], w: Float64Array.from(w), s: Number.NaN, dtype: 'float32' }, [g * 2]);
        return { l: res.l.map((l) => l * 2), dx: res.dx };
      },
    );
  });

  it('nllLoss on a [2, 3e6] float32 input requiring grad stays within 4 MiB', () => {
    const c = 3_000_000;
    const ys = [17, c - 1];
    wideRows(
      ([x]) => F.nllLoss(x, tensor(ys, [2], { dtype: 'int64' })),
      [wave(2 * c, 20)], [2, c],
      (x, _t, r, g) => nllRow({ x, t: null, y: [ys[r]], w: null, s: Number.NaN, dtype: 'float32' }, [g]),
    );
  });

  it('distillationLoss on [2, 3e6] float32 student and teacher requiring grad stays within 4 MiB', () => {
    const c = 3_000_000;
    const ref = distillationRow(2);
    wideRows(
      ([s, t]) => F.distillationLoss(s, t, { temperature: 2 }),
      [wave(2 * c, 6), wave(2 * c, 6, 0.3)], [2, c],
      // 'batchmean': upstream 1/N for every element.
      (x, t, _r, g) => ref({ x, t, y: [], w: null, s: Number.NaN, dtype: 'float32' }, new Float64Array(x.length).fill(g)),
    );
  });

  it('arcFaceLoss on a [2, 3e6] float32 input requiring grad stays within 4 MiB', () => {
    const c = 3_000_000;
    const ys = [5, c - 2];
    const ref = marginRow(64, arc(0.5));
    wideRows(
      ([x]) => F.arcFaceLoss(x, tensor(ys, [2], { dtype: 'int64' })),
      [wave(2 * c, 0.99)], [2, c],
      (x, _t, r, g) => ref({ x, t: null, y: [ys[r]], w: null, s: Number.NaN, dtype: 'float32' }, [g]),
    );
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
    const losses = LOSSES.map((loss) => ({ loss, kind: kindOf(loss) }));
    let calls = 0;
    const run = () => {
      sizes.forEach((n, i) => {
        // Both dtypes, both reductions paths ('sum': a scalar upstream; 'none': per element).
        const dtype = i % 2 === 0 ? 'float64' : 'float32';
        const reduction = i % 2 === 0 ? 'sum' : 'none';
        for (const { loss, kind } of losses) {
          for (const wide of ROW_KINDS.has(kind) && n > 0 ? [false, true] : [false]) {
            const args = makeArgs(tensor, loss, kind, n, wide ? (dtype === 'float32' ? 'float64' : 'float32') : dtype, wide);
            const out = (loss as (...a: unknown[]) => Tensor)(...args, optionsFor(loss, reduction));
            calls++;
            if (NO_GRAD.has(loss.spec.name)) continue;
            if (reduction === 'sum') out.backward();
            else out.backward(tensor(new (out.data.constructor as Float64ArrayConstructor)(out.numel()).fill(1), out.shape));
          }
        }
      });
    };
    run();
    const settled = memoryBytes();
    for (let i = 0; i < 3; i++) run();
    expect(memoryBytes()).toBe(settled);
    expect(calls).toBeGreaterThan(4 * LOSSES.length * sizes.length); // every loss ran, at every size
  });
});
