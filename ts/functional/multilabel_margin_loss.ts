import { parseReduction, Sum, type Reduction } from '../reduction.js';
import { checkIndexDType, chunkRows, floatArray, floatBytes, heapOf, marginFrames, kernel, rowLossResult } from '../rowloss.js';
import { Tensor } from '../tensor.js';
import { checkFloatTensor, checkOptions, checkTensor, shapeStr } from '../validate.js';
import { check, views, wasm } from '../wasm/runtime.js';

export interface MultilabelMarginLossOptions {
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
}

export interface MultilabelMarginLossConfig {
  reduction: Reduction;
}

/** Validates MultiLabelMarginLoss options once (used by `F.multilabelMarginLoss` and `nn.MultiLabelMarginLoss`). */
export function multilabelMarginLossOptions(options?: MultilabelMarginLossOptions, fn = 'multilabelMarginLoss'): MultilabelMarginLossConfig {
  const o = checkOptions(fn, options, ['reduction']);
  return { reduction: parseReduction(fn, o.reduction) };
}

type Forward = (x: number, rows: number, c: number, ti: number, out: number, sum: number) => number;
type Backward = (x: number, rows: number, c: number, ti: number, g: number, gScale: number, gx: number) => number;

/**
 * The multi-label hinge loss, as `torch.nn.functional.multilabel_margin_loss`
 * (`nn.MultiLabelMarginLoss`).
 *
 * `input`: scores `(N, C)` or `(C)` (one sample; also `()`); `target`: integer tensor (int32 or
 * int64) of the input's shape (a `(C)` input also takes a `()`-or-`(C)` target of C entries)
 * holding each sample's target classes, read left to right up to the first −1 (entries after
 * it are ignored). Every entry must lie in [−1, C), as PyTorch checks.
 *
 * With `T` the set of listed classes: `l = (1/C)·Σ_{j in the list} Σ_{i ∉ T} max(0, 1 − (x_{y_j}
 * − x_i))` per sample; a class listed twice counts twice, as PyTorch; an empty list (leading
 * −1) gives 0. 'none' gives `(N)` (0-d for a target of at most one dimension); 'mean'
 * (default) = Σ l / N (NaN for N = 0); 'sum'. The hinge is active only for `> 0` (no gradient
 * at exactly 0). Gradient per active pair: `−1/C` to `x_{y_j}`, `+1/C` to `x_i`.
 *
 * @example
 * const x = tensor([[0.1, 0.2, 0.4, 0.8]], undefined, { requiresGrad: true });
 * const y = tensor([[3, 0, -1, 1]], undefined, { dtype: 'int64' });
 * const loss = F.multilabelMarginLoss(x, y); // 0.85, as PyTorch's docs
 * loss.backward(); // x.grad = [[-0.5, 0.5, 0.5, -0.5]]
 */
export function multilabelMarginLoss(input: Tensor, target: Tensor, options?: MultilabelMarginLossOptions): Tensor {
  return multilabelMarginLossWith('multilabelMarginLoss', input, target, multilabelMarginLossOptions(options));
}

/** multilabelMarginLoss with already-validated options (shared with nn.MultiLabelMarginLoss). */
export function multilabelMarginLossWith(fn: string, input: Tensor, target: Tensor, o: MultilabelMarginLossConfig): Tensor {
  const ex = wasm(fn);
  const x = checkFloatTensor(fn, 'input', input);
  const t = checkTensor(fn, 'target', target);
  const { n, c } = marginFrames(fn, x);
  checkIndexDType(fn, t);
  const ok = x.ndim <= 1 ? t.ndim <= 1 && t.numel() === c : t.ndim === 2 && t.shape[0] === n && t.shape[1] === c;
  if (!ok) throw new Error(`${fn}: inconsistent size ${shapeStr(t.shape)} for argument 'target' (input has shape ${shapeStr(x.shape)})`);
  const ts = new Int32Array(n * c);
  for (let i = 0; i < ts.length; i++) {
    const v = Number(t.data[i]);
    // PyTorch checks the whole tensor: "argument #2 'target' is out of range"
    if (!(v >= -1 && v < c)) throw new RangeError(`${fn}: argument 'target' is out of range (got ${v}; entries must be class indices in [0, ${c}) or -1)`);
    ts[i] = v;
  }
  const dtype = x.dtype;
  const bytes = floatBytes(dtype);
  const fwd = kernel<Forward>(ex, 'multilabel_margin_loss', 'forward', dtype);
  const values = o.reduction === 'none' ? new (floatArray(dtype))(n) : null;
  const total = new Sum();
  chunkRows(ex, n, { x: c * bytes, ti: c * 4, out: bytes }, { sum: 8 }, (p, r0, count) => {
    heapOf(ex, dtype).set(x.data.subarray(r0 * c, (r0 + count) * c), p.x / bytes);
    views(ex).i32.set(ts.subarray(r0 * c, (r0 + count) * c), p.ti / 4);
    check(ex, fn, fwd(p.x, count, c, p.ti, values ? p.out : 0, p.sum));
    if (values) values.set(heapOf(ex, dtype).subarray(p.out / bytes, p.out / bytes + count), r0);
    total.add(heapOf(ex, 'float64')[p.sum / 8]);
  });
  const shape = t.ndim <= 1 ? [] : [n];
  const red = { values, shape, sum: total.value(), denominator: o.reduction === 'mean' ? n : 1 };
  return rowLossResult(dtype, red, 'MultilabelMarginLossBackward', [x], (g, scale) => {
    const ex2 = wasm(fn);
    const bwd = kernel<Backward>(ex2, 'multilabel_margin_loss', 'backward', dtype);
    const gx = new (floatArray(dtype))(x.numel());
    chunkRows(ex2, n, { x: c * bytes, ti: c * 4, g: bytes, gx: c * bytes }, {}, (p, r0, count) => {
      heapOf(ex2, dtype).set(x.data.subarray(r0 * c, (r0 + count) * c), p.x / bytes);
      views(ex2).i32.set(ts.subarray(r0 * c, (r0 + count) * c), p.ti / 4);
      if (g) heapOf(ex2, dtype).set(g.subarray(r0, r0 + count), p.g / bytes);
      check(ex2, fn, bwd(p.x, count, c, p.ti, g ? p.g : 0, scale, p.gx));
      gx.set(heapOf(ex2, dtype).subarray(p.gx / bytes, p.gx / bytes + count * c), r0 * c);
    });
    return [new Tensor(gx, x.shape.slice(), dtype)];
  });
}
