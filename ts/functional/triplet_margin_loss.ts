import { defineLoss, opt, type LossOptions } from '../table.js';
import { tripletMargin, tripletRun } from '../ranking.js';

/**
 * The triplet margin loss, as `torch.nn.functional.triplet_margin_loss`
 * (`nn.TripletMarginLoss`): `l = max(0, margin + d(a, p) − d(a, n))` with PyTorch's
 * `pairwise_distance` `d(x, y) = ‖x − y + eps‖_p` (eps added to every component of the
 * difference), and with `swap` `d(a, n)` replaced by `min(d(a, n), d(p, n))`.
 *
 * `anchor`, `positive`, `negative`: one shape, `(N, D)` or `(D)` (any leading dimensions; the
 * distance is over the last), one float dtype. 'none' gives one value per triplet (`(N)`, or
 * `()`); 'mean' divides by the number of triplets.
 *
 * Gradients to all three, where `margin + d(a, p) − d_neg ≥ 0`; `∂‖d‖/∂d = d/‖d‖` (p = 2),
 * `sign(d)` (p = 1), `sign(d)·(|d|/‖d‖)^{p−1}` otherwise, 0 for a zero distance; tied swap
 * distances share the gradient equally (PyTorch's `min` backward).
 *
 * Deviation: `margin ≤ 0` is an error, as PyTorch's module since 2.1 ("expected margin to be
 * greater than 0"; 1.13 accepted it); `p` must be a finite real ≥ 1 (PyTorch also takes
 * `p < 1`, which is not a norm, and `inf`).
 *
 * Numerics: p = 2 and p = 1 are SIMD in the element type with compensated sums; rows whose
 * squares leave the float range are recomputed scaled in f64; any other p runs in f64 as
 * `e^{p·ln(|d|/m)}` scaled by the row's largest |d| (no overflow).
 *
 * @example
 * F.tripletMarginLoss(anchor, positive, negative, { margin: 0.5, swap: true });
 */
export const tripletMarginLoss = defineLoss({
  name: 'tripletMarginLoss',
  stem: 'triplet_margin_loss',
  nn: 'TripletMarginLoss',
  family: 'ranking',
  reference: "torch.nn.functional.triplet_margin_loss",
  args: ['anchor', 'positive', 'negative'],
  options: {
    margin: opt.custom(1, 'a positive finite number', [0, -1, Infinity, 'x'], (fn, _name, v) => tripletMargin(fn, 'TripletMarginLoss', v)),
    p: opt.number(2, (v) => v >= 1 && Number.isFinite(v), 'must be a finite real ≥ 1 (a norm)', [0.5, Infinity]),
    eps: opt.number(1e-6, Number.isFinite, 'must be finite', [Infinity, -Infinity]),
    swap: opt.bool(false),
    reduction: opt.reduction(),
  },
  mean: "the number of triplets",
  notes: "(N, D) or (D); p-norm distance of the difference + eps, as pairwise_distance; swap uses the closer negative",
  run(fn, [anchor, positive, negative], o) {
    return tripletRun(fn, 'triplet_margin_loss', 'TripletMarginLossBackward', [o.margin, o.p, o.eps, o.swap ? 1 : 0], o.reduction,
      anchor, positive, negative);
  },
});

/** The options of {@link tripletMarginLoss}. */
export type TripletMarginLossOptions = LossOptions<typeof tripletMarginLoss>;
