// Zero-copy tensors (ts/wasm_tensor.ts, README "Zero-copy tensors"): every loss gives the same values
// and gradients, bit for bit, on tensors in wasm memory as on the same data in JS arrays (the
// drivers run the same kernel calls on the same chunks, reading in place instead of staging);
// the elementwise and row drivers really skip the copies; views survive memory growth, also
// growth inside a call; use after free() or after the instance was replaced is an Error.
import vm from 'node:vm';
import v8 from 'node:v8';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { F, init, memoryBytes, tensor, Tensor, wasmTensor, WasmTensor, type FloatDType } from '../ts/index.js';
import { LOSSES } from '../ts/losses.js';
import type { AnyLoss } from '../ts/table.js';
import { setRowStreaming } from '../ts/rowloss.js';
import { setOneCopyBytes } from '../ts/elementwise.js';
import { release, wasm } from '../ts/wasm/runtime.js';
import { kindOf, optionsFor, ROW_KINDS, type Kind } from './helpers/loss_args.js';

beforeAll(() => init());

/** Deterministic values around `v` (±0.01): inside every loss's domain where `v` is. */
const wobble = (v: number, i: number): number => v + 0.01 * Math.sin(i * 0.7 + v);

/** The JS-array arguments of `loss` for about n elements; the first requires grad. */
function argsOf(loss: AnyLoss, kind: Kind, n: number, dtype: FloatDType, wide: boolean): unknown[] {
  const Ctor = dtype === 'float32' ? Float32Array : Float64Array;
  const float = (shape: number[], grad = false, v = 0.5) => {
    const d = new Ctor(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < d.length; i++) d[i] = wobble(v, i);
    return tensor(d, shape, { dtype, requiresGrad: grad });
  };
  const ints = (shape: number[], f: (i: number) => number, dt: 'int32' | 'int64' = 'int64') => {
    const d = new Int32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < d.length; i++) d[i] = f(i);
    return tensor(d, shape, { dtype: dt });
  };
  if (kind === 'elementwise') return loss.spec.args.map((_: string, i: number) => float([n], i === 0));
  if (kind === 'boxes') {
    const m = Math.ceil(n / 4);
    const boxes = (lo: number, grad: boolean) => {
      const d = new Ctor(4 * m);
      for (let i = 0; i < d.length; i++) d[i] = (i % 4 < 2 ? lo : lo + 1) + 0.01 * Math.sin(i);
      return tensor(d, [m, 4], { dtype, requiresGrad: grad });
    };
    return [boxes(0, true), boxes(0.5, false)];
  }
  if (kind === 'ctc') {
    const t = Math.max(1, Math.ceil(n / 10));
    return [float([t, 1, 10], true, -Math.log(10)), ints([1, 2], (i) => 1 + i), [t], [t >= 2 ? 2 : 1]];
  }
  if (kind === 'rnnt') {
    const t = Math.max(1, Math.ceil(n / 20));
    return [float([1, t, 2, 10], true), ints([1, 1], () => 1, 'int32'), [t], [1]];
  }
  if (kind === 'pair' || kind === 'triplet') {
    const r = Math.ceil(n / 8);
    const pos = float([r, 8], false, 0.25);
    return kind === 'pair' ? [float([r, 8], true), pos, tensor(new Ctor(r).fill(1), [r], { dtype })] : [float([r, 8], true), pos, float([r, 8], false, -0.5)];
  }
  if (kind === 'views' || kind === 'supcon') {
    const r = Math.min(256, Math.ceil(n / 16));
    const a = new Ctor(r * 16);
    for (let i = 0; i < a.length; i++) a[i] = Math.sin(i);
    if (kind === 'supcon') return [tensor(a, [r, 2, 8], { dtype, requiresGrad: true }), ints([r], (i) => i % 3)];
    return [tensor(a.slice(0, r * 8), [r, 8], { dtype, requiresGrad: true }), tensor(a.slice(r * 8), [r, 8], { dtype })];
  }
  if (kind === 'lists') {
    const r = Math.ceil(n / 10);
    const rel = new Ctor(r * 10);
    for (let i = 0; i < rel.length; i++) rel[i] = i % 10 === 9 ? -1 : i % 3;
    return [float([r, 10], true), tensor(rel, [r, 10], { dtype })];
  }
  // Segmentation (as test/memory.test.ts): (1, 3, ⌈n/3⌉) logits with class indices, probabilities
  // with 0/1 labels (MCC), a softmax with one-hot indices (generalized Dice), logits with 0/1 labels.
  if (kind === 'planes' || kind === 'gdl') {
    const sp = Math.ceil(n / 3);
    return [float([1, 3, sp], true, 0.25), ints(kind === 'gdl' ? [1, 1, sp] : [1, sp], (i) => i % 3)];
  }
  if (kind === 'probs') return [float([1, n], true), tensor(new Ctor(n).fill(1), [1, n], { dtype })];
  if (kind === 'hinge') return [float([1, n], true), ints([1, n], (i) => i % 2)];
  const shape = wide ? [1, n] : [Math.ceil(n / 10), 10];
  const [rows, c] = shape;
  const input = float(shape, true);
  // int32 targets: the kind a zero-copy scoring loop keeps in wasm memory.
  if (kind === 'rows') return [input, float(shape)];
  if (kind === 'index') return [input, ints([rows], (r) => (r * 7) % c, 'int32')];
  if (kind === 'quality') return [input, ints([rows], (r) => r % c), float([rows])];
  if (kind === 'bins') return [input, c > 1 ? float([rows]) : tensor(new Ctor(rows), [rows], { dtype })]; // labels in [0, C − 1]
  return [input, ints(shape, (i) => (i % c === 0 ? i % 3 : -1))];
}

/** A wasm tensor holding `t`'s data (same shape, dtype, requiresGrad); other values as they are. */
function inWasm(v: unknown): unknown {
  if (!(v instanceof Tensor)) return v;
  const w = wasmTensor(v.shape, { dtype: v.dtype, requiresGrad: v.requiresGrad });
  (w.data as Float32Array).set(v.data as Float32Array);
  return w;
}

/** `got` equals `want` element for element, bit for bit (Object.is: NaN is NaN, −0 is not 0). */
function sameBits(got: ArrayLike<number | bigint>, want: ArrayLike<number | bigint>, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`${what}[${i}]: zero-copy ${got[i]}, copied ${want[i]}`);
  }
}

/** Losses without a gradient: forward only. */
const NO_GRAD = new Set(['zeroOneLoss']);

/** Runs `loss` forward (and backward) on `args`; the value and the gradient of every argument
 * that requires grad. */
function run(loss: AnyLoss, args: unknown[], reduction: 'mean' | 'none'): { value: Float64Array; grads: (Float64Array | null)[] } {
  // Losses without a reduction option (mccLoss, the Lovász losses) run with their own.
  const options = optionsFor(loss, reduction);
  const out = (loss as (...a: unknown[]) => Tensor)(...args, options);
  const value = Float64Array.from(out.data as Float32Array);
  if (!NO_GRAD.has(loss.spec.name)) {
    if (out.ndim === 0) out.backward();
    else {
      const g = new (out.data.constructor as Float64ArrayConstructor)(out.numel());
      for (let i = 0; i < g.length; i++) g[i] = 1 + 0.25 * Math.cos(i);
      out.backward(tensor(g, out.shape));
    }
  }
  const grads = args.map((a) => (a instanceof Tensor && a.grad !== null ? Float64Array.from(a.grad.data as Float32Array) : null));
  return { value, grads };
}

function freeAll(args: unknown[]): void {
  for (const a of args) if (a instanceof WasmTensor) a.free();
}

afterEach(() => {
  setRowStreaming();
  setOneCopyBytes();
});

describe('zero-copy tensors', () => {
  // First in the file: the module's scratch arena is still empty, so the call's own scratch()
  // grows memory after the operands were validated (their views detached mid-call).
  it('memory growing inside a call: values and gradients as on JS arrays', () => {
    const rows = 700;
    const c = 300;
    const x = new Float32Array(rows * c);
    for (let i = 0; i < x.length; i++) x[i] = 3 * Math.sin(i * 0.37);
    const y = Int32Array.from({ length: rows }, (_, r) => (r * 13) % c);
    const wx = wasmTensor([rows, c], { requiresGrad: true });
    const wy = wasmTensor([rows], { dtype: 'int32' });
    wx.data.set(x);
    wy.data.set(y);
    const before = wasm('zerocopy.test').memory.buffer;
    const zl = F.crossEntropy(wx, wy, { labelSmoothing: 0.1 });
    expect(wasm('zerocopy.test').memory.buffer).not.toBe(before); // the call grew memory
    zl.backward();
    const jx = tensor(x, [rows, c], { requiresGrad: true });
    const jl = F.crossEntropy(jx, tensor(y), { labelSmoothing: 0.1 });
    jl.backward();
    sameBits(zl.data, jl.data, 'crossEntropy');
    sameBits(wx.grad!.data, jx.grad!.data, 'crossEntropy ∂input');
    wx.free();
    wy.free();
  });

  it('every loss: zero-copy values and gradients equal the copied path bit for bit', () => {
    let cases = 0;
    for (const loss of LOSSES) {
      const kind = kindOf(loss);
      // 20000 float32 elements: two chunks of the elementwise driver (three in float64).
      [37, 20000].forEach((n, i) => {
        const dtype: FloatDType = i === 0 ? 'float64' : 'float32';
        for (const wide of ROW_KINDS.has(kind) ? [false, true] : [false]) {
          // Wide rows stream through the `piece` export, in pieces of 4 KiB.
          if (wide) setRowStreaming(8192, 4096);
          for (const reduction of ['mean', 'none'] as const) {
            const js = argsOf(loss, kind, n, dtype, wide);
            const zc = js.map(inWasm);
            const want = run(loss, js, reduction);
            const got = run(loss, zc, reduction);
            const what = `${loss.spec.name} (${kind}${wide ? ', wide' : ''}, n=${n}, ${dtype}, ${reduction})`;
            sameBits(got.value, want.value, what);
            got.grads.forEach((g, k) => {
              if (want.grads[k] === null) expect(g).toBeNull();
              else sameBits(g!, want.grads[k]!, `${what} ∂arg${k}`);
            });
            freeAll(zc);
            cases++;
          }
          setRowStreaming();
        }
      });
    }
    expect(cases).toBeGreaterThanOrEqual(4 * LOSSES.length);
  });

  it('mixed operands (one in wasm memory, one in JS) give the same bits', () => {
    const n = 50_000;
    const x = Float32Array.from({ length: n }, (_, i) => 2 * Math.sin(i));
    const t = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const wx = wasmTensor([n]);
    wx.data.set(x);
    const wt = wasmTensor([n]);
    wt.data.set(t);
    const mean = { reduction: 'mean' } as const;
    const want = F.sigmoidFocalLoss(tensor(x), tensor(t), mean).item();
    expect(F.sigmoidFocalLoss(wx, tensor(t), mean).item()).toBe(want);
    expect(F.sigmoidFocalLoss(tensor(x), wt, mean).item()).toBe(want);
    expect(F.sigmoidFocalLoss(wx, wt, mean).item()).toBe(want);
    // A weight and pos_weight (broadcast operands) in wasm memory, the rest in JS.
    const pw = wasmTensor([n]);
    pw.data.fill(2);
    const withPw = F.binaryCrossEntropyWithLogits(tensor(x), wt, { posWeight: pw }).item();
    expect(withPw).toBe(F.binaryCrossEntropyWithLogits(tensor(x), tensor(t), { posWeight: tensor(new Float32Array(n).fill(2)) }).item());
    [wx, wt, pw].forEach((w) => w.free());
  });

  it('one-copy staging gives the same bits as 64 KiB chunks', () => {
    const n = 100_000;
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    const t = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 1.3));
    const chunked = F.huberLoss(tensor(x, undefined, { requiresGrad: true }), tensor(t), { reduction: 'none' });
    setOneCopyBytes(4 * 1024 * 1024);
    const xs = tensor(x, undefined, { requiresGrad: true });
    const once = F.huberLoss(xs, tensor(t), { reduction: 'none' });
    sameBits(once.data, chunked.data, 'huberLoss');
    const g = tensor(Float64Array.from({ length: n }, (_, i) => 1 + (i % 5)));
    once.backward(g);
    setOneCopyBytes();
    const xc = chunked.gradFn!.inputs[0];
    chunked.backward(g);
    sameBits(xs.grad!.data, xc.grad!.data, 'huberLoss ∂input');
  });

  it('the elementwise and row drivers read wasm tensors in place: no float copies into wasm memory', () => {
    const n = 100_000;
    const copies = { count: 0 };
    const set32 = Float32Array.prototype.set;
    const counting = function (this: Float32Array, src: ArrayLike<number>, offset?: number): void {
      if (this.buffer === wasm('zerocopy.test').memory.buffer && (src as Float32Array).length >= 1000) copies.count++;
      set32.call(this, src, offset);
    };
    const x = wasmTensor([n]);
    const t = wasmTensor([n]);
    x.data.set(Float32Array.from({ length: n }, (_, i) => Math.sin(i)));
    t.data.set(Float32Array.from({ length: n }, (_, i) => (i % 2 ? 1 : 0)));
    const logits = wasmTensor([100, 1000]);
    logits.data.set(Float32Array.from({ length: 100_000 }, (_, i) => Math.cos(i)));
    const labels = wasmTensor([100], { dtype: 'int32' });
    labels.data.set(Int32Array.from({ length: 100 }, (_, r) => r * 9));
    const jsx = tensor(Float32Array.from(x.data));
    Float32Array.prototype.set = counting;
    try {
      F.mseLoss(x, t);
      F.sigmoidFocalLoss(x, t);
      F.crossEntropy(logits, labels);
      expect(copies.count).toBe(0);
      F.mseLoss(jsx, t); // the JS operand is staged
      expect(copies.count).toBeGreaterThan(0);
    } finally {
      Float32Array.prototype.set = set32;
    }
    [x, t, logits, labels].forEach((w) => w.free());
  });

  it('a wasm tensor survives memory growth between allocation and use: its data is re-taken', () => {
    const n = 5000;
    const x = wasmTensor([n]);
    const t = wasmTensor([n]);
    x.data.set(Float32Array.from({ length: n }, (_, i) => Math.sin(i)));
    t.data.set(Float32Array.from({ length: n }, (_, i) => Math.cos(i)));
    const view = x.data;
    const before = F.mseLoss(x, t).item();
    const ex = wasm('zerocopy.test');
    const block = ex.lossfn_alloc(16 * 1024 * 1024); // more than the free memory: it grows
    expect(view.length).toBe(0); // the old view is detached, never stale
    expect(x.data.length).toBe(n);
    expect(x.data[1]).toBe(Math.fround(Math.sin(1)));
    expect(F.mseLoss(x, t).item()).toBe(before);
    ex.lossfn_free(block, 16 * 1024 * 1024);
    x.free();
    t.free();
  });

  it('use after free is an Error naming the function and argument; free is idempotent', () => {
    const x = wasmTensor([10], { dtype: 'float64' });
    const t = wasmTensor([10], { dtype: 'float64' });
    x.free();
    expect(x.freed).toBe(true);
    expect(() => x.free()).not.toThrow();
    expect(() => x.dispose()).not.toThrow();
    const d = (Symbol as { dispose?: symbol }).dispose;
    if (typeof d === 'symbol') {
      // `using u = wasmTensor(...)` calls this at the end of the block.
      const u = wasmTensor([3]) as unknown as Record<symbol, () => void> & WasmTensor;
      u[d]();
      expect(u.freed).toBe(true);
    }
    expect(() => x.data).toThrow(/WasmTensor\.data: the wasm tensor was freed/);
    expect(() => F.mseLoss(x, t)).toThrow(/^mseLoss: argument 'input' \(a wasm tensor\) was freed/);
    expect(() => F.l1Loss(t, x)).toThrow(/^l1Loss: argument 'target' \(a wasm tensor\) was freed/);
    const y = wasmTensor([2], { dtype: 'int32' });
    y.free();
    expect(() => F.crossEntropy(tensor([[1, 2], [3, 4]]), y)).toThrow(/^crossEntropy: argument 'target' \(a wasm tensor\) was freed/);
    // The next call works.
    expect(F.mseLoss(t, t).item()).toBe(0);
    t.free();
    // Freed between the forward pass and its backward: backward refuses too.
    for (const loss of [
      (a: Tensor) => F.mseLoss(a, tensor(new Float32Array(6).fill(1), [2, 3])),
      (a: Tensor) => F.crossEntropy(a, tensor([0, 2], undefined, { dtype: 'int32' })),
    ]) {
      const a = wasmTensor([2, 3], { requiresGrad: true });
      const l = loss(a);
      a.free();
      expect(() => l.backward()).toThrow(/WasmTensor\.(address|data): the wasm tensor was freed/);
    }
  });

  it('allocating and freeing in a loop does not grow memory', () => {
    const once = wasmTensor([250_000]);
    once.free();
    const settled = memoryBytes();
    for (let i = 0; i < 50; i++) wasmTensor([250_000]).free();
    expect(memoryBytes()).toBe(settled);
  });

  it('unfreed wasm tensors are freed when collected (FinalizationRegistry backstop)', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const settle = async () => {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    };
    const alloc = () => {
      wasmTensor([1 << 20]).data[0] = 1; // 4 MiB, dropped without free()
    };
    alloc();
    await settle();
    const settled = memoryBytes();
    for (let i = 0; i < 20; i++) {
      alloc();
      await settle();
    }
    // Without the backstop: 20 × 4 MiB more.
    expect(memoryBytes()).toBeLessThanOrEqual(settled + 8 * 1024 * 1024);
  });

  it('zero-filled, validated options, and errors before init-time misuse', () => {
    const z = wasmTensor([3, 2], { dtype: 'int32' });
    expect(Array.from(z.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(z.shape).toEqual([3, 2]);
    z.free();
    expect(() => wasmTensor([2.5])).toThrow(/^wasmTensor: argument 'shape'/);
    expect(() => wasmTensor([2], { dtype: 'int8' as never })).toThrow(/^wasmTensor: option 'dtype'/);
    expect(() => wasmTensor([2], { dtype: 'int32', requiresGrad: true })).toThrow(/^wasmTensor: only tensors of floating point dtype/);
    expect(() => wasmTensor([2], { device: 'wasm' } as never)).toThrow(/^wasmTensor: unknown option 'device'/);
  });

  // Last in the file: it replaces the module's instance.
  it('after the instance is replaced, its wasm tensors refuse use (named Error), new ones work', async () => {
    const x = wasmTensor([4]);
    x.data.set([1, 2, 3, 4]);
    const t = tensor([1, 2, 3, 5]);
    expect(F.mseLoss(x, t).item()).toBe(0.25);
    await release(); // swaps in a fresh instance (issue 8)
    expect(x.freed).toBe(true);
    expect(() => x.data).toThrow(/WasmTensor\.data: the wasm tensor belongs to a lossfn wasm instance that has been replaced/);
    expect(() => F.mseLoss(x, t)).toThrow(/^mseLoss: argument 'input' \(a wasm tensor\) belongs to a lossfn wasm instance that has been replaced/);
    expect(() => x.free()).not.toThrow(); // nothing to give back: the old memory went with its instance
    const y = wasmTensor([4]);
    y.data.set([1, 2, 3, 4]);
    expect(F.mseLoss(y, t).item()).toBe(0.25);
    y.free();
  });
});
