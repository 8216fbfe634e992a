import { classLayout, classWeight, indexTargets, intOption, stageRows, unstageRows, type ClassLayout } from '../classdim.js';
import { CHUNK_BYTES } from '../elementwise.js';
import { gradScale, parseReduction, reduceSum, Sum, type Reduction } from '../reduction.js';
import { Tensor, isFloatDType, type FloatArray, type FloatDType } from '../tensor.js';
import { checkFloatTensor, checkOptions, checkSameDType, checkTensor, numberOption, sameShape } from '../validate.js';
import { check, scratch, views, wasm } from '../wasm/runtime.js';

export interface CrossEntropyOptions {
  /** Rescaling weight per class, a (C) tensor of the input's dtype. */
  weight?: Tensor | null;
  /** Class-index target value that is ignored (contributes 0, not counted); default −100. */
  ignoreIndex?: number;
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
  /** Label smoothing ε ∈ [0, 1] (default 0). */
  labelSmoothing?: number;
}

/** Validated options (the weight is checked against the input per call). */
export interface CrossEntropyConfig {
  weight: Tensor | null;
  ignoreIndex: number;
  reduction: Reduction;
  labelSmoothing: number;
}

/** Validates CrossEntropyLoss options once (used by `F.crossEntropy` and `nn.CrossEntropyLoss`). */
export function crossEntropyOptions(options?: CrossEntropyOptions, fn = 'crossEntropy'): CrossEntropyConfig {
  const o = checkOptions(fn, options, ['weight', 'ignoreIndex', 'reduction', 'labelSmoothing']);
  if (o.weight !== undefined && o.weight !== null) checkTensor(fn, 'weight', o.weight);
  return {
    weight: o.weight ?? null,
    ignoreIndex: intOption(fn, 'ignoreIndex', o.ignoreIndex, -100),
    reduction: parseReduction(fn, o.reduction),
    // PyTorch: "label_smoothing must be between 0.0 and 1.0. Got: …"
    labelSmoothing: numberOption(fn, 'labelSmoothing', o.labelSmoothing, 0, (e) => e >= 0 && e <= 1, 'must be between 0.0 and 1.0'),
  };
}

type CeForward = (x: number, rows: number, classes: number, ti: number, tp: number, w: number, ignore: number, eps: number, out: number, sums: number) => number;
type CeBackward = (x: number, rows: number, classes: number, ti: number, tp: number, w: number, ignore: number, eps: number, g: number, gScale: number, gx: number, gq: number) => number;

/**
 * Cross entropy between logits and targets, as `torch.nn.functional.cross_entropy`.
 *
 * `input`: unnormalised logits `(C)`, `(N, C)` or `(N, C, d1, …, dk)` (class dimension 1).
 * `target`: class indices (int32 or int64) of shape `()`, `(N)` or `(N, d1, …, dk)`, or class
 * probabilities with the input's shape and dtype.
 *
 * Index targets: `l = −w_y·log softmax(x)_y`; with label smoothing ε,
 * `l = (1−ε)·w_y·(−log p_y) + (ε/C)·Σ_c w_c·(−log p_c)`; targets equal to `ignoreIndex`
 * contribute 0; 'mean' divides by Σ w_y over the non-ignored targets (NaN when all are
 * ignored or the batch is empty, as PyTorch). Probability targets: `l = −Σ_c w_c·q'_c·log p_c`
 * with `q' = (1−ε)·q + ε/C`; 'mean' divides by the number of positions N·d1⋯dk.
 *
 * Stable for logits of any magnitude (log-sum-exp with the max shift). Gradients to the input,
 * and to probability targets that require grad.
 *
 * @example
 * const logits = tensor([[2, 0.5, -1], [0.1, 0.2, 3]], undefined, { requiresGrad: true });
 * const loss = F.crossEntropy(logits, tensor([0, 2], undefined, { dtype: 'int64' }), { labelSmoothing: 0.1 });
 * loss.backward(); // logits.grad = (softmax − smoothed one-hot) / 2
 */
export function crossEntropy(input: Tensor, target: Tensor, options?: CrossEntropyOptions): Tensor {
  return crossEntropyWith('crossEntropy', input, target, crossEntropyOptions(options));
}

/** crossEntropy with already-validated options (shared with nn.CrossEntropyLoss). */
export function crossEntropyWith(fn: string, input: Tensor, target: Tensor, o: CrossEntropyConfig): Tensor {
  const ex = wasm(fn);
  const x = checkFloatTensor(fn, 'input', input);
  const t = checkTensor(fn, 'target', target);
  const layout = classLayout(fn, x);
  const w = classWeight(fn, o.weight, x, layout.c);
  let indices: Int32Array | null = null;
  let probs: Tensor<FloatDType> | null = null;
  if (isFloatDType(t.dtype)) {
    // Floating targets are class probabilities, of the input's shape (indexTargets says so).
    if (!sameShape(t.shape, x.shape)) indexTargets(fn, t, x, layout.c, o.ignoreIndex);
    checkSameDType(fn, ['input', x], ['target', t]);
    // PyTorch: "ignore_index is not supported for floating point target"
    if (o.ignoreIndex >= 0) throw new Error(`${fn}: option 'ignoreIndex' is not supported for floating point target (class probabilities)`);
    probs = t as Tensor<FloatDType>;
  } else {
    if (sameShape(t.shape, x.shape)) {
      // PyTorch: "Expected floating point type for target with class probabilities, got Long"
      throw new TypeError(`${fn}: Expected floating point type for target with class probabilities, got ${t.dtype}`);
    }
    indices = indexTargets(fn, t, x, layout.c, o.ignoreIndex);
  }
  if (t.requiresGrad && indices) throw new Error(`${fn}: class-index targets cannot require grad`);

  const run = rowRunner(ex, fn, x.dtype, layout);
  const { reduction } = o;
  const out = reduction === 'none' ? new (x.dtype === 'float32' ? Float32Array : Float64Array)(layout.rows) : null;
  const total = new Sum();
  const denom = new Sum();
  const fwd = ex[`lossfn_cross_entropy_forward_${x.dtype === 'float32' ? 'f32' : 'f64'}`] as CeForward;
  run((heap, p, r0, count) => {
    stageRows(heap, p.x / run.bytes, x.data, layout, r0, count);
    if (indices) views(ex).i32.set(indices.subarray(r0, r0 + count), p.ti / 4);
    if (probs) stageRows(heap, p.t / run.bytes, probs.data, layout, r0, count);
    if (w) heap.set(w.data, p.w / run.bytes);
    const status = fwd(p.x, count, layout.c, indices ? p.ti : 0, probs ? p.t : 0, w ? p.w : 0, o.ignoreIndex, o.labelSmoothing, out ? p.out : 0, p.sums);
    check(ex, fn, status);
    const v = views(ex);
    if (out) out.set((x.dtype === 'float32' ? v.f32 : v.f64).subarray(p.out / run.bytes, p.out / run.bytes + count), r0);
    total.add(v.f64[p.sums / 8]);
    denom.add(v.f64[p.sums / 8 + 1]);
  });
  const requiresGrad = x.requiresGrad || (probs?.requiresGrad ?? false);
  let result: Tensor;
  if (out) result = new Tensor(out, layout.rowShape, x.dtype, requiresGrad);
  else {
    const v = new (x.dtype === 'float32' ? Float32Array : Float64Array)(1);
    v[0] = reduceSum(reduction as 'mean' | 'sum', total.value(), denom.value());
    result = new Tensor(v, [], x.dtype, requiresGrad);
  }
  if (!requiresGrad) return result;
  const denominator = denom.value();
  const inputs: Tensor[] = probs ? [x, probs] : [x];
  result.gradFn = {
    name: 'CrossEntropyLossBackward',
    inputs,
    backward(g: Tensor): (Tensor | null)[] {
      const ex2 = wasm(fn);
      const bwd = ex2[`lossfn_cross_entropy_backward_${x.dtype === 'float32' ? 'f32' : 'f64'}`] as CeBackward;
      const Ctor = x.dtype === 'float32' ? Float32Array : Float64Array;
      const gx = x.requiresGrad ? new Ctor(x.numel()) : null;
      const gq = probs?.requiresGrad ? new Ctor(x.numel()) : null;
      const perRow = reduction === 'none';
      const scale = perRow ? 1 : gradScale(reduction, Number(g.data[0]), denominator);
      const runB = rowRunner(ex2, fn, x.dtype, layout);
      runB((heap, p, r0, count) => {
        stageRows(heap, p.x / runB.bytes, x.data, layout, r0, count);
        if (indices) views(ex2).i32.set(indices.subarray(r0, r0 + count), p.ti / 4);
        if (probs) stageRows(heap, p.t / runB.bytes, probs.data, layout, r0, count);
        if (w) heap.set(w.data, p.w / runB.bytes);
        if (perRow) heap.set((g.data as FloatArray).subarray(r0, r0 + count), p.out / runB.bytes);
        const status = bwd(p.x, count, layout.c, indices ? p.ti : 0, probs ? p.t : 0, w ? p.w : 0, o.ignoreIndex, o.labelSmoothing,
          perRow ? p.out : 0, scale, gx ? p.gx : 0, gq ? p.gt : 0);
        check(ex2, fn, status);
        const h = x.dtype === 'float32' ? views(ex2).f32 : views(ex2).f64;
        if (gx) unstageRows(h, p.gx / runB.bytes, gx, layout, r0, count);
        if (gq) unstageRows(h, p.gt / runB.bytes, gq, layout, r0, count);
      });
      return [gx ? new Tensor(gx, x.shape.slice(), x.dtype) : null, gq ? new Tensor(gq, x.shape.slice(), x.dtype) : null];
    },
  };
  return result;
}

/** Scratch pointers of one chunk of rows. */
export interface RowSlots {
  x: number; t: number; ti: number; w: number; out: number; gx: number; gt: number; sums: number;
}

/**
 * Runs `body` over chunks of rows, with scratch slots sized for the chunk: as many rows as
 * fit CHUNK_BYTES per operand (at least one row, growing the arena for very wide rows).
 */
export function rowRunner(ex: ReturnType<typeof wasm>, _fn: string, dtype: FloatDType, l: ClassLayout) {
  const bytes = dtype === 'float32' ? 4 : 8;
  const c = Math.max(l.c, 1);
  const rowsPer = Math.max(1, Math.floor(CHUNK_BYTES / (c * bytes)));
  const slot = Math.ceil((rowsPer * c * bytes) / 16) * 16;
  const rowSlot = Math.ceil((rowsPer * 8) / 16) * 16;
  const wSlot = Math.ceil((c * bytes) / 16) * 16;
  const run = (body: (heap: FloatArray, p: RowSlots, r0: number, count: number) => void): void => {
    const base = scratch(ex, 4 * slot + 2 * rowSlot + wSlot + 16);
    const p: RowSlots = {
      x: base, t: base + slot, gx: base + 2 * slot, gt: base + 3 * slot,
      ti: base + 4 * slot, out: base + 4 * slot + rowSlot, w: base + 4 * slot + 2 * rowSlot, sums: base + 4 * slot + 2 * rowSlot + wSlot,
    };
    for (let r0 = 0; r0 < l.rows; r0 += rowsPer) {
      const count = Math.min(rowsPer, l.rows - r0);
      const v = views(ex);
      body(dtype === 'float32' ? v.f32 : v.f64, p, r0, count);
    }
  };
  run.bytes = bytes;
  return run;
}
