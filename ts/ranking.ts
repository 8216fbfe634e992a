// Plumbing shared by the ranking, embedding and contrastive family (issue 12): the layouts
// (embedding rows, padded lists), argument checks with PyTorch's wording, running a row kernel
// over chunks of rows through the scratch arena (forward and backward), and the per-call
// blocks of the contrastive losses, which need every embedding in wasm memory at once.
// Kernels and their call protocol: crates/wasm/src/ranking.rs.

import { chunkRows, rowLossResult } from './rowloss.js';
import { Sum, type Reduction } from './reduction.js';
import { Tensor, handOver, isFloatDType, type FloatArray, type FloatDType } from './tensor.js';
import { checkFloatTensor, checkSameDType, checkTensor, numberOption, sameShape, shapeStr } from './validate.js';
import type { Exports } from './wasm/abi.js';
import { check, floatArray, floatBytes, heapOf, kernel, views, wasm } from './wasm/runtime.js';
import { hostCopy } from './wasm_tensor.js';
import { markCovered } from './fingerprint.js';

export { floatArray, floatBytes, heapOf } from './wasm/runtime.js';

/** Rows of embedding vectors: the last dimension is the vector (a 0-d tensor: one of one). */
export interface EmbeddingRows {
  rows: number;
  dim: number;
  /** The shape of one value per row: the input's shape without its last dimension. */
  rowShape: number[];
}

export function embeddingRows(shape: readonly number[]): EmbeddingRows {
  if (shape.length === 0) return { rows: 1, dim: 1, rowShape: [] };
  const rowShape = shape.slice(0, -1);
  return { rows: rowShape.reduce((a, b) => a * b, 1), dim: shape[shape.length - 1], rowShape };
}

/** Float tensors of one dtype (the first one's), named as the function's arguments. */
export function floatOperands(fn: string, named: [string, unknown][]): Tensor<FloatDType>[] {
  const ts = named.map(([name, v]) => checkFloatTensor(fn, name, v));
  for (let i = 1; i < ts.length; i++) checkSameDType(fn, [named[0][0], ts[0]], [named[i][0], ts[i]]);
  return ts;
}

/** `other` has `ref`'s shape (PyTorch would broadcast; lossfn refuses, as for every loss). */
export function checkShapeOf(fn: string, ref: [string, Tensor], other: [string, Tensor]): void {
  if (!sameShape(ref[1].shape, other[1].shape)) {
    throw new Error(
      `${fn}: argument '${other[0]}' has shape ${shapeStr(other[1].shape)} but '${ref[0]}' has shape ` +
        `${shapeStr(ref[1].shape)}; they must be the same size (lossfn does not broadcast)`,
    );
  }
}

/** A label-like tensor that PyTorch does not differentiate: refused when it requires grad. */
export function checkNoGrad(fn: string, name: string, t: Tensor): void {
  if (t.requiresGrad) {
    throw new Error(`${fn}: the function is not differentiable with respect to argument '${name}'; it cannot have requiresGrad true`);
  }
}

/** A finite option (margins). */
export function finiteOption(fn: string, name: string, value: unknown, fallback: number): number {
  return numberOption(fn, name, value, fallback, Number.isFinite, 'must be finite');
}

/** A positive, finite option (temperatures, eps of the list losses, alpha). */
export function positiveOption(fn: string, name: string, value: unknown, fallback: number): number {
  return numberOption(fn, name, value, fallback, (v) => v > 0 && Number.isFinite(v), 'must be positive and finite');
}

/**
 * A per-row float operand (targets, relevances) in the input's dtype: the tensor's own data
 * when it is already that, else a converted copy (int32/int64 targets are accepted as values).
 */
export function valuesOf(fn: string, name: string, t: Tensor, dtype: FloatDType): FloatArray {
  if (isFloatDType(t.dtype)) {
    if (t.dtype !== dtype) {
      throw new TypeError(`${fn}: expected argument '${name}' to have dtype ${dtype} like the input, got ${t.dtype} (mixing dtypes is an error)`);
    }
    return hostCopy(t, t.data as FloatArray);
  }
  const out = new (floatArray(dtype))(t.numel());
  const src = t.data;
  for (let i = 0; i < out.length; i++) out[i] = Number(src[i]);
  return out;
}

export { checkTensor };

// ------------------------------------------------------------------------------------------
// Row kernels: up to three `dim`-row operands and one value per row (targets), chunked.

/** The operands of a row kernel call. */
export interface RowCall {
  rows: number;
  dim: number;
  dtype: FloatDType;
  /** `rows × dim` operands, staged per chunk into slots `m0`, `m1`, `m2`. */
  mats: FloatArray[];
  /** One value per row (staged into slot `y`), or none. */
  perRow?: FloatArray;
}

export type RowSlots = Record<'m0' | 'm1' | 'm2' | 'y' | 'out' | 'g0' | 'g1' | 'g2' | 'sum', number>;

function slots(c: RowCall, backward: boolean): Record<string, number> {
  const b = floatBytes(c.dtype);
  const row = c.dim * b;
  const s: Record<string, number> = {};
  c.mats.forEach((_, i) => (s[`m${i}`] = row));
  if (c.perRow) s.y = b;
  s.out = b;
  if (backward) c.mats.forEach((_, i) => (s[`g${i}`] = row));
  return s;
}

function stageRows(ex: Exports, c: RowCall, p: Record<string, number>, r0: number, count: number): void {
  const b = floatBytes(c.dtype);
  const heap = heapOf(ex, c.dtype);
  c.mats.forEach((m, i) => heap.set(m.subarray(r0 * c.dim, (r0 + count) * c.dim), p[`m${i}`] / b));
  if (c.perRow) heap.set(c.perRow.subarray(r0, r0 + count), p.y / b);
}

/**
 * Runs a row kernel forward: `call(p, count, out, g0)` with the chunk's slots (`out` 0 when
 * reducing); the kernel writes `Σ l` (and, with `sums = 2`, a second sum) at `p.sum` (with
 * `sums = 0`, nothing: the distance ops). With `gradient`, slot `g0` (passed as `g0`, else 0)
 * receives the kernel's in-call gradient of operand 0 (the list losses' unit-upstream
 * gradient), returned as `grad`.
 * Returns the per-row values ('none') and the sums.
 */
export function rowsForward(
  ex: Exports, fn: string, c: RowCall, wantValues: boolean,
  call: (p: RowSlots, count: number, out: number, g0: number) => number, sums: 0 | 1 | 2 = 1, gradient = false,
): { values: FloatArray | null; sum: number; sum2: number; grad: FloatArray | null } {
  const b = floatBytes(c.dtype);
  const values = wantValues ? new (floatArray(c.dtype))(c.rows) : null;
  const grad = gradient ? new (floatArray(c.dtype))(c.rows * c.dim) : null;
  const total = new Sum();
  const total2 = new Sum();
  const sl = slots(c, false);
  if (grad) sl.g0 = c.dim * b;
  chunkRows(ex, c.rows, sl, { sum: 16 }, (p, r0, count) => {
    stageRows(ex, c, p, r0, count);
    check(ex, fn, call(p as RowSlots, count, values ? p.out : 0, grad ? p.g0 : 0));
    const heap = heapOf(ex, c.dtype);
    if (values) values.set(heap.subarray(p.out / b, p.out / b + count), r0);
    if (grad) grad.set(heap.subarray(p.g0 / b, p.g0 / b + count * c.dim), r0 * c.dim);
    const f64 = views(ex).f64;
    if (sums > 0) total.add(f64[p.sum / 8]);
    if (sums === 2) total2.add(f64[p.sum / 8 + 1]);
  });
  return { values, sum: total.value(), sum2: total2.value(), grad };
}

/**
 * Runs a row kernel backward: `call(p, count, g)` with the upstream values staged at `p.out`
 * (`g` = that slot, or 0 when `upstream` is null and the scale alone applies); the kernel
 * writes the gradient of operand `i` into slot `g{i}` when `want[i]`. Returns the gradients.
 */
export function rowsBackward(
  ex: Exports, fn: string, c: RowCall, upstream: FloatArray | null, want: boolean[],
  call: (p: RowSlots, count: number, g: number) => number,
): (FloatArray | null)[] {
  const b = floatBytes(c.dtype);
  const grads = c.mats.map((m, i) => (want[i] ? new (floatArray(c.dtype))(m.length) : null));
  chunkRows(ex, c.rows, slots(c, true), { sum: 16 }, (p, r0, count) => {
    stageRows(ex, c, p, r0, count);
    if (upstream) heapOf(ex, c.dtype).set(upstream.subarray(r0, r0 + count), p.out / b);
    check(ex, fn, call(p as RowSlots, count, upstream ? p.out : 0));
    const heap = heapOf(ex, c.dtype);
    grads.forEach((g, i) => {
      if (g) g.set(heap.subarray(p[`g${i}`] / b, p[`g${i}`] / b + count * c.dim), r0 * c.dim);
    });
  });
  return grads;
}

// ------------------------------------------------------------------------------------------
// Per-call blocks (the contrastive losses): allocated for the call, freed in `finally`.

/**
 * Allocates blocks of `bytes[i]` bytes (16-byte aligned) in wasm memory, runs `body` with
 * their addresses and frees them, also when `body` throws. Take views after allocating: an
 * allocation may grow (and so replace) the memory buffer.
 */
export function withBlocks<T>(ex: Exports, fn: string, bytes: number[], body: (ptrs: number[]) => T): T {
  const ptrs: number[] = [];
  try {
    for (const n of bytes) {
      const p = ex.lossfn_alloc(n) >>> 0;
      if (p === 0) throw new Error(`${fn}: cannot allocate ${n} bytes of wasm memory`);
      ptrs.push(p);
    }
    return body(ptrs);
  } finally {
    ptrs.forEach((p, i) => ex.lossfn_free(p, bytes[i]));
  }
}

// ------------------------------------------------------------------------------------------
// Padded lists (B, L) of the learning-to-rank losses.

/** Validated `(scores, relevance)` of a list loss: float scores `(B, L)`, relevance alike. */
export interface Lists {
  scores: Tensor<FloatDType>;
  relevance: FloatArray;
  lists: number;
  len: number;
}

export function checkLists(fn: string, scores: unknown, relevance: unknown): Lists {
  const s = checkFloatTensor(fn, 'scores', scores);
  const y = checkTensor(fn, 'relevance', relevance);
  if (s.ndim !== 2) {
    throw new Error(`${fn}: argument 'scores' must be 2-D lists (B, L) (allRank's [batch, listing]), got shape ${shapeStr(s.shape)}`);
  }
  checkShapeOf(fn, ['scores', s], ['relevance', y]);
  checkNoGrad(fn, 'relevance', y);
  return { scores: s, relevance: valuesOf(fn, 'relevance', y, s.dtype), lists: s.shape[0], len: s.shape[1] };
}

type ListCall = (...args: number[]) => number;

/**
 * A list loss's shared run: `lossfn_<stem>_*` over the lists with the loss's scalar `param`;
 * 'none' gives `(B)`, 'mean' divides by B, or — `pairs` (RankNet) — by the number of pairs
 * the kernel counted (allRank's mean over the batch's pairs). Gradient to the scores: when the
 * scores require grad, the forward call computes it in the same pass (the softmaxes, sorts or
 * pairs it needs are at hand there), for the usual upstream, and keeps it; `backward` only
 * scales it by the upstream actually given. So the backward never reads the operands again: no
 * second pass over them, and nothing to fingerprint (scores or relevance changed after the
 * forward do not change the gradient, which is the forward's; PyTorch refuses a change only
 * when its backward needs the changed tensor).
 */
export function listRun(
  fn: string, stem: string, gradName: string, param: number, reduction: 'none' | 'mean' | 'sum',
  scores: unknown, relevance: unknown, pairs = false,
): Tensor {
  const ex = wasm(fn);
  const { scores: s, relevance: y, lists, len } = checkLists(fn, scores, relevance);
  const dtype = s.dtype;
  const call = { rows: lists, dim: len, dtype, mats: [hostCopy(s, s.data as FloatArray), y] };
  const fwd = kernel<ListCall>(ex, stem, 'forward', dtype);
  // The forward's gradient comes scaled by the upstream of a plain `loss.backward()` (1/B for
  // a mean), so that the usual backward hands it over without another pass over B·L values
  // (that pass cost a quarter of listNet's call). RankNet's mean divides by the pair count,
  // known only after the call: its gradient comes unscaled (1) and is scaled in backward.
  // 'none': the gradient of each list's own loss (upstream 1 per list), scaled per list.
  const assumed = reduction === 'mean' && !pairs && lists > 0 ? 1 / lists : 1;
  const { values, sum, sum2, grad } = rowsForward(ex, fn, call, reduction === 'none',
    (p, count, out, g0) => (pairs ? fwd(p.m0, p.m1, count, len, param, out, p.sum, g0) : fwd(p.m0, p.m1, count, len, param, out, p.sum, g0, assumed)),
    pairs ? 2 : 1, s.requiresGrad);
  let unit = grad;
  const denominator = reduction !== 'mean' ? 1 : pairs ? sum2 : lists;
  const result = rowLossResult(dtype, { values, shape: [lists], sum, denominator }, gradName, [s], (g, scale, retain) => {
    // A retained graph may run backward again: it scales a copy and keeps the gradient.
    let u = unit as FloatArray;
    if (retain) u = u.slice();
    else unit = null;
    if (g) {
      for (let b = 0; b < lists; b++) {
        const k = g[b];
        if (k !== 1) for (let i = b * len; i < (b + 1) * len; i++) u[i] *= k;
      }
    } else if (pairs) {
      // A zero gradient stays 0 even for a 0/0 'mean' scale (no pairs: PyTorch's 0).
      scaleInPlace(u, scale, true);
    } else {
      scaleInPlace(u, scale === assumed ? 1 : scale / assumed);
    }
    return [handOver(new Tensor(u, s.shape.slice(), dtype))];
  });
  // The backward reads neither operand (above): the input guard need not fingerprint them.
  if (result.gradFn) markCovered(result, [s, relevance as Tensor]);
  return result;
}

// ---- Shared by the triplet and contrastive losses (ts/functional/*).

type TripletCall = (...args: number[]) => number;

/** A triplet margin, with PyTorch's message (its modules refuse `margin ≤ 0` since 2.1). */
export function tripletMargin(fn: string, cls: string, value: unknown): number {
  const m = numberOption(fn, 'margin', value, 1);
  if (!(m > 0) || !Number.isFinite(m)) {
    // PyTorch ≥ 2.1: ValueError("TripletMarginLoss: expected margin to be greater than 0, got … instead")
    throw new RangeError(`${fn}: option 'margin': ${cls}: expected margin to be greater than 0, got ${m} instead`);
  }
  return m;
}

/**
 * The triplet losses' shared run: checks the three operands (one float dtype, one number of
 * dimensions with PyTorch's message, one shape), runs `lossfn_<stem>_*` over rows of the last
 * dimension with the loss's `params`, reduces ('mean' over the triplets) and records the node.
 */
export function tripletRun(
  fn: string, stem: string, gradName: string, params: number[], reduction: Reduction,
  anchor: Tensor, positive: Tensor, negative: Tensor,
): Tensor {
  const ex = wasm(fn);
  const [a, p, n] = floatOperands(fn, [['anchor', anchor], ['positive', positive], ['negative', negative]]);
  if (a.ndim !== p.ndim || a.ndim !== n.ndim) {
    // PyTorch: "The anchor, positive, and negative tensors are expected to have the same number
    // of dimensions, but got: anchor 2D, positive 1D, and negative 2D inputs"
    throw new Error(
      `${fn}: The anchor, positive, and negative tensors are expected to have the same number of dimensions, ` +
        `but got: anchor ${a.ndim}D, positive ${p.ndim}D, and negative ${n.ndim}D inputs`,
    );
  }
  checkShapeOf(fn, ['anchor', a], ['positive', p]);
  checkShapeOf(fn, ['anchor', a], ['negative', n]);
  const { rows, dim, rowShape } = embeddingRows(a.shape);
  const dtype = a.dtype;
  const call = { rows, dim, dtype, mats: [hostCopy(a, a.data), hostCopy(p, p.data), hostCopy(n, n.data)] };
  const fwd = kernel<TripletCall>(ex, stem, 'forward', dtype);
  const inputs = [a, p, n];
  const want = inputs.map((t) => t.requiresGrad);
  // A reduced loss that will be differentiated: the backward kernel runs on the chunk the
  // forward just staged, so the operands are copied into wasm memory once, not twice (the copies
  // dominate: the kernels are a few flops per element). It assumes the usual upstream 1, i.e. the
  // scale 1/rows ('mean') or 1 ('sum'); a backward with another upstream, or a retained graph's
  // second backward, recomputes from the operands (exact, not a rescaled gradient).
  const assumed = reduction === 'mean' ? 1 / rows : 1;
  let unit: (FloatArray | null)[] | null = null;
  let values: FloatArray | null = null;
  let sum: number;
  if (reduction !== 'none' && want.some(Boolean)) {
    const bwd = kernel<TripletCall>(ex, stem, 'backward', dtype);
    const b = floatBytes(dtype);
    const grads = want.map((w) => (w ? new (floatArray(dtype))(rows * dim) : null));
    const total = new Sum();
    const sl = slots(call, false);
    grads.forEach((gr, i) => gr && (sl[`g${i}`] = dim * b));
    chunkRows(ex, rows, sl, { sum: 16 }, (s, r0, count) => {
      stageRows(ex, call, s, r0, count);
      check(ex, fn, fwd(s.m0, s.m1, s.m2, count, dim, ...params, 0, s.sum));
      total.add(views(ex).f64[s.sum / 8]);
      check(ex, fn, bwd(s.m0, s.m1, s.m2, count, dim, ...params, 0, assumed, want[0] ? s.g0 : 0, want[1] ? s.g1 : 0, want[2] ? s.g2 : 0));
      const heap = heapOf(ex, dtype);
      grads.forEach((gr, i) => gr?.set(heap.subarray(s[`g${i}`] / b, s[`g${i}`] / b + count * dim), r0 * dim));
    });
    unit = grads;
    sum = total.value();
  } else {
    ({ values, sum } = rowsForward(ex, fn, call, reduction === 'none',
      (s, count, out) => fwd(s.m0, s.m1, s.m2, count, dim, ...params, out, s.sum)));
  }
  const red = { values, shape: rowShape, sum, denominator: reduction === 'mean' ? rows : 1 };
  return rowLossResult(dtype, red, gradName, inputs, (g, scale) => {
    if (unit && g === null && scale === assumed) {
      const u = unit;
      unit = null;
      return u.map((x, i) => (x ? handOver(new Tensor(x, inputs[i].shape.slice(), dtype)) : null));
    }
    const ex2 = wasm(fn);
    const bwd = kernel<TripletCall>(ex2, stem, 'backward', dtype);
    const want = inputs.map((t) => t.requiresGrad);
    const grads = rowsBackward(ex2, fn, call, g, want, (s, count, gp) =>
      bwd(s.m0, s.m1, s.m2, count, dim, ...params, gp, scale, want[0] ? s.g0 : 0, want[1] ? s.g1 : 0, want[2] ? s.g2 : 0));
    return grads.map((gr, i) => (gr ? handOver(new Tensor(gr, inputs[i].shape.slice(), dtype)) : null));
  });
}

/**
 * `u·k` in place, returned (`zeroStays`: a 0 stays 0 whatever `k`, for a 0/0 'mean' scale).
 * For a gradient the forward pass computed with a unit upstream: the first backward scales it
 * in place and hands it over, and the caller drops its reference, so a graph run backward again
 * recomputes from the operands. Scaling a new array instead costs an allocation of the input's
 * size, which on large inputs takes longer than the kernel.
 */
export function scaleInPlace(u: FloatArray, k: number, zeroStays = false): FloatArray {
  if (k === 1) return u;
  if (zeroStays) {
    for (let i = 0; i < u.length; i++) u[i] = u[i] === 0 ? 0 : u[i] * k;
  } else {
    for (let i = 0; i < u.length; i++) u[i] *= k;
  }
  return u;
}

/** Rows the contrastive kernels compare exactly in float32 (class ids are held as floats). */
export const MAX_CONTRAST_ROWS = 2 ** 24;
