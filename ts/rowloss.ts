// The TS side of the one row driver (crates/kernels/src/row_driver.rs, exports in
// crates/wasm/src/rows.rs): every loss over a class (or list) dimension goes through
// `rowLoss()`, which stages rows into the scratch arena with the class dimension moved last,
// calls the loss's `forward`/`backward` exports chunk by chunk, streams rows too wide for the
// scratch area through the `piece` export (so wasm memory stays bounded for any class count),
// combines the chunks' statistics exactly, reduces, and records the autograd node. Operands in
// wasm memory (ts/wasm_tensor.ts) with the class dimension already last are read in place: the
// same chunks and pieces, no copies.

import {
  classLayout, classWeight, indexTargets, stageRowPiece, stageRows, unstageRowPiece, unstageRows, type ClassLayout,
} from './classdim.js';
import { CHUNK_BYTES } from './elementwise.js';
import { gradScale, Sum } from './reduction.js';
import { scalarTensor, Tensor, isFloatDType, type FloatArray, type FloatDType } from './tensor.js';
import { checkFloatTensor, checkTensor, shapeStr } from './validate.js';
import type { Exports, RowBackward, RowForward, RowPiece } from './wasm/abi.js';
import { check, floatArray, floatBytes, heapOf, kernel, scratch, views, wasm } from './wasm/runtime.js';
import { hostCopy, wasmAddressOf } from './wasm_tensor.js';
import { parallel, runJob, WINDOW_CHUNKS } from './threads.js';

// The per-dtype helpers and the kernel lookup live with the memory views; re-exported for the
// loss files.
export { floatArray, floatBytes, heapOf, kernel } from './wasm/runtime.js';

const align16 = (b: number): number => Math.ceil(b / 16) * 16;

/** Widest row (bytes of one operand) staged whole; wider rows stream through `piece`, in
 * pieces of `pieceBytes`. */
export const ROW_BYTES = 256 * 1024;
let rowBytes = ROW_BYTES;
let pieceBytes = CHUNK_BYTES;

/**
 * For tests: stream every row wider than `rows` bytes in pieces of `piece` bytes (a multiple
 * of 8), so that the streamed path runs on small data; no arguments restores the defaults.
 */
export function setRowStreaming(rows = ROW_BYTES, piece = CHUNK_BYTES): void {
  rowBytes = rows;
  pieceBytes = piece;
}
/** f64 slots of a streamed row's state (`STATE_SLOTS` in crates/kernels/src/row_driver.rs). */
const STATE_SLOTS = 16;

/**
 * Runs `body` over chunks of `rows` rows with scratch slots: `perRow` gives each chunk-sized
 * slot's bytes per row, `fixed` the bytes of slots that do not depend on the chunk (weights,
 * statistics). A chunk holds as many rows as fit CHUNK_BYTES in the widest slot (at least one
 * row). Slot addresses are 16-byte aligned. `once` fills the fixed slots before the first
 * chunk: they keep their contents across the chunks of one call.
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
  // Plain loops over the two records (no entry arrays): a small call feels every allocation.
  let widest = 1;
  for (const k in perRow) widest = Math.max(widest, perRow[k]);
  // Never more than 2^16 rows per call (a row count is a u32 in the ABI; rows may be 0 bytes).
  const rowsPer = Math.max(1, Math.min(rows, 65536, Math.floor(CHUNK_BYTES / widest)));
  let bytes = 16;
  for (const k in perRow) bytes += align16(perRow[k] * rowsPer);
  for (const k in fixed) bytes += align16(fixed[k]);
  let at = scratch(ex, bytes);
  const p = {} as Record<string, number>;
  for (const k in perRow) {
    p[k] = at;
    at += align16(perRow[k] * rowsPer);
  }
  for (const k in fixed) {
    p[k] = at;
    at += align16(fixed[k]);
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
 * requires grad. `backward(g, scale, retain)` receives the upstream values (per output element,
 * for 'none') or null, the factor to multiply them (or, when null, to use everywhere) by, and
 * whether the graph is retained (the node may run again); it returns one gradient per input
 * (null where not needed).
 */
export function rowLossResult(
  dtype: FloatDType,
  r: RowReduction,
  gradName: string,
  inputs: Tensor[],
  backward: (g: FloatArray | null, scale: number, retain: boolean) => (Tensor | null)[],
): Tensor {
  let requiresGrad = false;
  for (let i = 0; i < inputs.length; i++) requiresGrad ||= inputs[i].requiresGrad;
  let result: Tensor;
  if (r.values) result = new Tensor(r.values, r.shape, dtype, requiresGrad);
  else result = scalarTensor(r.sum / r.denominator, dtype, requiresGrad);
  if (!requiresGrad) return result;
  const perElement = r.values !== null;
  result.gradFn = {
    name: gradName,
    inputs,
    backward(g: Tensor, retain?: boolean): (Tensor | null)[] {
      // A wasm tensor's view would not survive the driver's scratch() growing memory.
      if (perElement) return backward(hostCopy(g, g.data as FloatArray), 1, retain === true);
      // Σ/denominator: Σ with 'sum' (denominator 1), the mean otherwise.
      return backward(null, gradScale('mean', Number(g.data[0]), r.denominator), retain === true);
    },
  };
  return result;
}

/** One call of a row loss, validated by its F function. */
export interface RowLossCall {
  /** Public function name, for messages ('crossEntropy'). */
  fn: string;
  /** Kernel stem: `lossfn_<stem>_{forward,backward,piece}_{f32,f64}`. */
  stem: string;
  /** The autograd node's name ('CrossEntropyLossBackward'). */
  gradName: string;
  /** The rows' inputs (`x`), laid out as `layout` says. */
  input: Tensor<FloatDType>;
  layout: ClassLayout;
  /** The float operand, laid out as the input: probability targets, teacher logits, label rows. */
  target?: Tensor<FloatDType> | null;
  /** Integer targets, `yWidth` per row (1: a class index; `layout.c`: a list). */
  y?: Int32Array | null;
  yWidth?: number;
  /** Class weights (`classes` of them). */
  weight?: Tensor<FloatDType> | null;
  /** The class count C when it is not the row width (nllLoss's gathered rows are 1 wide). */
  classes?: number;
  /** Rows whose single target equals it contribute nothing. */
  ignoreIndex?: number | null;
  /** The kernel's p0..p2 (listed at each loss in crates/wasm/src/rows.rs). */
  params?: readonly number[];
  /** 'none' keeps the per-row (per-element) values; 'sum'; anything else divides by the
   * denominator: `denominator` when given, else the loss's own (Σ over rows of each row's
   * share, e.g. w_y for weighted cross entropy). */
  reduction: string;
  denominator?: number;
  /** The loss writes one output (and takes one upstream value) per element (distillation). */
  perElement?: boolean;
  /** The shape of the 'none' result (default: `layout.rowShape`, or the input's per element). */
  outShape?: number[];
  /** The autograd inputs and how each gets its gradient from the staged rows' gradients:
   * default `[input]` (and `[input, target]` when a target is given), gradients laid out as the
   * rows. nllLoss passes its full input and scatters the gathered rows' gradient into it. */
  inputs?: Tensor[];
  gradOf?: (gx: FloatArray | null, gt: FloatArray | null) => (Tensor | null)[];
  /** The loss has no gradient (zeroOneLoss): backward throws this message. */
  noGrad?: string;
  /** False for a loss whose rows cannot stream in pieces (multilabelMarginLoss: a row's
   * target list spans it); its rows are staged whole whatever their width. */
  streams?: boolean;
}

interface Kernels {
  fwd: RowForward;
  bwd: RowBackward;
  piece: RowPiece;
}

/** Runs a row loss forward and returns its (reduced) result with its autograd node. */
export function rowLoss(call: RowLossCall): Tensor {
  const { fn, input: x, layout } = call;
  const ex = wasm(fn);
  const dtype = x.dtype;
  const kernelsOf = (e: Exports): Kernels => ({
    fwd: kernel(e, call.stem, 'forward', dtype),
    bwd: kernel(e, call.stem, 'backward', dtype),
    piece: kernel(e, call.stem, 'piece', dtype),
  });
  const k = kernelsOf(ex);
  const per = call.perElement === true;
  const values = call.reduction === 'none' ? resultArray(fn, dtype, per ? x.numel() : layout.rows) : null;
  // An empty input (no classes, or no rows) costs O(1) whatever its other sizes: every row's
  // loss is an empty sum, 0, and the mean's denominator counts nothing, so 'mean' is NaN as in
  // PyTorch (0/0), unless the loss divides by a count of its own (batchmean).
  const stats = x.numel() === 0 ? [0, 0] : runForward(ex, k, call, values);
  const red: RowReduction = {
    values,
    shape: call.outShape ?? (per ? x.shape.slice() : layout.rowShape),
    sum: stats[0],
    denominator: call.reduction === 'sum' ? 1 : call.denominator ?? stats[1],
  };
  const inputs = call.inputs ?? (call.target ? [x, call.target] : [x]);
  if (call.noGrad !== undefined) {
    const result = rowLossResult(dtype, red, call.gradName, [], () => []);
    const message = call.noGrad;
    result.gradFn = {
      name: call.gradName,
      inputs,
      backward(): never {
        throw new Error(message);
      },
    };
    return result;
  }
  return rowLossResult(dtype, red, call.gradName, inputs, (g, scale) => {
    const ex2 = wasm(fn);
    const Ctor = floatArray(dtype);
    const wantX = call.gradOf ? true : x.requiresGrad;
    const gx = wantX ? new Ctor(x.numel()) : null;
    const gt = call.target?.requiresGrad ? new Ctor(x.numel()) : null;
    // The instance's own kernels: release() may have swapped the instance since the forward.
    if (x.numel() > 0) runBackward(ex2, kernelsOf(ex2), call, g, scale, gx, gt);
    if (call.gradOf) return call.gradOf(gx, gt);
    return [gx ? new Tensor(gx, x.shape.slice(), dtype) : null, gt ? new Tensor(gt, x.shape.slice(), dtype) : null]
      .slice(0, inputs.length);
  });
}

/** A result array of `n` elements, or an error naming `fn` when no typed array can be that long
 * (the 'none' result of an empty input with huge other sizes). */
export function resultArray(fn: string, dtype: FloatDType, n: number): FloatArray {
  try {
    return new (floatArray(dtype))(n);
  } catch {
    throw new RangeError(`${fn}: the result would have ${n} elements, more than a typed array can hold`);
  }
}

/** The arguments every kernel call shares: operands' slots are filled in per call. */
function common(call: RowLossCall) {
  const p = call.params ?? [];
  const ignore = call.ignoreIndex ?? null;
  return {
    classes: call.classes ?? call.layout.c,
    yWidth: call.y ? (call.yWidth ?? 1) : 0,
    ignore: ignore ?? 0,
    ignoreOn: ignore === null ? 0 : 1,
    p0: p[0] ?? 0,
    p1: p[1] ?? 0,
    p2: p[2] ?? 0,
  };
}

/** Whether row `r` is ignored (its single target equals ignoreIndex). */
function ignored(call: RowLossCall, r: number): boolean {
  return call.ignoreIndex !== undefined && call.ignoreIndex !== null && (call.yWidth ?? 1) === 1 &&
    call.y !== null && call.y !== undefined && call.y[r] === call.ignoreIndex;
}

/**
 * The byte address of element 0 of `t` where the kernels can read its rows in place (it lives
 * in wasm memory and its rows are contiguous: `s` = 1), else -1. Addresses survive the memory
 * growth of `scratch()`; views do not, so operands are always re-read through `t.data`.
 */
function inPlace(t: Tensor<FloatDType> | null, s: number): number {
  return t !== null && s === 1 ? wasmAddressOf(t) : -1;
}

/** Where a kernel reads rows from `row` on: in place (`at` ≥ 0, {@link inPlace}), or their staged slot. */
function rowsAt(at: number, slot: number, row: number, c: number, bytes: number): number {
  return at >= 0 ? at + row * c * bytes : slot;
}

/** Rows staged whole (true) or streamed in pieces. */
function wholeRows(call: RowLossCall): boolean {
  return call.layout.c * floatBytes(call.input.dtype) <= rowBytes || call.streams === false;
}

/**
 * Stages classes [start, start + n) of row `r`'s x, t and w into the stream slots `s`, or points
 * at them where they are read in place (`xAt`/`tAt`/`wAt` ≥ 0), and returns the addresses the
 * piece kernel reads: the one piece-staging step of the streamed forward and backward.
 */
function stagePieceOperands(
  ex: Exports, call: RowLossCall, s: { x: number; t: number; w: number },
  xAt: number, tAt: number, wAt: number, r: number, start: number, n: number,
): [number, number, number] {
  const { input: x, layout } = call;
  const t = call.target ?? null;
  const w = call.weight ?? null;
  const bytes = floatBytes(x.dtype);
  const heap = heapOf(ex, x.dtype);
  let [px, pt, pw] = [s.x, s.t, s.w];
  if (xAt >= 0) px = xAt + (r * layout.c + start) * bytes;
  else stageRowPiece(heap, s.x / bytes, x.data, layout, r, start, n);
  if (t && tAt >= 0) pt = tAt + (r * layout.c + start) * bytes;
  else if (t) stageRowPiece(heap, s.t / bytes, t.data, layout, r, start, n);
  if (w && wAt >= 0) pw = wAt + start * bytes;
  else if (w) heap.set(w.data.subarray(start, start + n), s.w / bytes);
  return [px, pt, pw];
}

/** The forward over every row: fills `values` ('none'), returns the statistics. */
function runForward(ex: Exports, k: Kernels, call: RowLossCall, values: FloatArray | null): number[] {
  const { fn, input: x, layout } = call;
  const dtype = x.dtype;
  const bytes = floatBytes(dtype);
  const c = layout.c;
  const a = common(call);
  const per = call.perElement === true;
  const nStats = 2;
  const totals = [new Sum(), new Sum()]; // nStats of them
  const w = call.weight ?? null;
  const t = call.target ?? null;
  const y = call.y ?? null;
  if (wholeRows(call) && parallel(layout.rows * c * bytes)) return forwardRowsParallel(call, values);
  const xAt = inPlace(x, layout.s);
  const tAt = inPlace(t, layout.s);
  const wAt = inPlace(w, 1);
  if (wholeRows(call)) {
    // Slots even for operands read in place: the chunking (hence every sum) stays the same.
    const perRow = { x: c * bytes, t: t ? c * bytes : 0, y: a.yWidth * 4, out: per ? c * bytes : bytes };
    chunkRows(ex, layout.rows, perRow, { w: w ? a.classes * bytes : 0, stats: nStats * 8 }, (p, r0, count) => {
      const px = rowsAt(xAt, p.x, r0, c, bytes);
      const pt = rowsAt(tAt, p.t, r0, c, bytes);
      stageRowOperands(ex, call, a.yWidth, p.x, p.t, p.y, r0, count, xAt, tAt);
      check(ex, fn, k.fwd(px, t ? pt : 0, y ? p.y : 0, w ? (wAt >= 0 ? wAt : p.w) : 0, a.classes, count, c, a.yWidth, a.ignore, a.ignoreOn,
        a.p0, a.p1, a.p2, values ? p.out : 0, p.stats, nStats));
      const h = heapOf(ex, dtype);
      if (values && per) unstageRows(h, p.out / bytes, values, layout, r0, count);
      else if (values) values.set(h.subarray(p.out / bytes, p.out / bytes + count), r0);
      const f64 = views(ex).f64;
      for (let i = 0; i < nStats; i++) totals[i].add(f64[p.stats / 8 + i]);
    }, (p) => {
      if (w && wAt < 0) heapOf(ex, dtype).set(w.data, p.w / bytes);
    });
    return totals.map((s) => s.value());
  }
  // Rows too wide for the scratch area: each streams through `piece`, one pass at a time.
  const len = pieceBytes / bytes;
  // The class weights stream with the row, piece by piece (the kernel gets the piece's own).
  const slots = stream(ex, len, bytes, len * bytes, a.yWidth, w !== null, t !== null, false);
  for (let r = 0; r < layout.rows; r++) {
    if (ignored(call, r)) continue;
    const s = slots();
    const f64 = () => views(ex).f64;
    if (y) views(ex).i32.set(y.subarray(r * a.yWidth, (r + 1) * a.yWidth), s.y / 4);
    // A piece's operands: in place, or staged into the slots.
    let px = s.x;
    let pt = s.t;
    let pw = s.w;
    const stagePiece = (start: number, n: number): void => {
      [px, pt, pw] = stagePieceOperands(ex, call, s, xAt, tAt, wAt, r, start, n);
    };
    const step = (st: number, pass: number, start: number, n: number, out = 0): void => {
      check(ex, fn, k.piece(st, pass, s.state, px, t ? pt : 0, y ? s.y : 0, a.yWidth, w ? pw : 0, w ? n : a.classes, start, n, c,
        a.p0, a.p1, a.p2, 0, 0, out, s.value, nStats, 0, 0));
    };
    step(0, 0, 0, 0);
    const passes = f64()[s.value / 8];
    for (let pass = 0; pass < passes; pass++) {
      for (let start = 0; start < c; start += len) {
        const n = Math.min(len, c - start);
        stagePiece(start, n);
        step(1, pass, start, n);
      }
    }
    step(2, 0, 0, 0);
    const v = f64();
    for (let i = 0; i < nStats; i++) totals[i].add(v[s.value / 8 + i]);
    if (values && !per) values[r] = v[s.value / 8];
    if (values && per) {
      for (let start = 0; start < c; start += len) {
        const n = Math.min(len, c - start);
        stagePiece(start, n);
        step(3, 0, start, n, s.out);
        unstageRowPiece(heapOf(ex, dtype), s.out / bytes, values, layout, r, start, n);
      }
    }
  }
  return totals.map((s) => s.value());
}

/**
 * The scratch slots of a streamed row (pieces of `len` elements), laid out once per call;
 * the returned function re-takes them (their addresses stay; only the arena could move, and
 * it does not grow during a call).
 */
function stream(ex: Exports, len: number, bytes: number, wBytes: number, yWidth: number, hasW: boolean, hasT: boolean, grads: boolean) {
  const sizes = {
    state: STATE_SLOTS * 8, value: 8 * 8, x: len * bytes, t: hasT ? len * bytes : 0, g: grads ? len * bytes : 0,
    out: len * bytes, gx: grads ? len * bytes : 0, gt: grads && hasT ? len * bytes : 0, y: yWidth * 4, w: hasW ? wBytes : 0,
  };
  const total = Object.values(sizes).reduce((s, b) => s + align16(b), 0);
  const base = scratch(ex, total + 16);
  const p = {} as Record<keyof typeof sizes, number>;
  let at = base;
  for (const [key, b] of Object.entries(sizes) as [keyof typeof sizes, number][]) {
    p[key] = at;
    at += align16(b);
  }
  return () => p;
}

/** The backward over every row: writes ∂x into `gx`, ∂t into `gt` (laid out as the input). */
function runBackward(
  ex: Exports, k: Kernels, call: RowLossCall, g: FloatArray | null, scale: number, gx: FloatArray | null, gt: FloatArray | null,
): void {
  const { fn, input: x, layout } = call;
  const dtype = x.dtype;
  const bytes = floatBytes(dtype);
  const c = layout.c;
  const a = common(call);
  const per = call.perElement === true;
  const w = call.weight ?? null;
  const t = call.target ?? null;
  const y = call.y ?? null;
  if (wholeRows(call) && parallel(layout.rows * c * bytes)) return backwardRowsParallel(call, g, scale, gx, gt);
  const xAt = inPlace(x, layout.s);
  const tAt = inPlace(t, layout.s);
  const wAt = inPlace(w, 1);
  if (wholeRows(call)) {
    const perRow = {
      x: c * bytes, t: t ? c * bytes : 0, y: a.yWidth * 4, g: g ? (per ? c * bytes : bytes) : 0,
      gx: gx ? c * bytes : 0, gt: gt ? c * bytes : 0,
    };
    chunkRows(ex, layout.rows, perRow, { w: w ? a.classes * bytes : 0 }, (p, r0, count) => {
      const px = rowsAt(xAt, p.x, r0, c, bytes);
      const pt = rowsAt(tAt, p.t, r0, c, bytes);
      stageRowOperands(ex, call, a.yWidth, p.x, p.t, p.y, r0, count, xAt, tAt);
      if (g) stageUpstream(heapOf(ex, dtype), p.g, g, per, layout, r0, count);
      check(ex, fn, k.bwd(px, t ? pt : 0, y ? p.y : 0, w ? (wAt >= 0 ? wAt : p.w) : 0, a.classes, count, c, a.yWidth, a.ignore, a.ignoreOn,
        a.p0, a.p1, a.p2, g ? p.g : 0, scale, gx ? p.gx : 0, gt ? p.gt : 0));
      const h = heapOf(ex, dtype);
      if (gx) unstageRows(h, p.gx / bytes, gx, layout, r0, count);
      if (gt) unstageRows(h, p.gt / bytes, gt, layout, r0, count);
    }, (p) => {
      if (w && wAt < 0) heapOf(ex, dtype).set(w.data, p.w / bytes);
    });
    return;
  }
  const len = pieceBytes / bytes;
  const slots = stream(ex, len, bytes, len * bytes, a.yWidth, w !== null, t !== null, true);
  for (let r = 0; r < layout.rows; r++) {
    // Ignored rows keep their zero gradient (the arrays start at 0).
    if (ignored(call, r)) continue;
    const s = slots();
    if (y) views(ex).i32.set(y.subarray(r * a.yWidth, (r + 1) * a.yWidth), s.y / 4);
    const rowScale = g && !per ? g[r] * scale : scale;
    const withG = g !== null && per;
    let px = s.x;
    let pt = s.t;
    let pw = s.w;
    const step = (st: number, pass: number, start: number, n: number): void => {
      check(ex, fn, k.piece(st, pass, s.state, px, t ? pt : 0, y ? s.y : 0, a.yWidth, w ? pw : 0, w ? n : a.classes, start, n, c,
        a.p0, a.p1, a.p2, withG ? s.g : 0, rowScale, 0, s.value, 2, gx ? s.gx : 0, gt ? s.gt : 0));
    };
    const stage = (start: number, n: number): void => {
      [px, pt, pw] = stagePieceOperands(ex, call, s, xAt, tAt, wAt, r, start, n);
      if (withG) stageRowPiece(heapOf(ex, dtype), s.g / bytes, g, layout, r, start, n);
    };
    step(0, 0, 0, 0);
    const passes = views(ex).f64[s.value / 8 + 1];
    for (let pass = 0; pass < passes; pass++) {
      for (let start = 0; start < c; start += len) {
        const n = Math.min(len, c - start);
        stage(start, n);
        step(4, pass, start, n);
      }
    }
    for (let start = 0; start < c; start += len) {
      const n = Math.min(len, c - start);
      stage(start, n);
      step(5, 0, start, n);
      const h = heapOf(ex, dtype);
      if (gx) unstageRowPiece(h, s.gx / bytes, gx, layout, r, start, n);
      if (gt) unstageRowPiece(h, s.gt / bytes, gt, layout, r, start, n);
    }
  }
}

// ------------------------------------------------------------------------------------------
// The whole-rows loops above on the thread pool (ts/threads.ts, init({ threads })): the same
// chunks of rows as chunkRows makes, each its own kernel call writing its own statistics slot,
// combined in chunk order, so results are the one-thread results bit for bit. Up to
// WINDOW_CHUNKS chunks are staged at a time.

/** The parallel layout of a window: each chunk's slots contiguous, then the fixed slots. */
function rowWindows<K extends string>(
  ex: Exports, rows: number, perRow: Record<K, number>, fixedBytes: number, extraPerChunk: number,
  body: (slot: (chunk: number, key: K | 'extra') => number, fixed: number, status: number, r0: number, rowsPer: number, chunks: number, once: boolean) => void,
): void {
  const widest = Math.max(1, ...Object.values<number>(perRow));
  // chunkRows's rule, so the chunk boundaries (and the statistics' order) are its.
  const rowsPer = Math.max(1, Math.min(rows, 65536, Math.floor(CHUNK_BYTES / widest)));
  const keys = Object.keys(perRow) as K[];
  const offsets = {} as Record<K, number>;
  let chunkBytes = 0;
  for (const k of keys) {
    offsets[k] = chunkBytes;
    chunkBytes += align16(perRow[k] * rowsPer);
  }
  chunkBytes += align16(extraPerChunk);
  const total = Math.ceil(rows / rowsPer);
  const window = Math.min(total, WINDOW_CHUNKS);
  const base = scratch(ex, window * chunkBytes + align16(fixedBytes) + window * 4 + 16);
  const fixed = base + window * chunkBytes;
  const status = fixed + align16(fixedBytes);
  for (let c0 = 0; c0 < total; c0 += WINDOW_CHUNKS) {
    const chunks = Math.min(WINDOW_CHUNKS, total - c0);
    body((j, k) => base + j * chunkBytes + (k === 'extra' ? chunkBytes - align16(extraPerChunk) : offsets[k]),
      fixed, status, c0 * rowsPer, rowsPer, chunks, c0 === 0);
  }
}

/**
 * Stages rows [r0, r0 + count) of the call's input and float target (unless the kernel reads
 * them in place: `xAt`/`tAt` ≥ 0) and of its integer targets into the slots at `px`, `pt`, `py`
 * (byte addresses): the one staging step of the serial and the split passes.
 */
function stageRowOperands(
  ex: Exports, call: RowLossCall, yWidth: number, px: number, pt: number, py: number, r0: number, count: number, xAt = -1, tAt = -1,
): void {
  const { input: x, layout } = call;
  const heap = heapOf(ex, x.dtype);
  const bytes = floatBytes(x.dtype);
  if (xAt < 0) stageRows(heap, px / bytes, x.data, layout, r0, count);
  if (call.target && tAt < 0) stageRows(heap, pt / bytes, call.target.data, layout, r0, count);
  if (call.y) views(ex).i32.set(call.y.subarray(r0 * yWidth, (r0 + count) * yWidth), py / 4);
}

/** Stages the upstream gradient of rows [r0, r0 + count): per element ('none' of a per-element
 * loss) or one value per row, at byte address `pg`. */
function stageUpstream(heap: FloatArray, pg: number, g: FloatArray, perElement: boolean, layout: ClassLayout, r0: number, count: number): void {
  const bytes = heap.BYTES_PER_ELEMENT;
  if (perElement) stageRows(heap, pg / bytes, g, layout, r0, count);
  else heap.set(g.subarray(r0, r0 + count), pg / bytes);
}

const suffix = (d: FloatDType): string => (d === 'float32' ? 'f32' : 'f64');

function forwardRowsParallel(call: RowLossCall, values: FloatArray | null): number[] {
  const { fn, input: x, layout } = call;
  const ex = wasm(fn);
  const dtype = x.dtype;
  const bytes = floatBytes(dtype);
  const c = layout.c;
  const a = common(call);
  const per = call.perElement === true;
  const nStats = 2;
  const totals = Array.from({ length: nStats }, () => new Sum());
  const w = call.weight ?? null;
  const t = call.target ?? null;
  const y = call.y ?? null;
  const kernelName = `lossfn_${call.stem}_forward_${suffix(dtype)}`;
  const perRow = { x: c * bytes, t: t ? c * bytes : 0, y: a.yWidth * 4, out: per ? c * bytes : bytes };
  // Operands in (shared) wasm memory are read in place by every thread, as on one thread.
  const [xAt, tAt, wAt] = [inPlace(x, layout.s), inPlace(t, layout.s), inPlace(w, 1)];
  rowWindows(ex, layout.rows, perRow, w ? a.classes * bytes : 0, nStats * 8, (slot, pw, status, r0, rowsPer, chunks, first) => {
    if (first && w && wAt < 0) heapOf(ex, dtype).set(w.data, pw / bytes);
    const rowsOf = (j: number): number => Math.min(rowsPer, layout.rows - (r0 + j * rowsPer));
    const rowAt = (at: number, slotAt: number, j: number): number => rowsAt(at, slotAt, r0 + j * rowsPer, c, bytes);
    const calls: number[][] = [];
    for (let j = 0; j < chunks; j++) {
      calls.push([rowAt(xAt, slot(j, 'x'), j), t ? rowAt(tAt, slot(j, 't'), j) : 0, y ? slot(j, 'y') : 0, w ? (wAt >= 0 ? wAt : pw) : 0,
        a.classes, rowsOf(j), c, a.yWidth, a.ignore, a.ignoreOn, a.p0, a.p1, a.p2, values ? slot(j, 'out') : 0, slot(j, 'extra'), nStats]);
    }
    runJob(ex, {
      fn, kernel: kernelName, calls, status,
      stage(c0, c1) {
        for (let j = c0; j < c1; j++) {
          stageRowOperands(ex, call, a.yWidth, slot(j, 'x'), slot(j, 't'), slot(j, 'y'), r0 + j * rowsPer, rowsOf(j), xAt, tAt);
        }
      },
    }, (status) => check(ex, fn, status));
    for (let j = 0; j < chunks; j++) {
      const h = heapOf(ex, dtype);
      const rj = r0 + j * rowsPer;
      const count = rowsOf(j);
      if (values && per) unstageRows(h, slot(j, 'out') / bytes, values, layout, rj, count);
      else if (values) values.set(h.subarray(slot(j, 'out') / bytes, slot(j, 'out') / bytes + count), rj);
      const f64 = views(ex).f64;
      for (let i = 0; i < nStats; i++) totals[i].add(f64[slot(j, 'extra') / 8 + i]);
    }
  });
  return totals.map((s) => s.value());
}

function backwardRowsParallel(call: RowLossCall, g: FloatArray | null, scale: number, gx: FloatArray | null, gt: FloatArray | null): void {
  const { fn, input: x, layout } = call;
  const ex = wasm(fn);
  const dtype = x.dtype;
  const bytes = floatBytes(dtype);
  const c = layout.c;
  const a = common(call);
  const per = call.perElement === true;
  const w = call.weight ?? null;
  const t = call.target ?? null;
  const y = call.y ?? null;
  const kernelName = `lossfn_${call.stem}_backward_${suffix(dtype)}`;
  const perRow = {
    x: c * bytes, t: t ? c * bytes : 0, y: a.yWidth * 4, g: g ? (per ? c * bytes : bytes) : 0,
    gx: gx ? c * bytes : 0, gt: gt ? c * bytes : 0,
  };
  const [xAt, tAt, wAt] = [inPlace(x, layout.s), inPlace(t, layout.s), inPlace(w, 1)];
  rowWindows(ex, layout.rows, perRow, w ? a.classes * bytes : 0, 0, (slot, pw, status, r0, rowsPer, chunks, first) => {
    if (first && w && wAt < 0) heapOf(ex, dtype).set(w.data, pw / bytes);
    const rowsOf = (j: number): number => Math.min(rowsPer, layout.rows - (r0 + j * rowsPer));
    const rowAt = (at: number, slotAt: number, j: number): number => rowsAt(at, slotAt, r0 + j * rowsPer, c, bytes);
    const calls: number[][] = [];
    for (let j = 0; j < chunks; j++) {
      calls.push([rowAt(xAt, slot(j, 'x'), j), t ? rowAt(tAt, slot(j, 't'), j) : 0, y ? slot(j, 'y') : 0, w ? (wAt >= 0 ? wAt : pw) : 0,
        a.classes, rowsOf(j), c, a.yWidth, a.ignore, a.ignoreOn, a.p0, a.p1, a.p2, g ? slot(j, 'g') : 0, scale, gx ? slot(j, 'gx') : 0,
        gt ? slot(j, 'gt') : 0]);
    }
    runJob(ex, {
      fn, kernel: kernelName, calls, status,
      stage(c0, c1) {
        for (let j = c0; j < c1; j++) {
          const rj = r0 + j * rowsPer;
          stageRowOperands(ex, call, a.yWidth, slot(j, 'x'), slot(j, 't'), slot(j, 'y'), rj, rowsOf(j), xAt, tAt);
          if (g) stageUpstream(heapOf(ex, dtype), slot(j, 'g'), g, per, layout, rj, rowsOf(j));
        }
      },
    }, (status) => check(ex, fn, status));
    for (let j = 0; j < chunks; j++) {
      const h = heapOf(ex, dtype);
      const rj = r0 + j * rowsPer;
      const count = rowsOf(j);
      if (gx) unstageRows(h, slot(j, 'gx') / bytes, gx, layout, rj, count);
      if (gt) unstageRows(h, slot(j, 'gt') / bytes, gt, layout, rj, count);
    }
  });
}

// ------------------------------------------------------------------------------------------
// Row losses with one class-index target per row: validation shared by several losses.


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

/** (N, C) rows with the class dimension already last. */
export function lastDimLayout(n: number, c: number, rowShape: number[]): ClassLayout {
  return { n, c, s: 1, rows: n, rowShape };
}

/** Validated options of an index-target row loss. */
export interface IndexRowConfig {
  weight: Tensor | null;
  ignoreIndex: number;
  reduction: 'none' | 'mean' | 'sum';
}

/** The checked operands of an index-target row loss (PyTorch's shapes and messages). */
export function indexRowOperands(fn: string, input: unknown, target: unknown, o: IndexRowConfig) {
  const { x, t, layout, w } = indexRowChecks(fn, input, target, o);
  const ys = indexTargets(fn, t, x, layout.c, o.ignoreIndex);
  return { x, layout, w, ys };
}

/** {@link indexRowOperands}' checks before the targets' values (nllLoss checks those while
 * gathering). */
export function indexRowChecks(fn: string, input: unknown, target: unknown, o: IndexRowConfig) {
  const x = checkFloatTensor(fn, 'input', input);
  const t = checkTensor(fn, 'target', target);
  const layout = classLayout(fn, x);
  checkIndexDType(fn, t);
  if (x.ndim <= 2 && t.ndim > 1) {
    // PyTorch: "0D or 1D target tensor expected, multi-target not supported"
    throw new Error(`${fn}: argument 'target': 0D or 1D target tensor expected, multi-target not supported (got shape ${shapeStr(t.shape)} for input ${shapeStr(x.shape)})`);
  }
  const w = classWeight(fn, o.weight, x, layout.c);
  return { x, t, layout, w };
}

/**
 * A softmax loss of the target's log-probability (softmaxFocalLoss, polyLoss): class
 * dimension 1, index targets, class weights, ignoreIndex; 'mean' = Σ l / Σ w_y over the
 * non-ignored positions. `param` is the kernel's p0 (γ, ε).
 */
export function indexRowLoss(fn: string, stem: string, gradName: string, param: number, input: unknown, target: unknown, o: IndexRowConfig): Tensor {
  const { x, layout, w, ys } = indexRowOperands(fn, input, target, o);
  return rowLoss({ fn, stem, gradName, input: x, layout, y: ys, weight: w, ignoreIndex: o.ignoreIndex, params: [param], reduction: o.reduction });
}

/** Validated options of a large-margin softmax loss. */
export interface MarginConfig {
  scale: number;
  margin: number;
  reduction: 'none' | 'mean' | 'sum';
}

/**
 * A large-margin softmax loss on cosines (N, C) with class-index targets (N) in [0, C): the
 * target cosine replaced by the margin function, the row scaled, cross entropy; 'mean'
 * divides by N.
 */
export function marginRowLoss(fn: string, stem: string, gradName: string, input: unknown, target: unknown, o: MarginConfig): Tensor {
  const x = checkFloatTensor(fn, 'input', input);
  const t = checkTensor(fn, 'target', target);
  if (x.ndim !== 2) {
    throw new Error(`${fn}: argument 'input' must be 2-D cosine logits (N, C), got shape ${shapeStr(x.shape)}`);
  }
  checkIndexDType(fn, t);
  const layout = classLayout(fn, x);
  const ys = indexTargets(fn, t, x, layout.c, null);
  return rowLoss({ fn, stem, gradName, input: x, layout, y: ys, params: [o.scale, o.margin], reduction: o.reduction });
}
