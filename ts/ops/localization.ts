// Box utilities (torchvision 0.14's `box_iou`, `generalized_box_iou`, `distance_box_iou`,
// `complete_box_iou`, `box_area`, `box_convert`): what matching predictions to ground truth
// needs before scoring them. Forward only: results never require grad (as if computed under
// torch.no_grad()); to train through a format conversion, use the losses' `boxFormat` option.
// Kernels: crates/wasm/src/localization.rs.

import { describe } from '../describe.js';
import { BOX_FORMATS, checkBoxes, epsOption, FORMAT_CODE, type BoxFormat } from '../localization.js';
import { floatArray, floatBytes, heapOf, kernel } from '../rowloss.js';
import { Tensor, type FloatDType } from '../tensor.js';
import { checkOptions, checkSameDType, shapeStr } from '../validate.js';
import { check, scratch, wasm } from '../wasm/runtime.js';
import { CHUNK_BYTES } from '../elementwise.js';

export type { BoxFormat } from '../localization.js';

const align16 = (b: number): number => Math.ceil(b / 16) * 16;

/** Columns (boxes of `boxes2`) per kernel call, and cells of the output block. */
const COLUMNS = 4096;
const OUT_CELLS = 32768;

type PairwiseKernel = (a: number, m: number, b: number, n: number, eps: number, out: number) => number;

/** An `(N, 4)` tensor of boxes (the pairwise ops take exactly two dimensions, as torchvision). */
function matrixBoxes(fn: string, name: string, v: unknown): Tensor<FloatDType> {
  const b = checkBoxes(fn, name, v);
  if (b.ndim !== 2) throw new Error(`${fn}: argument '${name}' must be boxes (N, 4), got shape ${shapeStr(b.shape)}`);
  return b;
}

/**
 * The `(M, N)` matrix of a pairwise op between `boxes1 (M, 4)` and `boxes2 (N, 4)`, in blocks:
 * up to 4096 columns and 32768 cells per call, so wasm memory stays bounded for any M × N.
 */
function pairwise(fn: string, stem: string, boxes1: unknown, boxes2: unknown, eps: number): Tensor {
  const ex = wasm(fn);
  const a = matrixBoxes(fn, 'boxes1', boxes1);
  const b = matrixBoxes(fn, 'boxes2', boxes2);
  checkSameDType(fn, ['boxes1', a], ['boxes2', b]);
  const dtype = a.dtype;
  const bytes = floatBytes(dtype);
  const [m, n] = [a.shape[0], b.shape[0]];
  const out = new (floatArray(dtype))(m * n);
  if (m === 0 || n === 0) return new Tensor(out, [m, n], dtype);
  const run = kernel<PairwiseKernel>(ex, stem, 'forward', dtype);
  const nb = Math.min(n, COLUMNS);
  const mb = Math.max(1, Math.min(m, Math.floor(OUT_CELLS / nb)));
  const sizes = [align16(4 * mb * bytes), align16(4 * nb * bytes), align16(mb * nb * bytes)];
  const pa = scratch(ex, sizes[0] + sizes[1] + sizes[2]);
  const pb = pa + sizes[0];
  const po = pb + sizes[1];
  for (let j0 = 0; j0 < n; j0 += nb) {
    const nc = Math.min(nb, n - j0);
    heapOf(ex, dtype).set(b.data.subarray(4 * j0, 4 * (j0 + nc)), pb / bytes);
    for (let i0 = 0; i0 < m; i0 += mb) {
      const mc = Math.min(mb, m - i0);
      heapOf(ex, dtype).set(a.data.subarray(4 * i0, 4 * (i0 + mc)), pa / bytes);
      check(ex, fn, run(pa, mc, pb, nc, eps, po));
      const heap = heapOf(ex, dtype);
      const at = po / bytes;
      if (nc === n) {
        out.set(heap.subarray(at, at + mc * nc), i0 * n);
      } else {
        for (let r = 0; r < mc; r++) out.set(heap.subarray(at + r * nc, at + (r + 1) * nc), (i0 + r) * n + j0);
      }
    }
  }
  return new Tensor(out, [m, n], dtype);
}

/** The `eps` option of the distance-based pairwise ops. */
export interface PairwiseIouOptions {
  /** Added to the squared diagonal (and to CIoU's α denominator); default 1e-7, finite, ≥ 0. */
  eps?: number;
}

function pairwiseEps(fn: string, options: PairwiseIouOptions | undefined): number {
  return epsOption(fn, checkOptions(fn, options, ['eps']).eps, 1e-7);
}

/**
 * IoU of every pair of boxes, as `torchvision.ops.box_iou` (0.14): `boxes1 (M, 4)`, `boxes2
 * (N, 4)` in xyxy, one dtype → `(M, N)`, `inter / union` with the sides of the intersection
 * clamped at 0 (two empty boxes give 0/0 = NaN, as torchvision).
 *
 * @example
 * ops.boxIou(predictions, groundTruth); // (M, N): match each prediction to its best box
 */
export function boxIou(boxes1: Tensor, boxes2: Tensor): Tensor {
  return pairwise('boxIou', 'box_iou', boxes1, boxes2, 0);
}

/**
 * Generalized IoU of every pair, as `torchvision.ops.generalized_box_iou` (0.14):
 * `iou − (C − union)/C`, `C` the (clamped) area of the smallest enclosing box. Shapes as
 * {@link boxIou}.
 */
export function generalizedBoxIou(boxes1: Tensor, boxes2: Tensor): Tensor {
  return pairwise('generalizedBoxIou', 'generalized_box_iou', boxes1, boxes2, 0);
}

/**
 * Distance IoU of every pair, as `torchvision.ops.distance_box_iou` (0.14):
 * `iou − ρ²/(cw² + ch² + eps)`, `ρ` the distance between centres, `cw`, `ch` the (clamped)
 * sides of the enclosing box. Shapes as {@link boxIou}; `eps` default 1e-7.
 */
export function distanceBoxIou(boxes1: Tensor, boxes2: Tensor, options?: PairwiseIouOptions): Tensor {
  const fn = 'distanceBoxIou';
  return pairwise(fn, 'distance_box_iou', boxes1, boxes2, pairwiseEps(fn, options));
}

/**
 * Complete IoU of every pair, as `torchvision.ops.complete_box_iou` (0.14): DIoU − `α·v`,
 * `v = 4/π²·(atan(w₁/h₁) − atan(w₂/h₂))²`, `α = v/(1 − iou + v + eps)`. Shapes as
 * {@link boxIou}; `eps` default 1e-7.
 */
export function completeBoxIou(boxes1: Tensor, boxes2: Tensor, options?: PairwiseIouOptions): Tensor {
  const fn = 'completeBoxIou';
  return pairwise(fn, 'complete_box_iou', boxes1, boxes2, pairwiseEps(fn, options));
}

type AreaKernel = (b: number, n: number, out: number) => number;
type ConvertKernel = (b: number, n: number, from: number, to: number, out: number) => number;

/** Runs a per-box kernel over `boxes` in chunks: `perBox` output elements per box. */
function perBox(fn: string, boxes: Tensor<FloatDType>, outPerBox: number, call: (b: number, n: number, out: number) => number): Float32Array | Float64Array {
  const ex = wasm(fn);
  const dtype = boxes.dtype;
  const bytes = floatBytes(dtype);
  const n = boxes.numel() / 4;
  const out = new (floatArray(dtype))(n * outPerBox);
  const chunk = CHUNK_BYTES / (4 * bytes);
  const pb = scratch(ex, 2 * CHUNK_BYTES);
  const po = pb + CHUNK_BYTES;
  for (let b0 = 0; b0 < n; b0 += chunk) {
    const count = Math.min(chunk, n - b0);
    heapOf(ex, dtype).set(boxes.data.subarray(4 * b0, 4 * (b0 + count)), pb / bytes);
    check(ex, fn, call(pb, count, po));
    out.set(heapOf(ex, dtype).subarray(po / bytes, po / bytes + count * outPerBox), b0 * outPerBox);
  }
  return out;
}

/**
 * Areas of boxes in xyxy, `(x2 − x1)·(y2 − y1)`, as `torchvision.ops.box_area` (0.14): `(…, 4)`
 * → `(…)` (torchvision takes `(N, 4)` only; any leading shape here).
 */
export function boxArea(boxes: Tensor): Tensor {
  const fn = 'boxArea';
  const b = checkBoxes(fn, 'boxes', boxes);
  const run = kernel<AreaKernel>(wasm(fn), 'box_area', 'forward', b.dtype);
  return new Tensor(perBox(fn, b, 1, run), b.shape.slice(0, -1), b.dtype);
}

function formatArgument(fn: string, name: string, v: unknown): BoxFormat {
  if (typeof v !== 'string' || !(BOX_FORMATS as readonly string[]).includes(v)) {
    // torchvision: "Unsupported Bounding Box Conversions for given in_fmt and out_fmt"
    throw new RangeError(
      `${fn}: argument '${name}': Unsupported Bounding Box Conversions for given in_fmt and out_fmt ` +
        `(got ${typeof v === 'string' ? JSON.stringify(v) : describe(v)}; expected 'xyxy', 'xywh' or 'cxcywh')`,
    );
  }
  return v as BoxFormat;
}

/**
 * Converts boxes between formats, as `torchvision.ops.box_convert` (0.14): 'xyxy' (corners),
 * 'xywh' (corner and size), 'cxcywh' (centre and size); `(…, 4)` → `(…, 4)`, same dtype. Equal
 * formats give a copy; others go through xyxy, with torchvision's arithmetic
 * (`x2 = x + w`, `x1 = cx − 0.5·w`, `cx = (x1 + x2)/2`).
 *
 * @example
 * ops.boxConvert(tensor([[10, 20, 4, 6]]), 'cxcywh', 'xyxy'); // [[8, 17, 12, 23]]
 */
export function boxConvert(boxes: Tensor, inFmt: BoxFormat, outFmt: BoxFormat): Tensor {
  const fn = 'boxConvert';
  const b = checkBoxes(fn, 'boxes', boxes);
  const from = FORMAT_CODE[formatArgument(fn, 'inFmt', inFmt)];
  const to = FORMAT_CODE[formatArgument(fn, 'outFmt', outFmt)];
  const run = kernel<ConvertKernel>(wasm(fn), 'box_convert', 'forward', b.dtype);
  return new Tensor(perBox(fn, b, 4, (p, n, out) => run(p, n, from, to, out)), b.shape.slice(), b.dtype);
}
