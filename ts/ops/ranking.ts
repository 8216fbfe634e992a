// Distance ops of the ranking family (issue 12), as torch.nn.functional: pairwiseDistance and
// cosineSimilarity, with gradients. Kernels: crates/wasm/src/ranking.rs.

import { CHUNK_BYTES } from '../elementwise.js';
import { checkShapeOf, embeddingRows, finiteOption, floatOperands, rowsBackward, rowsForward } from '../ranking.js';
import { rowLossResult } from '../rowloss.js';
import { Tensor, type FloatArray, type FloatDType } from '../tensor.js';
import { boolOption, checkOptions, numberOption } from '../validate.js';
import type { Exports } from '../wasm/abi.js';
import { check, floatArray, floatBytes, heapOf, kernel, scratch, wasm } from '../wasm/runtime.js';

export interface PairwiseDistanceOptions {
  /** The norm's exponent, a finite real ≥ 1 (default 2). */
  p?: number;
  /** Added to every component of the difference (default 1e-6). */
  eps?: number;
  /** Keep the reduced last dimension as size 1 (default false). */
  keepdim?: boolean;
}

export type PairwiseDistanceConfig = Required<PairwiseDistanceOptions>;

/** Validates pairwiseDistance options. */
function pairwiseDistanceOptions(options?: PairwiseDistanceOptions, fn = 'pairwiseDistance'): PairwiseDistanceConfig {
  const o = checkOptions(fn, options, ['p', 'eps', 'keepdim']);
  return {
    p: numberOption(fn, 'p', o.p, 2, (v) => v >= 1 && Number.isFinite(v), 'must be a finite real ≥ 1 (a norm)'),
    eps: finiteOption(fn, 'eps', o.eps, 1e-6),
    keepdim: boolOption(fn, 'keepdim', o.keepdim, false),
  };
}

type Call = (...args: number[]) => number;

/**
 * The p-norm distance of row pairs, as `torch.nn.functional.pairwise_distance`:
 * `‖x1 − x2 + eps‖_p` over the last dimension (eps added to every component, as PyTorch).
 *
 * `x1`, `x2`: one shape and float dtype (lossfn does not broadcast: expand first). The result
 * has the shape without the last dimension (kept as 1 with `keepdim`; a 0-d input gives 0-d).
 * Gradients to both: `±∂‖d‖/∂d` (`d/‖d‖` for p = 2, `sign(d)` for p = 1,
 * `sign(d)·(|d|/‖d‖)^{p−1}` otherwise; 0 for a zero distance, as ATen).
 * Deviation: `p` must be a finite real ≥ 1 (PyTorch also takes `0 ≤ p < 1` and `inf`).
 *
 * @example
 * ops.pairwiseDistance(tensor([[0, 0], [1, 1]]), tensor([[3, 4], [1, 1]]), { eps: 0 }); // [5, 0]
 */
export function pairwiseDistance(x1: Tensor, x2: Tensor, options?: PairwiseDistanceOptions): Tensor {
  return pairwiseDistanceWith('pairwiseDistance', x1, x2, pairwiseDistanceOptions(options));
}

/** pairwiseDistance with already-validated options. */
function pairwiseDistanceWith(fn: string, x1: Tensor, x2: Tensor, o: PairwiseDistanceConfig): Tensor {
  const ex = wasm(fn);
  const [a, b] = floatOperands(fn, [['x1', x1], ['x2', x2]]);
  checkShapeOf(fn, ['x1', a], ['x2', b]);
  const { rows, dim, rowShape } = embeddingRows(a.shape);
  const dtype = a.dtype;
  const call = { rows, dim, dtype, mats: [a.data, b.data] };
  const fwd = kernel<Call>(ex, 'pairwise_distance', 'forward', dtype);
  const { values } = rowsForward(ex, fn, call, true, (p, count, out) => fwd(p.m0, p.m1, count, dim, o.p, o.eps, out), 0);
  const shape = o.keepdim && a.ndim > 0 ? [...rowShape, 1] : rowShape;
  const red = { values, shape, sum: 0, denominator: 1 };
  return rowLossResult(dtype, red, 'PairwiseDistanceBackward', [a, b], (g) => {
    const ex2 = wasm(fn);
    const bwd = kernel<Call>(ex2, 'pairwise_distance', 'backward', dtype);
    const want = [a.requiresGrad, b.requiresGrad];
    const [ga, gb] = rowsBackward(ex2, fn, call, g, want,
      (p, count, gp) => bwd(p.m0, p.m1, count, dim, o.p, o.eps, gp, 1, want[0] ? p.g0 : 0, want[1] ? p.g1 : 0));
    return [ga ? new Tensor(ga, a.shape.slice(), dtype) : null, gb ? new Tensor(gb, b.shape.slice(), dtype) : null];
  });
}

export interface CosineSimilarityOptions {
  /** The dimension the vectors lie along (default 1; negative counts from the end). */
  dim?: number;
  /** Lower bound of each norm (default 1e-8). */
  eps?: number;
}

export type CosineSimilarityConfig = Required<CosineSimilarityOptions>;

/** Validates cosineSimilarity options (the dimension is checked against the input per call). */
function cosineSimilarityOptions(options?: CosineSimilarityOptions, fn = 'cosineSimilarity'): CosineSimilarityConfig {
  const o = checkOptions(fn, options, ['dim', 'eps']);
  return {
    dim: numberOption(fn, 'dim', o.dim, 1, Number.isInteger, 'must be an integer'),
    eps: finiteOption(fn, 'eps', o.eps, 1e-8),
  };
}

/** `(outer, d, inner)` of `shape` around dimension `dim`. */
function planes(fn: string, shape: number[], dim: number): { outer: number; d: number; inner: number; outShape: number[] } {
  const nd = Math.max(shape.length, 1);
  if (dim < -nd || dim >= nd) {
    // PyTorch: "Dimension out of range (expected to be in range of [-1, 0], but got 1)"
    throw new RangeError(`${fn}: option 'dim': Dimension out of range (expected to be in range of [${-nd}, ${nd - 1}], but got ${dim})`);
  }
  if (shape.length === 0) return { outer: 1, d: 1, inner: 1, outShape: [] };
  const k = dim < 0 ? dim + nd : dim;
  const prod = (s: number[]) => s.reduce((x, y) => x * y, 1);
  return { outer: prod(shape.slice(0, k)), d: shape[k], inner: prod(shape.slice(k + 1)), outShape: [...shape.slice(0, k), ...shape.slice(k + 1)] };
}

/**
 * Visits the `(outer, d, inner)` layout in chunks that fit the scratch slots: whole outer
 * slices when `d·inner` fits (a contiguous copy), else one slice at a time split along inner.
 * `body(o0, oc, j0, il)` covers outer `o0..o0+oc`, inner `j0..j0+il`.
 */
function planeChunks(outer: number, d: number, inner: number, cap: number, body: (o0: number, oc: number, j0: number, il: number) => void): void {
  // A slice of d = 0 still has `inner` outputs: size chunks by max(d, 1).
  const slice = Math.max(d, 1) * inner;
  if (slice <= cap) {
    const per = Math.max(1, Math.floor(cap / Math.max(slice, 1)));
    for (let o0 = 0; o0 < outer; o0 += per) body(o0, Math.min(per, outer - o0), 0, inner);
    return;
  }
  const il = Math.max(1, Math.floor(cap / Math.max(d, 1)));
  for (let o = 0; o < outer; o++) for (let j0 = 0; j0 < inner; j0 += il) body(o, 1, j0, Math.min(il, inner - j0));
}

/** Copies the block (oc, d, il) of `src` (laid out (outer, d, inner)) to `heap` at `at`, or back. */
function moveBlock(heap: FloatArray, at: number, src: FloatArray, d: number, inner: number, o0: number, oc: number, j0: number, il: number, toHeap: boolean): void {
  if (il === inner) {
    const from = o0 * d * inner;
    const n = oc * d * inner;
    if (toHeap) heap.set(src.subarray(from, from + n), at);
    else src.set(heap.subarray(at, at + n), from);
    return;
  }
  for (let c = 0; c < d; c++) {
    const from = o0 * d * inner + c * inner + j0;
    if (toHeap) heap.set(src.subarray(from, from + il), at + c * il);
    else src.set(heap.subarray(at + c * il, at + (c + 1) * il), from);
  }
}

/** The slots of a cosine-similarity chunk: x, y, gx, gy, out/g. */
function cosineSlots(ex: Exports, dtype: FloatDType): { cap: number; p: number[] } {
  const bytes = floatBytes(dtype);
  const base = scratch(ex, 5 * CHUNK_BYTES);
  return { cap: CHUNK_BYTES / bytes, p: [0, 1, 2, 3, 4].map((k) => base + k * CHUNK_BYTES) };
}

/**
 * Cosine similarity along a dimension, as `torch.nn.functional.cosine_similarity` in PyTorch
 * 1.13: `Σ x1·x2 / (max(‖x1‖, eps)·max(‖x2‖, eps))`.
 *
 * `x1`, `x2`: one shape and float dtype (no broadcasting). The result drops dimension `dim`.
 * Gradients to both; as ATen (which clamps the norms in place without recording it), the
 * gradient still flows through a norm below eps: `∂c/∂x1 = x2/(N1·N2) − c·x1/(N1·‖x1‖)`, the
 * second term 0 for a zero vector. With the vectors along the last dimension the kernel runs
 * along them; along another dimension it runs across the neighbouring positions, with no
 * transpose.
 *
 * @example
 * ops.cosineSimilarity(tensor([[1, 0], [1, 1]]), tensor([[0, 1], [2, 2]])); // [0, 1]
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options?: CosineSimilarityOptions): Tensor {
  return cosineSimilarityWith('cosineSimilarity', x1, x2, cosineSimilarityOptions(options));
}

/** cosineSimilarity with already-validated options. */
function cosineSimilarityWith(fn: string, x1: Tensor, x2: Tensor, o: CosineSimilarityConfig): Tensor {
  const ex = wasm(fn);
  const [a, b] = floatOperands(fn, [['x1', x1], ['x2', x2]]);
  checkShapeOf(fn, ['x1', a], ['x2', b]);
  const { outer, d, inner, outShape } = planes(fn, a.shape, o.dim);
  const dtype = a.dtype;
  const bytes = floatBytes(dtype);
  const values = new (floatArray(dtype))(outer * inner);
  const fwd = kernel<Call>(ex, 'cosine_similarity', 'forward', dtype);
  const { cap, p } = cosineSlots(ex, dtype);
  planeChunks(outer, d, inner, cap, (o0, oc, j0, il) => {
    const heap = heapOf(ex, dtype);
    moveBlock(heap, p[0] / bytes, a.data, d, inner, o0, oc, j0, il, true);
    moveBlock(heap, p[1] / bytes, b.data, d, inner, o0, oc, j0, il, true);
    check(ex, fn, fwd(p[0], p[1], oc, d, il, o.eps, p[4]));
    moveBlock(heapOf(ex, dtype), p[4] / bytes, values, 1, inner, o0, oc, j0, il, false);
  });
  return rowLossResult(dtype, { values, shape: outShape, sum: 0, denominator: 1 }, 'CosineSimilarityBackward', [a, b], (g) => {
    const ex2 = wasm(fn);
    const bwd = kernel<Call>(ex2, 'cosine_similarity', 'backward', dtype);
    const [wa, wb] = [a.requiresGrad, b.requiresGrad];
    const ga = wa ? new (floatArray(dtype))(a.numel()) : null;
    const gb = wb ? new (floatArray(dtype))(b.numel()) : null;
    const up = g as FloatArray;
    const s = cosineSlots(ex2, dtype);
    planeChunks(outer, d, inner, s.cap, (o0, oc, j0, il) => {
      const heap = heapOf(ex2, dtype);
      moveBlock(heap, s.p[0] / bytes, a.data, d, inner, o0, oc, j0, il, true);
      moveBlock(heap, s.p[1] / bytes, b.data, d, inner, o0, oc, j0, il, true);
      moveBlock(heap, s.p[4] / bytes, up, 1, inner, o0, oc, j0, il, true);
      check(ex2, fn, bwd(s.p[0], s.p[1], oc, d, il, o.eps, s.p[4], 1, wa ? s.p[2] : 0, wb ? s.p[3] : 0));
      const h = heapOf(ex2, dtype);
      if (ga) moveBlock(h, s.p[2] / bytes, ga, d, inner, o0, oc, j0, il, false);
      if (gb) moveBlock(h, s.p[3] / bytes, gb, d, inner, o0, oc, j0, il, false);
    });
    return [ga ? new Tensor(ga, a.shape.slice(), dtype) : null, gb ? new Tensor(gb, b.shape.slice(), dtype) : null];
  });
}
