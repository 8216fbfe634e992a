import { defineLoss, opt, type LossOptions } from '../table.js';
import { chunkRows, floatArray, floatBytes, heapOf, kernel, rowLossResult } from '../rowloss.js';
import { noGradArgument } from '../localization.js';
import { Sum } from '../reduction.js';
import { Tensor, type FloatDType } from '../tensor.js';
import { checkFloatTensor, checkSameDType, checkTensor, shapeStr } from '../validate.js';
import { check, views, wasm } from '../wasm/runtime.js';

type Forward = (x: number, rows: number, c: number, label: number, score: number, beta: number, out: number, sum: number) => number;
type Backward = (x: number, rows: number, c: number, label: number, score: number, beta: number, g: number, gScale: number, gx: number) => number;

/**
 * Quality focal loss (Generalized Focal Loss, Li et al. 2020) with mmdetection's
 * `quality_focal_loss` semantics. `input`: logits `(N, C)`; `label`: class indices `(N)`
 * (int32/int64) in [0, C], where C means background; `score`: the IoU quality target `(N)`
 * (input's dtype, not requiring grad).
 *
 * Every logit is a negative, `BCE(x, 0)·σ(x)^β`, except the label's logit of a foreground row,
 * `BCE(x, s)·|s − σ(x)|^β`; a row's loss is the sum over its C classes. `'none'` gives `(N)`,
 * `'mean'` (default) divides by N (NaN for N = 0, as PyTorch's mean), `'sum'`. Gradients to
 * the logits (the modulating factors are not detached, as mmdetection).
 *
 * @example
 * F.qualityFocalLoss(logits, labels, ious); // β = 2, mean over N
 */
export const qualityFocalLoss = defineLoss({
  name: 'qualityFocalLoss',
  stem: 'quality_focal_loss',
  nn: 'QualityFocalLoss',
  family: 'localization',
  reference: "mmdetection quality_focal_loss (GFL)",
  args: ['input', 'label', 'score'],
  options: {
    beta: opt.number(2, (b) => b >= 0 && Number.isFinite(b), "must be finite and >= 0", [-1, Infinity]),
    reduction: opt.reduction(),
  },
  notes: "logits (N, C), label (N) int with C = background, score (N) IoU; none gives (N)",
  mean: "N",
  run(fn, [input, label, score], o) {
    const ex = wasm(fn);
    const x = checkFloatTensor(fn, 'input', input);
    const y = checkTensor(fn, 'label', label);
    const s = checkFloatTensor(fn, 'score', score);
    if (x.ndim !== 2) throw new Error(`${fn}: argument 'input' must be logits (N, C), got shape ${shapeStr(x.shape)}`);
    const [n, c] = x.shape;
    if (c === 0) throw new Error(`${fn}: argument 'input' must have at least one class, got shape ${shapeStr(x.shape)}`);
    if (y.dtype !== 'int32' && y.dtype !== 'int64') {
      throw new TypeError(`${fn}: argument 'label' must hold class indices (int32 or int64), got ${y.dtype}`);
    }
    if (y.ndim !== 1 || y.shape[0] !== n) {
      throw new Error(`${fn}: argument 'label' must be class indices (N) = [${n}], got shape ${shapeStr(y.shape)}`);
    }
    checkSameDType(fn, ['input', x], ['score', s]);
    if (s.ndim !== 1 || s.shape[0] !== n) {
      throw new Error(`${fn}: argument 'score' must be one quality score per row (N) = [${n}], got shape ${shapeStr(s.shape)}`);
    }
    noGradArgument(fn, 'score', s);
    const ys = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = Number(y.data[i]);
      if (!(v >= 0 && v <= c)) {
        throw new RangeError(`${fn}: argument 'label': label ${y.data[i]} is out of range [0, ${c}] (${c} = background)`);
      }
      ys[i] = v;
    }
    const dtype = x.dtype;
    const bytes = floatBytes(dtype);
    const fwd = kernel<Forward>(ex, 'quality_focal_loss', 'forward', dtype);
    const values = o.reduction === 'none' ? new (floatArray(dtype))(n) : null;
    const total = new Sum();
    const slots = { x: c * bytes, y: 4, s: bytes, out: bytes };
    const stage = (ex2: typeof ex, p: Record<'x' | 'y' | 's', number>, r0: number, count: number): void => {
      const heap = heapOf(ex2, dtype);
      heap.set(x.data.subarray(r0 * c, (r0 + count) * c), p.x / bytes);
      heap.set(s.data.subarray(r0, r0 + count), p.s / bytes);
      views(ex2).i32.set(ys.subarray(r0, r0 + count), p.y / 4);
    };
    chunkRows(ex, n, slots, { sum: 8 }, (p, r0, count) => {
      stage(ex, p, r0, count);
      check(ex, fn, fwd(p.x, count, c, p.y, p.s, o.beta, values ? p.out : 0, p.sum));
      if (values) values.set(heapOf(ex, dtype).subarray(p.out / bytes, p.out / bytes + count), r0);
      total.add(views(ex).f64[p.sum / 8]);
    });
    const red = { values, shape: [n], sum: total.value(), denominator: o.reduction === 'mean' ? n : 1 };
    return rowLossResult(dtype, red, 'QualityFocalLossBackward', [x], (g, scale) => {
      const ex2 = wasm(fn);
      const bwd = kernel<Backward>(ex2, 'quality_focal_loss', 'backward', dtype);
      const gx = new (floatArray(dtype))(x.numel());
      chunkRows(ex2, n, { ...slots, gx: c * bytes }, {}, (p, r0, count) => {
        stage(ex2, p, r0, count);
        if (g) heapOf(ex2, dtype).set(g.subarray(r0, r0 + count), p.out / bytes);
        check(ex2, fn, bwd(p.x, count, c, p.y, p.s, o.beta, g ? p.out : 0, scale, p.gx));
        gx.set(heapOf(ex2, dtype).subarray(p.gx / bytes, p.gx / bytes + count * c), r0 * c);
      });
      return [new Tensor(gx, x.shape.slice(), dtype as FloatDType)];
    });
},
});

/** The options of {@link qualityFocalLoss}. */
export type QualityFocalLossOptions = LossOptions<typeof qualityFocalLoss>;
