import { defineLoss, opt, type LossOptions } from '../table.js';
import { checkTensor, floatOperands, withBlocks } from '../ranking.js';
import { rowLossResult } from '../rowloss.js';
import { Tensor, handOver, isFloatDType, type FloatArray } from '../tensor.js';
import { shapeStr } from '../validate.js';
import { check, floatArray, floatBytes, heapOf, kernel, views, wasm } from '../wasm/runtime.js';
import { MAX_CONTRAST_ROWS, scaleInPlace } from '../ranking.js';

type Forward = (f: number, l: number, n: number, v: number, d: number, t: number, bt: number, one: number, out: number, stats: number, sum: number, gf: number) => number;

type Backward = (f: number, l: number, n: number, v: number, d: number, t: number, bt: number, one: number, stats: number, g: number, gScale: number, gf: number) => number;

function classIds(fn: string, labels: Tensor, n: number): Int32Array {
  if (isFloatDType(labels.dtype)) {
    throw new TypeError(`${fn}: argument 'labels' must hold class indices (int32 or int64), got ${labels.dtype}`);
  }
  if (labels.ndim !== 1 || labels.numel() !== n) {
    // SupContrast: ValueError('Num of labels does not match num of features')
    throw new Error(`${fn}: argument 'labels': Num of labels does not match num of features (got shape ${shapeStr(labels.shape)} for ${n} samples)`);
  }
  const ids = new Int32Array(n);
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const key = String(labels.data[i]);
    let id = seen.get(key);
    if (id === undefined) seen.set(key, (id = seen.size));
    ids[i] = id;
  }
  return ids;
}

/**
 * The supervised contrastive loss (Khosla et al., 2020), as its reference implementation
 * `SupConLoss` (HobbitLong/SupContrast, `losses.py` at 66a8fe5).
 *
 * `features`: `(N, V, …)` — N samples, V views each, the rest flattened into the embedding
 * (used as given: the reference expects them L2-normalised). `labels`: `(N)` class indices
 * (int32 or int64), or omitted for SimCLR's unsupervised case (each sample's views are its
 * only positives); `supConLoss(features, options)` is accepted too.
 *
 * The contrast set is every view (`N·V` rows, view-major as `torch.cat(torch.unbind(f, 1))`);
 * the anchors are every view (`contrastMode: 'all'`) or each sample's first view (`'one'`).
 * Per anchor `a`: `l_a = (τ/τ_base)·mean_{p∈P(a)} (log Σ_{j≠a} e^{z_a·z_j/τ} − z_a·z_p/τ)` with
 * `P(a)` the other views of its class; an anchor without positives gives 0 (the reference's
 * fix for NaN). 'mean' (default) averages the anchors; 'none' gives `(V, N)` (`'all'`) or
 * `(1, N)` (`'one'`), the reference's `loss.view(anchor_count, batch_size)`.
 *
 * Gradient to the features. Method and numerics as {@link ntXentLoss} (symmetric tiles when
 * every view is an anchor).
 *
 * @example
 * F.supConLoss(features, tensor([0, 1, 0, 2], undefined, { dtype: 'int64' }), { temperature: 0.1 });
 */
export const supConLoss = defineLoss({
  name: 'supConLoss',
  stem: 'sup_con_loss',
  nn: 'SupConLoss',
  family: 'ranking',
  reference: "SupContrast SupConLoss (Khosla et al. 2020)",
  args: ['features', 'labels'],
  optional: 1,
  options: {
    temperature: opt.number(0.07, (v) => v > 0 && Number.isFinite(v), 'must be positive and finite', [0, -1, Infinity]),
    baseTemperature: opt.number(0.07, (v) => v > 0 && Number.isFinite(v), 'must be positive and finite', [0, -1, Infinity]),
    contrastMode: opt.custom<'all' | 'one'>('all', "'all' | 'one'", ['two', 1, null], (fn, name, m) => {
      // SupContrast: ValueError('Unknown mode: {}')
      if (m !== 'all' && m !== 'one') throw new RangeError(`${fn}: option '${name}': Unknown mode: ${String(m)} (expected 'all' or 'one')`);
      return m;
    }),
    reduction: opt.reduction(),
  },
  mean: "the anchors (N·V, or N with contrastMode 'one')",
  notes: "features (N, V, …); labels (N) class ids, or left out (SimCLR’s unsupervised loss)",
  run(fn, [features, labels]: readonly [Tensor, (Tensor | null)?], o) {
    const ex = wasm(fn);
    const [f] = floatOperands(fn, [['features', features]]);
    if (f.ndim < 3) {
      // SupContrast: ValueError('`features` needs to be [bsz, n_views, ...],at least 3 dimensions are required')
      throw new Error(`${fn}: argument 'features' needs to be [bsz, n_views, ...], at least 3 dimensions are required (got shape ${shapeStr(f.shape)})`);
    }
    const [n, v] = f.shape;
    const d = f.shape.slice(2).reduce((x, y) => x * y, 1);
    if (v === 0) throw new Error(`${fn}: argument 'features' has no views (shape ${shapeStr(f.shape)})`);
    if (n * v >= MAX_CONTRAST_ROWS) throw new RangeError(`${fn}: argument 'features' has ${n * v} views; at most ${MAX_CONTRAST_ROWS - 1} are supported`);
    let ids: Int32Array | null = null;
    if (labels !== undefined && labels !== null) {
      const t = checkTensor(fn, 'labels', labels);
      ids = classIds(fn, t, n);
    }
    const dtype = f.dtype;
    const bytes = floatBytes(dtype);
    const one = o.contrastMode === 'one' ? 1 : 0;
    const anchors = one ? n : n * v;
    const values = o.reduction === 'none' ? new (floatArray(dtype))(anchors) : null;
    const stats = new Float64Array(3 * anchors);
    const fwd = kernel<Forward>(ex, 'sup_con_loss', 'forward', dtype);
    const t = o.temperature;
    const bt = o.baseTemperature;
    // A reduced loss that will be differentiated: its gradient comes from this call (unscaled).
    const eager = o.reduction !== 'none' && f.requiresGrad;
    let unit: FloatArray | null = null;
    const sizes = [f.numel() * bytes, 4 * n, anchors * bytes, 3 * anchors * 8, 16, eager ? f.numel() * bytes : 0];
    const sum = withBlocks(ex, fn, sizes, ([pf, pl, pout, pst, psum, pgf]) => {
      heapOf(ex, dtype).set(f.data, pf / bytes);
      if (ids) views(ex).i32.set(ids, pl / 4);
      check(ex, fn, fwd(pf, ids ? pl : 0, n, v, d, t, bt, one, values ? pout : 0, pst, psum, eager ? pgf : 0));
      const h = heapOf(ex, dtype);
      if (values) values.set(h.subarray(pout / bytes, pout / bytes + anchors));
      if (eager) unit = h.slice(pgf / bytes, pgf / bytes + f.numel());
      const f64 = views(ex).f64;
      stats.set(f64.subarray(pst / 8, pst / 8 + 3 * anchors));
      return f64[psum / 8];
    });
    const red = { values, shape: [one ? 1 : v, n], sum, denominator: o.reduction === 'mean' ? anchors : 1 };
    return rowLossResult(dtype, red, 'SupConLossBackward', [f], (g, scale) => {
      if (unit) {
        // The first backward takes the forward's gradient; a retained graph's next one recomputes.
        const u: FloatArray = unit;
        unit = null;
        return [handOver(new Tensor(scaleInPlace(u, scale), f.shape.slice(), dtype))];
      }
      const ex2 = wasm(fn);
      const bwd = kernel<Backward>(ex2, 'sup_con_loss', 'backward', dtype);
      const sizes = [f.numel() * bytes, 4 * n, 3 * anchors * 8, anchors * bytes, f.numel() * bytes];
      const gf = withBlocks(ex2, fn, sizes, ([pf, pl, pst, pg, pgf]) => {
        heapOf(ex2, dtype).set(f.data, pf / bytes);
        if (ids) views(ex2).i32.set(ids, pl / 4);
        if (g) heapOf(ex2, dtype).set(g, pg / bytes);
        views(ex2).f64.set(stats, pst / 8);
        check(ex2, fn, bwd(pf, ids ? pl : 0, n, v, d, t, bt, one, pst, g ? pg : 0, scale, pgf));
        return heapOf(ex2, dtype).slice(pgf / bytes, pgf / bytes + f.numel());
      });
      return [handOver(new Tensor(gf, f.shape.slice(), dtype))];
    });
  },
});

/** The options of {@link supConLoss}. */
export type SupConLossOptions = LossOptions<typeof supConLoss>;
