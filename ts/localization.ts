import { describe } from './describe.js';
import { opt } from './table.js';
// Plumbing of the localization family (box losses, box ops): the box formats, checking box
// tensors, and the chunked forward/backward of a per-box loss with its autograd node.
// Kernels and their call protocol: crates/wasm/src/localization.rs.

import { parseReduction, Sum, type Reduction } from './reduction.js';
import { chunkRows, floatArray, floatBytes, heapOf, kernel, rowLossResult } from './rowloss.js';
import { Tensor, type FloatArray, type FloatDType } from './tensor.js';
import { checkFloatTensor, checkOptions, checkSameDType, checkSameShape, numberOption, shapeStr } from './validate.js';
import { check, views, wasm } from './wasm/runtime.js';

/** A box format, as `torchvision.ops.box_convert` names it. */
export type BoxFormat = 'xyxy' | 'xywh' | 'cxcywh';

export const BOX_FORMATS: readonly BoxFormat[] = ['xyxy', 'xywh', 'cxcywh'];

/** The kernels' format codes (crates/kernels/src/boxes.rs `BoxFormat`). */
export const FORMAT_CODE: Readonly<Record<BoxFormat, number>> = { xyxy: 0, xywh: 1, cxcywh: 2 };

/** A box-format option (default 'xyxy'). */
export function boxFormatOption(fn: string, name: string, value: unknown, fallback: BoxFormat = 'xyxy'): BoxFormat {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(BOX_FORMATS as readonly string[]).includes(value)) {
    // torchvision: "Unsupported Bounding Box Conversions for given in_fmt and out_fmt"
    throw new RangeError(
      `${fn}: option '${name}': Unsupported Bounding Box format ${typeof value === 'string' ? JSON.stringify(value) : describe(value)} (expected 'xyxy', 'xywh' or 'cxcywh')`,
    );
  }
  return value as BoxFormat;
}

/** An `eps` option: finite and ≥ 0. */
export function epsOption(fn: string, value: unknown, fallback: number): number {
  return numberOption(fn, 'eps', value, fallback, (e) => e >= 0 && Number.isFinite(e), 'must be finite and >= 0');
}

/** The options every box-IoU loss has (spread into its descriptor's `options`): `boxFormat`
 * ('xyxy'), `reduction` ('none', as torchvision), `eps` (finite, ≥ 0; its default per loss). */
export function boxOptions(epsDefault: number) {
  return {
    boxFormat: opt.custom<BoxFormat>('xyxy', "'xyxy' | 'xywh' | 'cxcywh'", ['xyz', 1], (fn, name, v) => boxFormatOption(fn, name, v)),
    reduction: opt.reduction('none'),
    eps: opt.number(epsDefault, (e) => e >= 0 && Number.isFinite(e), 'must be finite and >= 0', [-1, Infinity]),
  };
}

/** A float tensor of boxes: last dimension 4, any leading shape (`(4)`, `(N, 4)`, `(B, N, 4)`). */
export function checkBoxes(fn: string, name: string, v: unknown): Tensor<FloatDType> {
  const b = checkFloatTensor(fn, name, v);
  if (b.ndim === 0 || b.shape[b.ndim - 1] !== 4) {
    throw new Error(`${fn}: argument '${name}' must hold boxes (last dimension 4), got shape ${shapeStr(b.shape)}`);
  }
  return b;
}

/** Two box tensors of one dtype and one shape. */
export function checkBoxPair(fn: string, input: unknown, target: unknown): [Tensor<FloatDType>, Tensor<FloatDType>] {
  const x = checkBoxes(fn, 'input', input);
  const t = checkBoxes(fn, 'target', target);
  checkSameDType(fn, ['input', x], ['target', t]);
  checkSameShape(fn, ['input', x], ['target', t]);
  return [x, t];
}

/** The options every box-IoU loss has. */
export interface BoxLossOptions {
  /** Format of both box arguments: 'xyxy' (default), 'xywh' or 'cxcywh'; gradients flow back through the conversion. */
  boxFormat?: BoxFormat;
  /** 'none' (default, as torchvision) | 'mean' (over boxes; 0 for no boxes, as torchvision) | 'sum'. */
  reduction?: Reduction;
  /** Small constant against division by zero (finite, ≥ 0; default per loss). */
  eps?: number;
}

/** Validated {@link BoxLossOptions}. */
export interface BoxLossConfig {
  boxFormat: BoxFormat;
  reduction: Reduction;
  eps: number;
}

/**
 * Validates the options of a box-IoU loss: the common ones (`boxFormat`, `reduction` with
 * default 'none', `eps` with default `epsDefault`) and the loss's own `extra` names, which the
 * caller reads from the returned raw object.
 */
export function boxLossOptions<O extends BoxLossOptions>(
  fn: string, options: O | undefined, extra: readonly string[], epsDefault: number,
): { config: BoxLossConfig; raw: Partial<O> } {
  const raw = checkOptions(fn, options, ['boxFormat', 'reduction', 'eps', ...extra]);
  return {
    config: {
      boxFormat: boxFormatOption(fn, 'boxFormat', raw.boxFormat),
      reduction: parseReduction(fn, raw.reduction, undefined, 'none'),
      eps: epsOption(fn, raw.eps, epsDefault),
    },
    raw,
  };
}

/** One box-IoU loss kernel: `lossfn_<stem>_{forward,backward}_{f32,f64}` and its node's name. */
export interface BoxLossKernel {
  stem: string;
  gradName: string;
  /** The kernel's two parameters (crates/wasm/src/localization.rs). */
  params: readonly [number, number];
}

type BoxForward = (p: number, t: number, n: number, fmt: number, p0: number, p1: number, out: number, sum: number) => number;
type BoxBackward = (
  p: number, t: number, n: number, fmt: number, p0: number, p1: number, g: number, gScale: number, gp: number, gt: number,
) => number;

/** Copies boxes `b0 .. b0+count` of `src` (4 elements each) into `heap` at element `at`. */
function stageBoxes(heap: FloatArray, at: number, src: FloatArray, b0: number, count: number): void {
  heap.set(b0 === 0 && 4 * count === src.length ? src : src.subarray(4 * b0, 4 * (b0 + count)), at);
}

/**
 * Runs a box-IoU loss: validates the boxes, streams them through the scratch arena in chunks,
 * reduces ('none' keeps the leading shape; 'mean' divides by the number of boxes, and is 0
 * for none, as torchvision's `0.0 * loss.sum()`), and records the autograd node, which sends
 * gradients to whichever of `input` and `target` requires them.
 */
export function boxLoss(fn: string, k: BoxLossKernel, input: unknown, target: unknown, o: BoxLossConfig): Tensor {
  const ex = wasm(fn);
  const [x, t] = checkBoxPair(fn, input, target);
  const dtype = x.dtype;
  const bytes = floatBytes(dtype);
  const n = x.numel() / 4;
  const fmt = FORMAT_CODE[o.boxFormat];
  const [p0, p1] = k.params;
  const fwd = kernel<BoxForward>(ex, k.stem, 'forward', dtype);
  const values = o.reduction === 'none' ? new (floatArray(dtype))(n) : null;
  const total = new Sum();
  chunkRows(ex, n, { p: 4 * bytes, t: 4 * bytes, out: bytes }, { sum: 8 }, (s, b0, count) => {
    const heap = heapOf(ex, dtype);
    stageBoxes(heap, s.p / bytes, x.data, b0, count);
    stageBoxes(heap, s.t / bytes, t.data, b0, count);
    check(ex, fn, fwd(s.p, s.t, count, fmt, p0, p1, values ? s.out : 0, s.sum));
    if (values) values.set(heapOf(ex, dtype).subarray(s.out / bytes, s.out / bytes + count), b0);
    total.add(views(ex).f64[s.sum / 8]);
  });
  const red = {
    values,
    shape: x.shape.slice(0, -1),
    sum: total.value(),
    denominator: o.reduction === 'mean' ? Math.max(n, 1) : 1,
  };
  return rowLossResult(dtype, red, k.gradName, [x, t], (g, scale) => {
    const ex2 = wasm(fn);
    const bwd = kernel<BoxBackward>(ex2, k.stem, 'backward', dtype);
    const Ctor = floatArray(dtype);
    const gx = x.requiresGrad ? new Ctor(4 * n) : null;
    const gt = t.requiresGrad ? new Ctor(4 * n) : null;
    chunkRows(ex2, n, { p: 4 * bytes, t: 4 * bytes, g: bytes, gp: 4 * bytes, gt: 4 * bytes }, {}, (s, b0, count) => {
      const heap = heapOf(ex2, dtype);
      stageBoxes(heap, s.p / bytes, x.data, b0, count);
      stageBoxes(heap, s.t / bytes, t.data, b0, count);
      if (g) heap.set(g.subarray(b0, b0 + count), s.g / bytes);
      check(ex2, fn, bwd(s.p, s.t, count, fmt, p0, p1, g ? s.g : 0, scale, gx ? s.gp : 0, gt ? s.gt : 0));
      const h = heapOf(ex2, dtype);
      if (gx) gx.set(h.subarray(s.gp / bytes, s.gp / bytes + 4 * count), 4 * b0);
      if (gt) gt.set(h.subarray(s.gt / bytes, s.gt / bytes + 4 * count), 4 * b0);
    });
    return [gx ? new Tensor(gx, x.shape.slice(), dtype) : null, gt ? new Tensor(gt, t.shape.slice(), dtype) : null];
  });
}

/** A tensor argument that must not require grad (labels, IoU targets): no gradient flows to it. */
export function noGradArgument(fn: string, name: string, t: Tensor): void {
  if (t.requiresGrad) {
    throw new Error(`${fn}: the function is not differentiable with respect to argument '${name}'; it cannot have requiresGrad true`);
  }
}
