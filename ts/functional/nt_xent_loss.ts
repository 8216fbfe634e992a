import { defineLoss, opt, type LossOptions } from '../table.js';
import { MAX_CONTRAST_ROWS } from '../ranking.js';
import { checkShapeOf, floatOperands, withBlocks } from '../ranking.js';
import { rowLossResult } from '../rowloss.js';
import { Tensor, handOver, type FloatArray } from '../tensor.js';
import { shapeStr } from '../validate.js';
import { check, floatArray, floatBytes, heapOf, kernel, views, wasm } from '../wasm/runtime.js';

type Forward = (z1: number, z2: number, n: number, d: number, t: number, out: number, stats: number, sum: number, g1: number, g2: number, gScale: number) => number;

type Backward = (z1: number, z2: number, n: number, d: number, t: number, stats: number, g: number, gScale: number, g1: number, g2: number) => number;

/**
 * NT-Xent, SimCLR's normalized-temperature cross entropy (Chen et al., 2020), as lightly's
 * `NTXentLoss` without memory bank (lightly-ai/lightly, `lightly/loss/ntx_ent_loss.py`):
 * the `2N` views of `N` pairs `(z1_i, z2_i)` are L2-normalised (`F.normalize`, eps 1e-12) and
 * each view `k` is scored against the other `2N − 1` by cosine / τ; its positive is its pair:
 * `l_k = log Σ_{j≠k} e^{ẑ_k·ẑ_j/τ} − ẑ_k·ẑ_pair/τ`. 'mean' (default) averages the `2N` anchors
 * (the paper's `1/(2N) Σ_k`; google-research/simclr's TF code sums the two views' means);
 * 'none' gives `(2N)`: `z1`'s anchors, then `z2`'s.
 *
 * `z1`, `z2`: `(N, D)`, one shape and float dtype. Gradients to both, through the
 * normalisation.
 *
 * Method: the `2N × 2N` similarity matrix is computed in SIMD tiles by a register-blocked
 * kernel, only on and above the diagonal (it is symmetric), once for the statistics and once
 * for the gradient. For a reduced loss whose inputs require grad, the forward call computes
 * the gradient too, keeping the tiles between the two passes (up to 32 MB, `2N ≤ 4096` in
 * float32; beyond, they are recomputed and memory stays `O(N·D)`); `backward` then hands
 * it over (it comes scaled for a plain `loss.backward()`; another upstream recomputes). Each
 * anchor's log-sum-exp keeps its largest term out of the sum (`shift + log1p(rest)`), so a
 * confident anchor's small loss keeps its digits.
 *
 * @example
 * const z1 = tensor(emb1, [n, d], { requiresGrad: true }), z2 = tensor(emb2, [n, d], { requiresGrad: true });
 * F.ntXentLoss(z1, z2, { temperature: 0.1 }).backward();
 */
export const ntXentLoss = defineLoss({
  name: 'ntXentLoss',
  stem: 'nt_xent_loss',
  nn: 'NTXentLoss',
  family: 'ranking',
  reference: "SimCLR NT-Xent (Chen et al. 2020)",
  args: ['z1', 'z2'],
  options: {
    temperature: opt.number(0.5, (v) => v > 0 && Number.isFinite(v), 'must be positive and finite', [0, -1, Infinity]),
    reduction: opt.reduction(),
  },
  mean: "the 2N anchors",
  notes: "z1, z2 (N, D): two views of N samples; cosine similarities over the temperature",
  run(fn, [z1, z2], o) {
    const ex = wasm(fn);
    const [a, b] = floatOperands(fn, [['z1', z1], ['z2', z2]]);
    if (a.ndim !== 2) throw new Error(`${fn}: argument 'z1' must be 2-D embeddings (N, D), got shape ${shapeStr(a.shape)}`);
    checkShapeOf(fn, ['z1', a], ['z2', b]);
    const [n, d] = a.shape;
    if (2 * n >= MAX_CONTRAST_ROWS) throw new RangeError(`${fn}: argument 'z1' has ${n} rows; at most ${MAX_CONTRAST_ROWS / 2 - 1} pairs are supported`);
    const dtype = a.dtype;
    const bytes = floatBytes(dtype);
    const m = 2 * n;
    const values = o.reduction === 'none' ? new (floatArray(dtype))(m) : null;
    const stats = new Float64Array(3 * m);
    const fwd = kernel<Forward>(ex, 'nt_xent_loss', 'forward', dtype);
    // A reduced loss that will be differentiated: its gradient comes from this call, scaled by
    // the upstream of a plain `loss.backward()` (1/2N for a mean) so that backward hands it over.
    const [e1, e2] = o.reduction === 'none' ? [false, false] : [a.requiresGrad, b.requiresGrad];
    const assumed = o.reduction === 'mean' && m > 0 ? 1 / m : 1;
    let unit: (FloatArray | null)[] | null = [null, null];
    const sizes = [n * d * bytes, n * d * bytes, m * bytes, 3 * m * 8, 16, e1 ? n * d * bytes : 0, e2 ? n * d * bytes : 0];
    const sum = withBlocks(ex, fn, sizes, ([p1, p2, pout, pst, psum, pg1, pg2]) => {
      const heap = heapOf(ex, dtype);
      heap.set(a.data, p1 / bytes);
      heap.set(b.data, p2 / bytes);
      check(ex, fn, fwd(p1, p2, n, d, o.temperature, values ? pout : 0, pst, psum, e1 ? pg1 : 0, e2 ? pg2 : 0, assumed));
      const h = heapOf(ex, dtype);
      if (values) values.set(h.subarray(pout / bytes, pout / bytes + m));
      unit = [e1 ? h.slice(pg1 / bytes, pg1 / bytes + n * d) : null, e2 ? h.slice(pg2 / bytes, pg2 / bytes + n * d) : null];
      const f64 = views(ex).f64;
      stats.set(f64.subarray(pst / 8, pst / 8 + 3 * m));
      return f64[psum / 8];
    });
    const red = { values, shape: [m], sum, denominator: o.reduction === 'mean' ? m : 1 };
    return rowLossResult(dtype, red, 'NtXentLossBackward', [a, b], (g, scale) => {
      if (unit && (e1 || e2) && g === null && scale === assumed) {
        // The first backward takes the forward's gradient; another upstream, or a retained
        // graph's next backward, recomputes.
        const u: (FloatArray | null)[] = unit;
        unit = null;
        return u.map((x, i) => (x ? handOver(new Tensor(x, [a, b][i].shape.slice(), dtype)) : null));
      }
      const ex2 = wasm(fn);
      const bwd = kernel<Backward>(ex2, 'nt_xent_loss', 'backward', dtype);
      const [w1, w2] = [a.requiresGrad, b.requiresGrad];
      const sizes = [n * d * bytes, n * d * bytes, 3 * m * 8, m * bytes, n * d * bytes, n * d * bytes];
      const [g1, g2] = withBlocks(ex2, fn, sizes, ([p1, p2, pst, pg, pg1, pg2]) => {
        const heap = heapOf(ex2, dtype);
        heap.set(a.data, p1 / bytes);
        heap.set(b.data, p2 / bytes);
        if (g) heap.set(g, pg / bytes);
        views(ex2).f64.set(stats, pst / 8);
        check(ex2, fn, bwd(p1, p2, n, d, o.temperature, pst, g ? pg : 0, scale, w1 ? pg1 : 0, w2 ? pg2 : 0));
        const h = heapOf(ex2, dtype);
        return [w1 ? h.slice(pg1 / bytes, pg1 / bytes + n * d) : null, w2 ? h.slice(pg2 / bytes, pg2 / bytes + n * d) : null];
      });
      return [g1 ? handOver(new Tensor(g1, a.shape.slice(), dtype)) : null, g2 ? handOver(new Tensor(g2, b.shape.slice(), dtype)) : null];
    });
  },
});

/** The options of {@link ntXentLoss}. */
export type NtXentLossOptions = LossOptions<typeof ntXentLoss>;
