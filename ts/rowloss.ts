// Plumbing shared by the row losses other than cross entropy (F.nllLoss, softmaxFocalLoss,
// polyLoss, the margin and hinge losses, distillationLoss, zeroOneLoss): kernel lookup,
// chunking rows through the scratch arena, building the (reduced) result and its autograd
// node, and the two families whose TS side is identical but for the kernel: softmax losses of
// the target's log-probability with index targets, weights and ignoreIndex, and the
// large-margin softmax losses on cosines. Kernels and their call protocol:
// crates/wasm/src/classification.rs.

import { classLayout, classWeight, indexTargets, stageRows, unstageRows, type ClassLayout } from './classdim.js';
import { CHUNK_BYTES } from './elementwise.js';
import { gradScale, Sum } from './reduction.js';
import { Tensor, isFloatDType, type FloatArray, type FloatDType } from './tensor.js';
import { checkFloatTensor, checkTensor, shapeStr } from './validate.js';
import type { Exports } from './wasm/abi.js';
import { check, floatArray, floatBytes, heapOf, kernel, scratch, views, wasm } from './wasm/runtime.js';

// The per-dtype helpers and the kernel lookup live with the memory views; re-exported for the
// row losses.
export { floatArray, floatBytes, heapOf, kernel } from './wasm/runtime.js';

const align16 = (b: number): number => Math.ceil(b / 16) * 16;

/**
 * Runs `body` over chunks of `rows` rows with scratch slots: `perRow` gives each chunk-sized
 * slot's bytes per row, `fixed` the bytes of slots that do not depend on the chunk (weights,
 * sums). A chunk holds as many rows as fit CHUNK_BYTES in the widest slot (at least one row).
 * Slot addresses are 16-byte aligned. `once` fills the fixed slots (class weights) before the
 * first chunk: they keep their contents across the chunks of one call.
 */
export function chunkRows<K extends string, F extends string>(
  ex: Exports,
  rows: number,
  perRow: Record<K, number>,
  fixed: Record<F, number>,
  body: (p: Record<K | F, number>, r0: number, count: number) => void,
  once?: (p: NoInfer<Record<K | F, number>>) => void,
): void {
  if (rows === 0) return;
  const widest = Math.max(1, ...Object.values<number>(perRow));
  const rowsPer = Math.max(1, Math.min(rows, Math.floor(CHUNK_BYTES / widest)));
  const sizes: [string, number][] = [
    ...Object.entries<number>(perRow).map(([k, b]): [string, number] => [k, align16(b * rowsPer)]),
    ...Object.entries<number>(fixed).map(([k, b]): [string, number] => [k, align16(b)]),
  ];
  const base = scratch(ex, sizes.reduce((a, [, b]) => a + b, 0) + 16);
  const p = {} as Record<string, number>;
  let at = base;
  for (const [k, b] of sizes) {
    p[k] = at;
    at += b;
  }
  once?.(p as Record<K | F, number>);
  for (let r0 = 0; r0 < rows; r0 += rowsPer) body(p as Record<K | F, number>, r0, Math.min(rowsPer, rows - r0));
}

/** How a row loss's result is reduced: 'none', or Σ / denominator (1 for 'sum'). */
export interface RowReduction {
  /** Per-output-element values for 'none', else null. */
  values: FloatArray | null;
  /** The result's shape ('none'); reduced results are 0-d. */
  shape: number[];
  sum: number;
  denominator: number;
}

/**
 * The result tensor of a row loss, with an autograd node when `inputs` has a tensor that
 * requires grad. `backward(g, scale)` receives the upstream values (per output element, for
 * 'none') or null, and the factor to multiply them (or, when null, to use everywhere) by;
 * it returns one gradient per input (null where not needed).
 */
export function rowLossResult(
  dtype: FloatDType,
  r: RowReduction,
  gradName: string,
  inputs: Tensor[],
  backward: (g: FloatArray | null, scale: number) => (Tensor | null)[],
): Tensor {
  const requiresGrad = inputs.some((t) => t.requiresGrad);
  let result: Tensor;
  if (r.values) result = new Tensor(r.values, r.shape, dtype, requiresGrad);
  else result = new Tensor(new (floatArray(dtype))([r.sum / r.denominator]), [], dtype, requiresGrad);
  if (!requiresGrad) return result;
  const perElement = r.values !== null;
  result.gradFn = {
    name: gradName,
    inputs,
    backward(g: Tensor): (Tensor | null)[] {
      if (perElement) return backward(g.data as FloatArray, 1);
      // Σ/denominator: Σ with 'sum' (denominator 1), the mean otherwise.
      return backward(null, gradScale('mean', Number(g.data[0]), r.denominator));
    },
  };
  return result;
}

/** A class-index target of the wrong kind, with PyTorch's meaning ("expected scalar type Long"). */
export function checkIndexDType(fn: string, target: Tensor): void {
  if (isFloatDType(target.dtype)) {
    throw new TypeError(`${fn}: argument 'target' must hold class indices (int32 or int64), got ${target.dtype} (expected scalar type Long)`);
  }
}

/**
 * The (N, C) layout of the margin losses, as ATen's `multi_margin_loss_shape_check`: a 0-d
 * input is one sample of one class, a (C) input one sample, an (N, C) input N samples
 * (N may be 0, C may not).
 */
export function marginFrames(fn: string, x: Tensor): { n: number; c: number } {
  const valid = (x.ndim === 2 && x.shape[1] !== 0) || (x.ndim === 1 && x.shape[0] !== 0) || x.ndim === 0;
  if (!valid) {
    throw new Error(`${fn}: argument 'input': Expected non-empty vector or matrix with optional 0-dim batch size, but got: ${shapeStr(x.shape)}`);
  }
  if (x.ndim <= 1) return { n: 1, c: x.ndim === 0 ? 1 : x.shape[0] };
  return { n: x.shape[0], c: x.shape[1] };
}

// ------------------------------------------------------------------------------------------
// Softmax losses of the target's log-probability (and nllLoss): index targets with class
// weights and ignoreIndex, class dimension 1 of (C), (N, C), (N, C, d1, …, dk).

/** Validated options of an index-target row loss. */
export interface IndexRowConfig {
  weight: Tensor | null;
  ignoreIndex: number;
  reduction: 'none' | 'mean' | 'sum';
}

/**
 * One index-target row loss: its kernels `lossfn_<stem>_{forward,backward}_{f32,f64}` (protocol in
 * crates/wasm/src/classification.rs), its autograd node's name and its scalar parameter.
 */
export interface IndexRowKernels {
  stem: string;
  /** The node's name ('NllLossBackward'). */
  gradName: string;
  /** The kernel's scalar parameter (γ, ε). */
  param: number;
}

type IndexForward = (...a: number[]) => number;

/**
 * The forward pass shared by the index-target row losses: per chunk of rows, `stage` fills
 * the `x` slot (`xPerRow` values per row) from the input, the targets go to `ti` and the
 * class weights (once) to `w`, and `call` runs the kernel with the 'none' output pointer (0
 * when reducing); returns the reduction ('mean' = Σ l / Σ w_y over non-ignored positions).
 */
function indexForward(
  ex: Exports, fn: string, x: Tensor<FloatDType>, layout: ClassLayout, w: Tensor<FloatDType> | null, ys: Int32Array,
  o: IndexRowConfig, xPerRow: number,
  stage: (heap: FloatArray, at: number, r0: number, count: number) => void,
  call: (p: Record<'x' | 'ti' | 'out' | 'w' | 'sums', number>, count: number, out: number) => number,
): RowReduction {
  const dtype = x.dtype;
  const bytes = floatBytes(dtype);
  const values = o.reduction === 'none' ? new (floatArray(dtype))(layout.rows) : null;
  const total = new Sum();
  const denom = new Sum();
  chunkRows(ex, layout.rows, { x: xPerRow * bytes, ti: 4, out: bytes }, { w: layout.c * bytes, sums: 16 }, (p, r0, count) => {
    stage(heapOf(ex, dtype), p.x / bytes, r0, count);
    views(ex).i32.set(ys.subarray(r0, r0 + count), p.ti / 4);
    check(ex, fn, call(p, count, values ? p.out : 0));
    if (values) values.set(heapOf(ex, dtype).subarray(p.out / bytes, p.out / bytes + count), r0);
    total.add(views(ex).f64[p.sums / 8]);
    denom.add(views(ex).f64[p.sums / 8 + 1]);
  }, (p) => {
    if (w) heapOf(ex, dtype).set(w.data, p.w / bytes);
  });
  return { values, shape: layout.rowShape, sum: total.value(), denominator: o.reduction === 'mean' ? denom.value() : 1 };
}

/**
 * Validates `input` (float, class dimension 1) and `target` (class indices, PyTorch's shapes
 * and messages), runs the kernel, reduces ('mean' = Σ l / Σ w_y over non-ignored positions)
 * and records the autograd node.
 */
/** The checked operands of an index-target row loss (PyTorch's shapes and messages). */
function indexRowOperands(fn: string, input: unknown, target: unknown, o: IndexRowConfig) {
  const x = checkFloatTensor(fn, 'input', input);
  const t = checkTensor(fn, 'target', target);
  const layout = classLayout(fn, x);
  checkIndexDType(fn, t);
  if (x.ndim <= 2 && t.ndim > 1) {
    // PyTorch: "0D or 1D target tensor expected, multi-target not supported"
    throw new Error(`${fn}: argument 'target': 0D or 1D target tensor expected, multi-target not supported (got shape ${shapeStr(t.shape)} for input ${shapeStr(x.shape)})`);
  }
  const w = classWeight(fn, o.weight, x, layout.c);
  const ys = indexTargets(fn, t, x, layout.c, o.ignoreIndex);
  return { x, layout, w, ys };
}

export function indexRowLoss(fn: string, k: IndexRowKernels, input: unknown, target: unknown, o: IndexRowConfig): Tensor {
  const ex = wasm(fn);
  const { x, layout, w, ys } = indexRowOperands(fn, input, target, o);
  const dtype = x.dtype;
  const bytes = floatBytes(dtype);
  const withParam = (a: number[]): number[] => [...a, k.param];
  const fwd = kernel<IndexForward>(ex, k.stem, 'forward', dtype);
  const red = indexForward(ex, fn, x, layout, w, ys, o, layout.c,
    (heap, at, r0, count) => stageRows(heap, at, x.data, layout, r0, count),
    (p, count, out) => fwd(...withParam([p.x, count, layout.c, p.ti, w ? p.w : 0, o.ignoreIndex]), out, p.sums));
  return rowLossResult(dtype, red, k.gradName, [x], (g, scale) => {
    const ex2 = wasm(fn);
    const bwd = kernel<IndexForward>(ex2, k.stem, 'backward', dtype);
    const gx = new (floatArray(dtype))(x.numel());
    chunkRows(ex2, layout.rows, { x: layout.c * bytes, ti: 4, g: bytes, gx: layout.c * bytes }, { w: layout.c * bytes }, (p, r0, count) => {
      stageRows(heapOf(ex2, dtype), p.x / bytes, x.data, layout, r0, count);
      views(ex2).i32.set(ys.subarray(r0, r0 + count), p.ti / 4);
      if (g) heapOf(ex2, dtype).set(g.subarray(r0, r0 + count), p.g / bytes);
      check(ex2, fn, bwd(...withParam([p.x, count, layout.c, p.ti, w ? p.w : 0, o.ignoreIndex]), g ? p.g : 0, scale, p.gx));
      unstageRows(heapOf(ex2, dtype), p.gx / bytes, gx, layout, r0, count);
    }, (p) => {
      if (w) heapOf(ex2, dtype).set(w.data, p.w / bytes);
    });
    return [new Tensor(gx, x.shape.slice(), dtype)];
  });
}

/** Offset in the input (laid out (N, C, S)) of row `row`'s class `y`. */
function rowClassOffset(l: ClassLayout, row: number, y: number): number {
  return l.s === 1 ? row * l.c + y : Math.floor(row / l.s) * l.c * l.s + (row % l.s) + y * l.s;
}

/**
 * nllLoss: the index-target row loss that reads one value per row, so only those values are
 * copied in (`x[r, y_r]`, gathered here) and only the gradient's non-zero entries come back
 * (scattered into a zeroed `∂x`): O(rows) per call instead of O(rows·C). Kernels:
 * `lossfn_nll_loss_*` (crates/wasm/src/classification.rs).
 */
export function nllRowLoss(fn: string, input: unknown, target: unknown, o: IndexRowConfig): Tensor {
  const ex = wasm(fn);
  const { x, layout, w, ys } = indexRowOperands(fn, input, target, o);
  const dtype = x.dtype;
  const bytes = floatBytes(dtype);
  const fwd = kernel<IndexForward>(ex, 'nll_loss', 'forward', dtype);
  const xd = x.data;
  const c = layout.c;
  const red = indexForward(ex, fn, x, layout, w, ys, o, 1, (heap, at, r0, count) => {
    for (let r = 0; r < count; r++) {
      const y = ys[r0 + r];
      if (y === o.ignoreIndex) heap[at + r] = 0;
      else heap[at + r] = xd[rowClassOffset(layout, r0 + r, y)];
    }
  }, (p, count, out) => fwd(p.x, count, c, p.ti, w ? p.w : 0, o.ignoreIndex, out, p.sums));
  return rowLossResult(dtype, red, 'NllLossBackward', [x], (g, scale) => {
    const ex2 = wasm(fn);
    const bwd = kernel<IndexForward>(ex2, 'nll_loss', 'backward', dtype);
    const gx = new (floatArray(dtype))(x.numel());
    chunkRows(ex2, layout.rows, { ti: 4, g: bytes, gp: bytes }, { w: layout.c * bytes }, (p, r0, count) => {
      views(ex2).i32.set(ys.subarray(r0, r0 + count), p.ti / 4);
      if (g) heapOf(ex2, dtype).set(g.subarray(r0, r0 + count), p.g / bytes);
      check(ex2, fn, bwd(count, layout.c, p.ti, w ? p.w : 0, o.ignoreIndex, g ? p.g : 0, scale, p.gp));
      const heap = heapOf(ex2, dtype);
      const at = p.gp / bytes;
      for (let r = 0; r < count; r++) {
        const y = ys[r0 + r];
        if (y !== o.ignoreIndex) gx[rowClassOffset(layout, r0 + r, y)] = heap[at + r];
      }
    }, (p) => {
      if (w) heapOf(ex2, dtype).set(w.data, p.w / bytes);
    });
    return [new Tensor(gx, x.shape.slice(), dtype)];
  });
}

// ------------------------------------------------------------------------------------------
// Large-margin softmax losses on cosines (N, C) with class-index targets (N).

/** Validated options of a large-margin softmax loss. */
export interface MarginConfig {
  scale: number;
  margin: number;
  reduction: 'none' | 'mean' | 'sum';
}

/** Checks `input` is (N, C) cosines and `target` (N) class indices in [0, C); returns them. */
function marginOperands(fn: string, input: unknown, target: unknown): [Tensor<FloatDType>, Int32Array, ClassLayout] {
  const x = checkFloatTensor(fn, 'input', input);
  const t = checkTensor(fn, 'target', target);
  if (x.ndim !== 2) {
    throw new Error(`${fn}: argument 'input' must be 2-D cosine logits (N, C), got shape ${shapeStr(x.shape)}`);
  }
  checkIndexDType(fn, t);
  const layout = classLayout(fn, x);
  return [x, indexTargets(fn, t, x, layout.c, null), layout];
}

/**
 * Runs a large-margin softmax kernel (`lossfn_<stem>_*`: the target cosine replaced by the
 * margin function, the row scaled, cross entropy); 'mean' divides by N.
 */
export function marginRowLoss(fn: string, stem: string, gradName: string, input: unknown, target: unknown, o: MarginConfig): Tensor {
  const ex = wasm(fn);
  const [x, ys, layout] = marginOperands(fn, input, target);
  const dtype = x.dtype;
  const bytes = floatBytes(dtype);
  const c = layout.c;
  const fwd = kernel<IndexForward>(ex, stem, 'forward', dtype);
  const values = o.reduction === 'none' ? new (floatArray(dtype))(layout.rows) : null;
  const total = new Sum();
  chunkRows(ex, layout.rows, { x: c * bytes, ti: 4, out: bytes }, { sum: 8 }, (p, r0, count) => {
    heapOf(ex, dtype).set(x.data.subarray(r0 * c, (r0 + count) * c), p.x / bytes);
    views(ex).i32.set(ys.subarray(r0, r0 + count), p.ti / 4);
    check(ex, fn, fwd(p.x, count, c, p.ti, o.scale, o.margin, values ? p.out : 0, p.sum));
    if (values) values.set(heapOf(ex, dtype).subarray(p.out / bytes, p.out / bytes + count), r0);
    total.add(views(ex).f64[p.sum / 8]);
  });
  const red = { values, shape: layout.rowShape, sum: total.value(), denominator: o.reduction === 'mean' ? layout.rows : 1 };
  return rowLossResult(dtype, red, gradName, [x], (g, scale) => {
    const ex2 = wasm(fn);
    const bwd = kernel<IndexForward>(ex2, stem, 'backward', dtype);
    const gx = new (floatArray(dtype))(x.numel());
    chunkRows(ex2, layout.rows, { x: c * bytes, ti: 4, g: bytes, gx: c * bytes }, {}, (p, r0, count) => {
      heapOf(ex2, dtype).set(x.data.subarray(r0 * c, (r0 + count) * c), p.x / bytes);
      views(ex2).i32.set(ys.subarray(r0, r0 + count), p.ti / 4);
      if (g) heapOf(ex2, dtype).set(g.subarray(r0, r0 + count), p.g / bytes);
      check(ex2, fn, bwd(p.x, count, c, p.ti, o.scale, o.margin, g ? p.g : 0, scale, p.gx));
      gx.set(heapOf(ex2, dtype).subarray(p.gx / bytes, p.gx / bytes + count * c), r0 * c);
    });
    return [new Tensor(gx, x.shape.slice(), dtype)];
  });
}
