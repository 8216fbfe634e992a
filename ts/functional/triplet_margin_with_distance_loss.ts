import { defineLoss, opt, type LossOptions } from '../table.js';
import { tripletMargin, tripletRun } from '../ranking.js';

/** The distances lossfn runs in its kernels (PyTorch takes a callable). */
export type TripletDistance = 'euclidean' | 'cosine';

/**
 * The triplet loss with a chosen distance, as `torch.nn.functional.triplet_margin_with_distance_loss`
 * (`nn.TripletMarginWithDistanceLoss`): `l = max(0, margin + d(a, p) − d(a, n))`, with `swap`
 * `min(d(a, n), d(p, n))`, for `d` = `'euclidean'` (`‖x − y + 1e-6‖₂`, PyTorch's default) or
 * `'cosine'` (`1 − cos(x, y)`, PyTorch 1.13's `cosine_similarity` with eps 1e-8).
 *
 * Shapes, reductions and gradients as {@link tripletMarginLoss}; the margin must be > 0 with
 * PyTorch's message. A JavaScript callable is not accepted (the distance runs in the kernel).
 *
 * @example
 * F.tripletMarginWithDistanceLoss(a, p, n, { distanceFunction: 'cosine', margin: 0.2 });
 */
export const tripletMarginWithDistanceLoss = defineLoss({
  name: 'tripletMarginWithDistanceLoss',
  stem: 'triplet_margin_with_distance_loss',
  nn: 'TripletMarginWithDistanceLoss',
  family: 'ranking',
  reference: "torch.nn.functional.triplet_margin_with_distance_loss",
  args: ['anchor', 'positive', 'negative'],
  options: {
    distanceFunction: opt.custom<TripletDistance>('euclidean', "'euclidean' | 'cosine'", ['manhattan', 1, null], (fn, name, d) => {
      if (d !== 'euclidean' && d !== 'cosine') {
        throw new TypeError(
          `${fn}: option '${name}' must be 'euclidean' or 'cosine' (lossfn runs the distance in its ` +
            `kernels, not a JavaScript callable), got ${typeof d === 'string' ? `'${d}'` : typeof d}`,
        );
      }
      return d;
    }),
    margin: opt.custom(1, 'a positive finite number', [0, -1, Infinity, 'x'], (fn, _name, v) => tripletMargin(fn, 'TripletMarginWithDistanceLoss', v)),
    swap: opt.bool(false),
    reduction: opt.reduction(),
  },
  mean: "the number of triplets",
  notes: "distanceFunction 'euclidean' (pairwise_distance, the default) or 'cosine' (1 − cosine similarity)",
  run(fn, [anchor, positive, negative], o) {
    const which = o.distanceFunction === 'cosine' ? 1 : 0;
    return tripletRun(fn, 'triplet_margin_with_distance_loss', 'TripletMarginWithDistanceLossBackward',
      [which, o.margin, o.swap ? 1 : 0], o.reduction, anchor, positive, negative);
  },
});

/** The options of {@link tripletMarginWithDistanceLoss}. */
export type TripletMarginWithDistanceLossOptions = LossOptions<typeof tripletMarginWithDistanceLoss>;
