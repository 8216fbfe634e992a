import { defineLoss, opt, type LossOptions } from '../table.js';
import { chunkRows, floatArray, floatBytes, heapOf, kernel, rowLossResult } from '../rowloss.js';
import { noGradArgument } from '../localization.js';
import { Sum } from '../reduction.js';
import { Tensor } from '../tensor.js';
import { checkFloatTensor, checkSameDType, shapeStr } from '../validate.js';
import { check, views, wasm } from '../wasm/runtime.js';

type Forward = (x: number, rows: number, bins: number, label: number, out: number, sum: number) => number;
type Backward = (x: number, rows: number, bins: number, label: number, g: number, gScale: number, gx: number) => number;

/**
 * Distribution focal loss (Generalized Focal Loss, Li et al. 2020) with mmdetection's
 * `distribution_focal_loss` semantics. `input`: logits `(N, n+1)` over the integral set
 * {0, …, n}; `label`: the continuous target distance `(N)` in [0, n] (input's dtype, not
 * requiring grad). With `l = ⌊y⌋`, `r = l + 1`:
 * `loss = (r − y)·CE(x, l) + (y − l)·CE(x, r)`, the cross entropy of the two bins around `y`
 * weighted by distance; at `y = n` exactly it is `CE(x, n)` (mmdetection indexes a missing
 * bin n + 1 there and fails). `'none'` gives `(N)`, `'mean'` (default) divides by N (NaN for
 * N = 0), `'sum'`. Gradients to the logits; cross entropies from a stable log-sum-exp.
 *
 * @example
 * F.distributionFocalLoss(logits, distances); // logits (N, 17), distances in [0, 16]
 */
export const distributionFocalLoss = defineLoss({
  name: 'distributionFocalLoss',
  stem: 'distribution_focal_loss',
  nn: 'DistributionFocalLoss',
  family: 'localization',
  reference: "mmdetection distribution_focal_loss (GFL)",
  args: ['input', 'label'],
  options: {
    reduction: opt.reduction(),
  },
  notes: "logits (N, n+1), continuous label (N) in [0, n]: left/right bin cross entropy weighted by distance",
  mean: "N",
  run(fn, [input, label], o) {
    const ex = wasm(fn);
    const x = checkFloatTensor(fn, 'input', input);
    const y = checkFloatTensor(fn, 'label', label);
    if (x.ndim !== 2) throw new Error(`${fn}: argument 'input' must be logits (N, n+1), got shape ${shapeStr(x.shape)}`);
    const [n, bins] = x.shape;
    if (bins === 0) throw new Error(`${fn}: argument 'input' must have at least one bin, got shape ${shapeStr(x.shape)}`);
    checkSameDType(fn, ['input', x], ['label', y]);
    if (y.ndim !== 1 || y.shape[0] !== n) {
      throw new Error(`${fn}: argument 'label' must be one target per row (N) = [${n}], got shape ${shapeStr(y.shape)}`);
    }
    noGradArgument(fn, 'label', y);
    for (let i = 0; i < n; i++) {
      const v = y.data[i];
      if (!(v >= 0 && v <= bins - 1)) {
        throw new RangeError(`${fn}: argument 'label': label ${v} is out of range [0, ${bins - 1}] (the input has ${bins} bins)`);
      }
    }
    const dtype = x.dtype;
    const bytes = floatBytes(dtype);
    const fwd = kernel<Forward>(ex, 'distribution_focal_loss', 'forward', dtype);
    const values = o.reduction === 'none' ? new (floatArray(dtype))(n) : null;
    const total = new Sum();
    const slots = { x: bins * bytes, y: bytes, out: bytes };
    const stage = (ex2: typeof ex, p: Record<'x' | 'y', number>, r0: number, count: number): void => {
      const heap = heapOf(ex2, dtype);
      heap.set(x.data.subarray(r0 * bins, (r0 + count) * bins), p.x / bytes);
      heap.set(y.data.subarray(r0, r0 + count), p.y / bytes);
    };
    chunkRows(ex, n, slots, { sum: 8 }, (p, r0, count) => {
      stage(ex, p, r0, count);
      check(ex, fn, fwd(p.x, count, bins, p.y, values ? p.out : 0, p.sum));
      if (values) values.set(heapOf(ex, dtype).subarray(p.out / bytes, p.out / bytes + count), r0);
      total.add(views(ex).f64[p.sum / 8]);
    });
    const red = { values, shape: [n], sum: total.value(), denominator: o.reduction === 'mean' ? n : 1 };
    return rowLossResult(dtype, red, 'DistributionFocalLossBackward', [x], (g, scale) => {
      const ex2 = wasm(fn);
      const bwd = kernel<Backward>(ex2, 'distribution_focal_loss', 'backward', dtype);
      const gx = new (floatArray(dtype))(x.numel());
      chunkRows(ex2, n, { ...slots, gx: bins * bytes }, {}, (p, r0, count) => {
        stage(ex2, p, r0, count);
        if (g) heapOf(ex2, dtype).set(g.subarray(r0, r0 + count), p.out / bytes);
        check(ex2, fn, bwd(p.x, count, bins, p.y, g ? p.out : 0, scale, p.gx));
        gx.set(heapOf(ex2, dtype).subarray(p.gx / bytes, p.gx / bytes + count * bins), r0 * bins);
      });
      return [new Tensor(gx, x.shape.slice(), dtype)];
    });
},
});

/** The options of {@link distributionFocalLoss}. */
export type DistributionFocalLossOptions = LossOptions<typeof distributionFocalLoss>;
