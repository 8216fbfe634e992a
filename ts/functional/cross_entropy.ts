import { classLayout, classWeight, indexTargets, intOption, stageRows, unstageRows } from '../classdim.js';
import { parseReduction, Sum, type Reduction } from '../reduction.js';
import { chunkRows, floatArray, floatBytes, heapOf, kernel, rowLossResult } from '../rowloss.js';
import { Tensor, isFloatDType, type FloatArray, type FloatDType } from '../tensor.js';
import { checkFloatTensor, checkOptions, checkSameDType, checkTensor, numberOption, sameShape } from '../validate.js';
import type { Exports } from '../wasm/abi.js';
import { check, views, wasm } from '../wasm/runtime.js';

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

  const { dtype } = x;
  const bytes = floatBytes(dtype);
  const c = layout.c;
  // Scratch slots per row of a chunk (x, probability targets, gradients, index targets, per-row
  // values) and per call (class weights, the two sums).
  const perRow = { x: c * bytes, t: probs ? c * bytes : 0, gx: c * bytes, gt: probs ? c * bytes : 0, ti: 4, out: 8 };
  const fixed = { w: c * bytes, sums: 16 };
  /** Stages rows r0 .. r0+count of the input, targets and weights into the chunk's slots. */
  const stage = (ex2: Exports, p: Record<keyof typeof perRow | keyof typeof fixed, number>, r0: number, count: number): FloatArray => {
    const heap = heapOf(ex2, dtype);
    stageRows(heap, p.x / bytes, x.data, layout, r0, count);
    if (indices) views(ex2).i32.set(indices.subarray(r0, r0 + count), p.ti / 4);
    if (probs) stageRows(heap, p.t / bytes, probs.data, layout, r0, count);
    return heap;
  };
  /** Class weights go to their fixed slot once per call. */
  const stageWeight = (ex2: Exports) => (p: { w: number }): void => {
    if (w) heapOf(ex2, dtype).set(w.data, p.w / bytes);
  };

  const { reduction } = o;
  const values = reduction === 'none' ? new (floatArray(dtype))(layout.rows) : null;
  const total = new Sum();
  const denom = new Sum();
  const fwd = kernel<CeForward>(ex, 'cross_entropy', 'forward', dtype);
  chunkRows(ex, layout.rows, perRow, fixed, (p, r0, count) => {
    stage(ex, p, r0, count);
    const status = fwd(p.x, count, c, indices ? p.ti : 0, probs ? p.t : 0, w ? p.w : 0, o.ignoreIndex, o.labelSmoothing, values ? p.out : 0, p.sums);
    check(ex, fn, status);
    if (values) values.set(heapOf(ex, dtype).subarray(p.out / bytes, p.out / bytes + count), r0);
    total.add(views(ex).f64[p.sums / 8]);
    denom.add(views(ex).f64[p.sums / 8 + 1]);
  }, stageWeight(ex));
  const r = {
    values,
    shape: layout.rowShape,
    sum: total.value(),
    denominator: reduction === 'sum' ? 1 : denom.value(),
  };
  const inputs: Tensor[] = probs ? [x, probs] : [x];
  return rowLossResult(dtype, r, 'CrossEntropyLossBackward', inputs, (g, scale) => {
    const ex2 = wasm(fn);
    const bwd = kernel<CeBackward>(ex2, 'cross_entropy', 'backward', dtype);
    const gx = x.requiresGrad ? new (floatArray(dtype))(x.numel()) : null;
    const gq = probs?.requiresGrad ? new (floatArray(dtype))(x.numel()) : null;
    chunkRows(ex2, layout.rows, perRow, fixed, (p, r0, count) => {
      const heap = stage(ex2, p, r0, count);
      if (g) heap.set(g.subarray(r0, r0 + count), p.out / bytes);
      const status = bwd(p.x, count, c, indices ? p.ti : 0, probs ? p.t : 0, w ? p.w : 0, o.ignoreIndex, o.labelSmoothing,
        g ? p.out : 0, scale, gx ? p.gx : 0, gq ? p.gt : 0);
      check(ex2, fn, status);
      const h = heapOf(ex2, dtype);
      if (gx) unstageRows(h, p.gx / bytes, gx, layout, r0, count);
      if (gq) unstageRows(h, p.gt / bytes, gq, layout, r0, count);
    }, stageWeight(ex2));
    return [gx ? new Tensor(gx, x.shape.slice(), dtype) : null, gq ? new Tensor(gq, x.shape.slice(), dtype) : null];
  });
}
