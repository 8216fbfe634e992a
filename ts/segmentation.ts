// Plumbing of the segmentation family: the smp-style options and their checks, the operands of
// an overlap loss (modes, targets, ignoreIndex, range checks), the chunked plane pass that gives
// per-image, per-class sums (TP, FP, FN, TN, G) and its gradient, and the Lovász groups.
// Kernels and their call protocol: crates/wasm/src/segmentation.rs.

import { describe, opt } from './table.js';
import { Sum } from './reduction.js';
import { seqKernel } from './sequence.js';
import { Tensor, isFloatDType, type FloatArray, type FloatDType } from './tensor.js';
import { checkFloatTensor, checkSameDType, checkTensor, shapeStr } from './validate.js';
import type { KernelExports } from './wasm/abi.js';
import { check, floatArray, floatBytes, heapOf, kernel, scratch, views, wasm } from './wasm/runtime.js';

export type SegMode = 'multiclass' | 'multilabel' | 'binary';
/** The kernels' activation codes (crates/kernels/src/loss/segmentation/planes.rs `Act`). */
export const ACT = { none: 0, sigmoid: 1, softmax: 2 } as const;
/** Sums per class, in the kernels' order. */
export const SUMS = 5;
export const TP = 0;
export const FP = 1;
export const FN = 2;
export const TN = 3;
export const G = 4;

type PlaneForward = KernelExports['lossfn_dice_loss_forward_f32'];
type PlaneBackward = KernelExports['lossfn_dice_loss_backward_f32'];

/** Bytes of logits staged per plane-pass call. */
const BLOCK_BYTES = 256 * 1024;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** `ignoreIndex`: null (none) or an int32. */
export function ignoreIndexOption() {
  return opt.custom<number | null>(null, 'null or an integer in the int32 range', [1.5, '1', 2 ** 31], (fn, name, v) => {
    if (v === null) return null;
    if (!isInt(v)) throw new TypeError(`${fn}: option '${name}' must be null or an integer, got ${describe(v)}`);
    if (v < -(2 ** 31) || v > 2 ** 31 - 1) throw new RangeError(`${fn}: option '${name}' must fit in 32 bits, got ${v}`);
    return v;
  });
}

/** A list of class indices (range checked against C by the loss). */
export function classListOf(fn: string, name: string, v: unknown): number[] {
  if (!Array.isArray(v) || !v.every((k) => isInt(k) && k >= 0 && k <= 2 ** 31 - 1)) {
    throw new TypeError(`${fn}: option '${name}' must be null or an array of non-negative integer class indices, got ${describe(v)}${Array.isArray(v) ? ` [${v.slice(0, 4).map(String).join(', ')}]` : ''}`);
  }
  return v.slice();
}

/** The options of the smp-style overlap losses (Dice, Jaccard, Tversky). */
export function overlapOptions() {
  return {
    mode: opt.custom<SegMode | null>(null, "null (from the target's dtype) | 'multiclass' | 'multilabel' | 'binary'", ['multi', 1], (fn, name, v) => {
      if (v === null) return null;
      if (v !== 'multiclass' && v !== 'multilabel' && v !== 'binary') {
        throw new RangeError(`${fn}: option '${name}' must be one of 'multiclass', 'multilabel', 'binary', got ${describe(v)}`);
      }
      return v;
    }),
    classes: opt.custom<number[] | null>(null, 'null (all) or an array of class indices', ['a', [1.5], [-1], 2], (fn, name, v) => (v === null ? null : classListOf(fn, name, v))),
    logLoss: opt.bool(false),
    fromLogits: opt.bool(true),
    smooth: opt.number(0, (v) => v >= 0 && Number.isFinite(v), 'must be finite and >= 0', [-1, Infinity]),
    eps: opt.number(1e-7, (v) => v >= 0 && Number.isFinite(v), 'must be finite and >= 0', [-1e-7, Infinity]),
    ignoreIndex: ignoreIndexOption(),
    reduction: opt.reductions(['mean', 'none'] as const, 'mean'),
  };
}

export interface OverlapConfig {
  mode: SegMode | null;
  classes: number[] | null;
  fromLogits: boolean;
  ignoreIndex: number | null;
}

/** The operands of one plane-pass loss, checked: `(N, C, S)` logits and the target. */
export interface Planes {
  x: Tensor<FloatDType>;
  n: number;
  c: number;
  s: number;
  act: number;
  /** Class indices per pixel `(N, S)` (−1: ignored), or null. */
  labels: Int32Array | null;
  /** Dense targets laid out as `x`, or null. */
  dense: FloatArray | null;
  /** Dense targets equal to this are ignored (NaN: none). */
  ignore: number;
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** The target tensor: no gradient flows to it (the kernels differentiate the input only), so
 * one that requires grad is refused rather than left without its gradient. */
export function targetOf(fn: string, target: unknown): Tensor {
  const t = checkTensor(fn, 'target', target);
  if (t.requiresGrad) {
    throw new Error(`${fn}: the function is not differentiable with respect to argument 'target'; it cannot have requiresGrad true`);
  }
  return t;
}

/** PyTorch's wording for a class index outside [0, C). */
export function outOfBounds(fn: string, name: string, v: number, c: number): never {
  throw new RangeError(`${fn}: argument '${name}': Target ${v} is out of bounds (class indices must be in [0, ${c}))`);
}

/** Class indices of an int tensor as int32, each in [0, c) or `ignore` (→ −1). */
export function labelsOf(fn: string, name: string, t: Tensor, c: number, ignore: number | null): Int32Array {
  const d = t.data as ArrayLike<number | bigint>;
  const out = new Int32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = Number(d[i]);
    if (ignore !== null && v === ignore) out[i] = -1;
    else if (v >= 0 && v < c) out[i] = v;
    else outOfBounds(fn, name, v, c);
  }
  return out;
}

/** Values of a target in [0, 1] (or equal to `ignore`), in dtype `dtype`. */
export function unitTarget(fn: string, name: string, t: Tensor, dtype: FloatDType, ignore: number | null): FloatArray {
  const d = t.data as ArrayLike<number | bigint>;
  const out = new (floatArray(dtype))(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = Number(d[i]);
    if (!(v >= 0 && v <= 1) && !(ignore !== null && v === ignore)) {
      throw new RangeError(`${fn}: argument '${name}' must hold values in [0, 1]${ignore !== null ? ` (or ignoreIndex ${ignore})` : ''}, got ${v} at index ${i}`);
    }
    out[i] = v;
  }
  return out;
}

/** Probabilities taken as they are must lie in [0, 1]. */
export function checkProbabilities(fn: string, name: string, x: Tensor<FloatDType>, why: string): void {
  const d = x.data;
  for (let i = 0; i < d.length; i++) {
    if (!(d[i] >= 0 && d[i] <= 1)) {
      throw new RangeError(`${fn}: argument '${name}' must hold probabilities in [0, 1] ${why}, got ${d[i]} at index ${i}`);
    }
  }
}

/**
 * The operands of an smp-style overlap loss (Dice, Jaccard, Tversky): `input` `(N, C, *)`
 * logits (probabilities with `fromLogits: false`); the mode from the option or the target's
 * dtype; the target checked for the mode (dtype, shape, values).
 */
export function overlapPlanes(fn: string, input: unknown, target: unknown, o: OverlapConfig): Planes & { mode: SegMode } {
  const x = checkFloatTensor(fn, 'input', input);
  const t = targetOf(fn, target);
  if (x.ndim < 2) throw new Error(`${fn}: argument 'input' must have shape (N, C, *), got ${shapeStr(x.shape)}`);
  const [n, c] = x.shape;
  const spatial = x.shape.slice(2);
  const s = prod(spatial);
  const intTarget = !isFloatDType(t.dtype);
  const mode: SegMode = o.mode ?? (intTarget ? 'multiclass' : 'multilabel');
  if (mode === 'binary' && o.classes != null) {
    // smp's assertion, word for word.
    throw new Error(`${fn}: option 'classes': Masking classes is not supported with mode=binary`);
  }
  if (o.classes) for (const k of o.classes) if (k >= c) throw new RangeError(`${fn}: option 'classes': class ${k} is out of bounds for ${c} classes`);
  if (!o.fromLogits) checkProbabilities(fn, 'input', x, 'with fromLogits: false');
  const ign = o.ignoreIndex ?? null;
  let labels: Int32Array | null = null;
  let dense: FloatArray | null = null;
  if (mode === 'multiclass') {
    if (!intTarget) throw new TypeError(`${fn}: argument 'target' must hold class indices (int32 or int64) with mode 'multiclass', got ${t.dtype}`);
    const want = [n, ...spatial];
    if (t.ndim !== want.length || t.shape.some((v, i) => v !== want[i])) {
      throw new Error(`${fn}: argument 'target' must have shape ${shapeStr(want)} (input ${shapeStr(x.shape)} without its class dimension) with mode 'multiclass', got ${shapeStr(t.shape)}`);
    }
    labels = labelsOf(fn, 'target', t, c, ign);
  } else if (mode === 'multilabel') {
    if (intTarget) throw new TypeError(`${fn}: argument 'target' must be a float tensor with mode 'multilabel', got ${t.dtype}`);
    checkSameDType(fn, ['input', x], ['target', t]);
    if (t.ndim !== x.ndim || t.shape.some((v, i) => v !== x.shape[i])) {
      throw new Error(`${fn}: argument 'target' must have the input's shape ${shapeStr(x.shape)} with mode 'multilabel', got ${shapeStr(t.shape)}`);
    }
    dense = unitTarget(fn, 'target', t, x.dtype, ign);
  } else {
    if (c !== 1) throw new Error(`${fn}: argument 'input' must have shape (N, 1, *) with mode 'binary', got ${shapeStr(x.shape)}`);
    const a = [n, ...spatial];
    const ok = (t.ndim === a.length && t.shape.every((v, i) => v === a[i])) || (t.ndim === x.ndim && t.shape.every((v, i) => v === x.shape[i]));
    if (!ok) throw new Error(`${fn}: argument 'target' must have shape ${shapeStr(a)} or ${shapeStr(x.shape)} with mode 'binary', got ${shapeStr(t.shape)}`);
    if (!intTarget) checkSameDType(fn, ['input', x], ['target', t]);
    dense = unitTarget(fn, 'target', t, x.dtype, ign);
  }
  const act = !o.fromLogits ? ACT.none : mode === 'multiclass' ? ACT.softmax : ACT.sigmoid;
  return { x, n, c, s, act, labels, dense, ignore: ign === null ? Number.NaN : ign, mode };
}

/** Calls `body(n, s0, k)` for blocks of `k` pixels of image `n`, each at most BLOCK_BYTES of logits. */
function blocks(p: Planes, body: (img: number, s0: number, k: number) => void): void {
  const per = Math.max(1, Math.floor(BLOCK_BYTES / (Math.max(p.c, 1) * floatBytes(p.x.dtype))));
  for (let img = 0; img < p.n; img++) for (let s0 = 0; s0 < p.s; s0 += per) body(img, s0, Math.min(per, p.s - s0));
}

const align16 = (b: number): number => Math.ceil(Math.max(b, 1) / 16) * 16;

/** The scratch slots of one block: logits, target (labels or dense), an output of `outBytes`, coefficients. */
function blockSlots(ex: ReturnType<typeof wasm>, p: Planes, per: number, outBytes: number): { x: number; t: number; out: number; coef: number } {
  const bytes = floatBytes(p.x.dtype);
  const xb = align16(p.c * per * bytes);
  const tb = align16(p.labels ? per * 4 : p.c * per * bytes);
  const ob = align16(outBytes);
  const base = scratch(ex, xb + tb + ob + align16(16 * p.c) + 16);
  return { x: base, t: base + xb, out: base + xb + tb, coef: base + xb + tb + ob };
}

/** Stages the logits and target of pixels `s0 .. s0+k` of image `img` (class-major). */
function stage(ex: ReturnType<typeof wasm>, p: Planes, sl: { x: number; t: number }, img: number, s0: number, k: number): void {
  const bytes = floatBytes(p.x.dtype);
  const heap = heapOf(ex, p.x.dtype);
  const xd = p.x.data;
  for (let c = 0; c < p.c; c++) {
    const from = (img * p.c + c) * p.s + s0;
    heap.set(xd.subarray(from, from + k), sl.x / bytes + c * k);
  }
  if (p.labels) views(ex).i32.set(p.labels.subarray(img * p.s + s0, img * p.s + s0 + k), sl.t / 4);
  else if (p.dense) {
    for (let c = 0; c < p.c; c++) {
      const from = (img * p.c + c) * p.s + s0;
      heap.set(p.dense.subarray(from, from + k), sl.t / bytes + c * k);
    }
  }
}

/** Per-image, per-class sums `(N, C, 5)` (TP, FP, FN, TN, G) of the plane pass. */
export function planeSums(fn: string, stem: string, p: Planes): Float64Array {
  const ex = wasm(fn);
  const fwd = kernel<PlaneForward>(ex, stem, 'forward', p.x.dtype);
  const acc = Array.from({ length: p.n * p.c * SUMS }, () => new Sum());
  const per = Math.max(1, Math.floor(BLOCK_BYTES / (Math.max(p.c, 1) * floatBytes(p.x.dtype))));
  if (p.c > 0) {
    const sl = blockSlots(ex, p, Math.min(per, Math.max(p.s, 1)), 8 * SUMS * p.c);
    blocks(p, (img, s0, k) => {
      stage(ex, p, sl, img, s0, k);
      check(ex, fn, fwd(sl.x, p.c, k, p.act, p.labels ? sl.t : 0, p.labels ? 0 : sl.t, p.ignore, sl.out));
      const f64 = views(ex).f64;
      for (let j = 0; j < p.c * SUMS; j++) acc[img * p.c * SUMS + j].add(f64[sl.out / 8 + j]);
    });
  }
  return Float64Array.from(acc, (a) => a.value());
}

/** Sums over the images: `(C, 5)`. */
export function classSums(p: Planes, perImage: Float64Array): Float64Array {
  const out = new Float64Array(p.c * SUMS);
  for (let j = 0; j < p.c * SUMS; j++) {
    const s = new Sum();
    for (let img = 0; img < p.n; img++) s.add(perImage[img * p.c * SUMS + j]);
    out[j] = s.value();
  }
  return out;
}

/**
 * `∂loss/∂x` of a loss of the sums: `coefOf(img)` gives the image's `(u_c, v_c)` per class
 * (`∂loss/∂p = u + v·g`).
 */
export function planeGrad(fn: string, stem: string, p: Planes, coefOf: (img: number) => Float64Array): FloatArray {
  const ex = wasm(fn);
  const dtype = p.x.dtype;
  const bytes = floatBytes(dtype);
  const bwd = kernel<PlaneBackward>(ex, stem, 'backward', dtype);
  const gx = new (floatArray(dtype))(p.x.numel());
  const per = Math.max(1, Math.floor(BLOCK_BYTES / (Math.max(p.c, 1) * bytes)));
  if (p.c === 0) return gx;
  const sl = blockSlots(ex, p, Math.min(per, Math.max(p.s, 1)), p.c * Math.min(per, Math.max(p.s, 1)) * bytes);
  let last = -1;
  blocks(p, (img, s0, k) => {
    if (img !== last) {
      views(ex).f64.set(coefOf(img), sl.coef / 8);
      last = img;
    }
    stage(ex, p, sl, img, s0, k);
    check(ex, fn, bwd(sl.x, p.c, k, p.act, p.labels ? sl.t : 0, p.labels ? 0 : sl.t, p.ignore, sl.coef, sl.out));
    const heap = heapOf(ex, dtype);
    for (let c = 0; c < p.c; c++) {
      const to = (img * p.c + c) * p.s + s0;
      gx.set(heap.subarray(sl.out / bytes + c * k, sl.out / bytes + (c + 1) * k), to);
    }
  });
  return gx;
}

/** `(u, v)` per class from a class's partials with respect to TP, FP, FN (and TN), times `w`. */
export function coefFrom(w: number, dTp: number, dFp: number, dFn: number, dTn = 0): [number, number] {
  return [w * (dFp - dTn), w * (dTp - dFp - dFn + dTn)];
}

/** The finish export of a stem (f64, dtype-free). */
export function finishKernel<K>(fn: string, name: string): K {
  return seqKernel<K>(wasm(fn), name, null);
}

/** A result tensor of `values` (`shape`), with a gradient node when `x` requires grad. */
export function result(x: Tensor<FloatDType>, values: ArrayLike<number>, shape: number[], gradName: string, backward: (up: FloatArray) => FloatArray): Tensor {
  const out = new Tensor(new (floatArray(x.dtype))(values), shape, x.dtype, x.requiresGrad);
  if (!x.requiresGrad) return out;
  out.gradFn = {
    name: gradName,
    inputs: [x],
    backward(g: Tensor): (Tensor | null)[] {
      return [new Tensor(backward(g.data as FloatArray), x.shape.slice(), x.dtype)];
    },
  };
  return out;
}

/** The scalar options of an overlap score (Tversky's alpha, beta; 0.5 otherwise unused). */
export interface ScoreConfig {
  smooth: number;
  eps: number;
  logLoss: boolean;
  alpha?: number;
  beta?: number;
}

type DiceFinish = KernelExports['lossfn_dice_loss_finish'];
type TverskyFinish = KernelExports['lossfn_tversky_loss_finish'];

/** Per class `[loss, ∂TP, ∂FP, ∂FN]` (`4C` values) of stem's score from the summed `(C, 5)` sums. */
export function finishClasses(fn: string, stem: 'dice_loss' | 'jaccard_loss' | 'tversky_loss', sums: Float64Array, c: number, o: ScoreConfig): Float64Array {
  const ex = wasm(fn);
  const base = scratch(ex, align16(8 * SUMS * c) + align16(32 * c) + 16);
  const outAt = base + align16(8 * SUMS * c);
  views(ex).f64.set(sums, base / 8);
  const log = o.logLoss ? 1 : 0;
  const status = stem === 'tversky_loss'
    ? finishKernel<TverskyFinish>(fn, 'tversky_loss_finish')(base, c, o.alpha ?? 0.5, o.beta ?? 0.5, o.smooth, o.eps, log, outAt)
    : finishKernel<DiceFinish>(fn, `${stem}_finish`)(base, c, o.smooth, o.eps, log, outAt);
  check(ex, fn, status);
  return views(ex).f64.slice(outAt / 8, outAt / 8 + 4 * c);
}

/** `'mean'` of the selected classes' losses, `^γ` (Tversky). */
export function overlapMean(fin: Float64Array, c: number, classes: number[] | null, gamma = 1): { mean: number; value: number; sel: number[] } {
  const sel = classes ?? Array.from({ length: c }, (_, k) => k);
  const s = new Sum();
  for (const k of sel) s.add(fin[4 * k]);
  const mean = s.value() / sel.length;
  return { mean, value: gamma === 1 ? mean : mean ** gamma, sel };
}

/**
 * An smp-style overlap loss (Dice, Jaccard, Tversky): per-class losses from the summed planes,
 * `classes` selected, `'mean'` → `(mean)^γ`, `'none'` → `l_c^γ`.
 */
export function overlapLoss(
  fn: string,
  stem: 'dice_loss' | 'jaccard_loss' | 'tversky_loss',
  gradName: string,
  input: unknown,
  target: unknown,
  o: OverlapConfig & ScoreConfig & { reduction: 'mean' | 'none' },
  gamma = 1,
): Tensor {
  const p = overlapPlanes(fn, input, target, o);
  const fin = finishClasses(fn, stem, classSums(p, planeSums(fn, stem, p)), p.c, o);
  const pow = (v: number): number => (gamma === 1 ? v : v ** gamma);
  // d(v^γ)/dv, 0 at v = 0 (PyTorch's autograd gives NaN there for γ < 1).
  const dpow = (v: number): number => (gamma === 1 ? 1 : v === 0 ? 0 : gamma * v ** (gamma - 1));
  const { mean, value, sel } = overlapMean(fin, p.c, o.classes, gamma);
  const values = o.reduction === 'none' ? sel.map((k) => pow(fin[4 * k])) : [value];
  return result(p.x, values, o.reduction === 'none' ? [sel.length] : [], gradName, (up) => {
    const w = new Float64Array(p.c);
    sel.forEach((k, i) => {
      w[k] += o.reduction === 'none' ? up[i] * dpow(fin[4 * k]) : (up[0] * dpow(mean)) / sel.length;
    });
    const coef = new Float64Array(2 * p.c);
    for (let k = 0; k < p.c; k++) {
      const [u, v] = coefFrom(w[k], fin[4 * k + 1], fin[4 * k + 2], fin[4 * k + 3]);
      coef[2 * k] = u;
      coef[2 * k + 1] = v;
    }
    return planeGrad(fn, stem, p, () => coef);
  });
}

/** Stages `arrays` (each a typed array) one after another in the scratch arena; returns their addresses. */
export function stageAll(ex: ReturnType<typeof wasm>, arrays: (FloatArray | Int32Array | Float64Array)[], extra: number[]): number[] {
  const sizes = [...arrays.map((a) => a.byteLength), ...extra].map(align16);
  const base = scratch(ex, sizes.reduce((a, b) => a + b, 0) + 16);
  const at: number[] = [];
  let p = base;
  for (const b of sizes) {
    at.push(p);
    p += b;
  }
  const v = views(ex);
  arrays.forEach((a, i) => {
    if (a instanceof Int32Array) v.i32.set(a, at[i] / 4);
    else if (a instanceof Float32Array) v.f32.set(a, at[i] / 4);
    else v.f64.set(a, at[i] / 8);
  });
  return at;
}

type GdlFinish = KernelExports['lossfn_generalized_dice_loss_finish'];
/** The kernels' weight codes of generalizedDiceLoss. */
export const W_TYPE = { square: 0, simple: 1, uniform: 2 } as const;

/** Generalized Dice of `groups` groups of `(C, 5)` sums: `f` per group, `(u, v)` per group and class. */
export function gdlFinish(fn: string, sums: Float64Array, groups: number, c: number, c0: number, wType: keyof typeof W_TYPE, smoothNr: number, smoothDr: number): { f: Float64Array; uv: Float64Array } {
  const ex = wasm(fn);
  const bs = align16(8 * groups * c * SUMS);
  const bo = align16(8 * groups);
  const base = scratch(ex, bs + bo + align16(16 * groups * c) + 16);
  views(ex).f64.set(sums, base / 8);
  check(ex, fn, finishKernel<GdlFinish>(fn, 'generalized_dice_loss_finish')(base, groups, c, c0, W_TYPE[wType], smoothNr, smoothDr, base + bs, base + bs + bo));
  const f64 = views(ex).f64;
  return { f: f64.slice((base + bs) / 8, (base + bs) / 8 + groups), uv: f64.slice((base + bs + bo) / 8, (base + bs + bo) / 8 + 2 * groups * c) };
}

/** Sums over the images of `(N, C, 5)` per-image sums: `(C, 5)`. */
export function batchSums(perImage: Float64Array, n: number, c: number): Float64Array {
  const out = new Float64Array(c * SUMS);
  for (let j = 0; j < c * SUMS; j++) {
    const acc = new Sum();
    for (let img = 0; img < n; img++) acc.add(perImage[img * c * SUMS + j]);
    out[j] = acc.value();
  }
  return out;
}
