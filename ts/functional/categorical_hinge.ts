import { parseReduction, Sum, type Reduction } from '../reduction.js';
import { chunkRows, floatArray, floatBytes, heapOf, kernel, rowLossResult } from '../rowloss.js';
import { Tensor } from '../tensor.js';
import { checkFloatTensor, checkOptions, checkSameDType, checkSameShape, shapeStr } from '../validate.js';
import { check, wasm } from '../wasm/runtime.js';

export interface CategoricalHingeOptions {
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
}

export interface CategoricalHingeConfig {
  reduction: Reduction;
}

/** Validates CategoricalHinge options once (used by `F.categoricalHinge` and `nn.CategoricalHinge`). */
export function categoricalHingeOptions(options?: CategoricalHingeOptions, fn = 'categoricalHinge'): CategoricalHingeConfig {
  const o = checkOptions(fn, options, ['reduction']);
  return { reduction: parseReduction(fn, o.reduction) };
}

type Forward = (x: number, t: number, rows: number, c: number, out: number, sum: number) => number;
type Backward = (x: number, t: number, rows: number, c: number, g: number, gScale: number, gx: number, gt: number) => number;

/**
 * Keras' `categorical_hinge` with PyTorch's conventions (argument order input, target;
 * `reduction`).
 *
 * `input`: scores of shape `(…, C)` (the class dimension is the **last**, as Keras);
 * `target`: one-hot (or ±1, or any float) rows of the same shape and dtype.
 *
 * Per sample: `l = max(max_j (1 − t_j)·x_j − Σ_j t_j·x_j + 1, 0)` — the best wrong score
 * against the true score with a margin of 1. 'none' gives the input's shape without its last
 * dimension (0-d for a 1-D input); 'mean' (default) averages those (NaN when there are none);
 * 'sum'. Note the true class contributes `(1 − 1)·x_y = 0` to the inner max, which is thus
 * never below 0.
 *
 * Gradient, where the outer max passes (`≥ 0`, as `clamp(min=0)`): `∂x_j = (1 − t_j)/k` for the
 * k tied maxima of `(1 − t_j)·x_j` (shared equally, as `torch.amax` and TF's `reduce_max`),
 * minus `t_j`; also to the target when it requires grad: `∂t_j = −x_j/k` at the maxima, minus
 * `x_j`.
 *
 * Numerics: products and sums in f64 (ties decided on exact products).
 *
 * @example
 * const x = tensor([[3, 1, 0.5], [0.3, 0.9, 0.1]], undefined, { requiresGrad: true });
 * const loss = F.categoricalHinge(x, tensor([[1, 0, 0], [1, 0, 0]])); // (0 + 1.6) / 2
 * loss.backward(); // x.grad = [[0, 0, 0], [-0.5, 0.5, 0]]
 */
export function categoricalHinge(input: Tensor, target: Tensor, options?: CategoricalHingeOptions): Tensor {
  return categoricalHingeWith('categoricalHinge', input, target, categoricalHingeOptions(options));
}

/** categoricalHinge with already-validated options (shared with nn.CategoricalHinge). */
export function categoricalHingeWith(fn: string, input: Tensor, target: Tensor, o: CategoricalHingeConfig): Tensor {
  const ex = wasm(fn);
  const x = checkFloatTensor(fn, 'input', input);
  const t = checkFloatTensor(fn, 'target', target);
  checkSameDType(fn, ['input', x], ['target', t]);
  checkSameShape(fn, ['input', x], ['target', t]);
  if (x.ndim === 0 || x.shape[x.ndim - 1] === 0) {
    throw new Error(`${fn}: argument 'input' must have a non-empty last (class) dimension, got shape ${shapeStr(x.shape)}`);
  }
  const c = x.shape[x.ndim - 1];
  const rows = x.numel() / c;
  const dtype = x.dtype;
  const bytes = floatBytes(dtype);
  const fwd = kernel<Forward>(ex, 'categorical_hinge', 'forward', dtype);
  const values = o.reduction === 'none' ? new (floatArray(dtype))(rows) : null;
  const total = new Sum();
  chunkRows(ex, rows, { x: c * bytes, t: c * bytes, out: bytes }, { sum: 8 }, (p, r0, count) => {
    heapOf(ex, dtype).set(x.data.subarray(r0 * c, (r0 + count) * c), p.x / bytes);
    heapOf(ex, dtype).set(t.data.subarray(r0 * c, (r0 + count) * c), p.t / bytes);
    check(ex, fn, fwd(p.x, p.t, count, c, values ? p.out : 0, p.sum));
    if (values) values.set(heapOf(ex, dtype).subarray(p.out / bytes, p.out / bytes + count), r0);
    total.add(heapOf(ex, 'float64')[p.sum / 8]);
  });
  const red = { values, shape: x.shape.slice(0, -1), sum: total.value(), denominator: o.reduction === 'mean' ? rows : 1 };
  return rowLossResult(dtype, red, 'CategoricalHingeBackward', [x, t], (g, scale) => {
    const ex2 = wasm(fn);
    const bwd = kernel<Backward>(ex2, 'categorical_hinge', 'backward', dtype);
    const Ctor = floatArray(dtype);
    const gx = x.requiresGrad ? new Ctor(x.numel()) : null;
    const gt = t.requiresGrad ? new Ctor(t.numel()) : null;
    chunkRows(ex2, rows, { x: c * bytes, t: c * bytes, g: bytes, gx: c * bytes, gt: c * bytes }, {}, (p, r0, count) => {
      heapOf(ex2, dtype).set(x.data.subarray(r0 * c, (r0 + count) * c), p.x / bytes);
      heapOf(ex2, dtype).set(t.data.subarray(r0 * c, (r0 + count) * c), p.t / bytes);
      if (g) heapOf(ex2, dtype).set(g.subarray(r0, r0 + count), p.g / bytes);
      check(ex2, fn, bwd(p.x, p.t, count, c, g ? p.g : 0, scale, gx ? p.gx : 0, gt ? p.gt : 0));
      const h = heapOf(ex2, dtype);
      if (gx) gx.set(h.subarray(p.gx / bytes, p.gx / bytes + count * c), r0 * c);
      if (gt) gt.set(h.subarray(p.gt / bytes, p.gt / bytes + count * c), r0 * c);
    });
    return [gx ? new Tensor(gx, x.shape.slice(), dtype) : null, gt ? new Tensor(gt, t.shape.slice(), dtype) : null];
  });
}
