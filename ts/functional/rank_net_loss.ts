import { defineLoss, opt, type LossOptions } from '../table.js';
import { listRun } from '../ranking.js';

/**
 * RankNet's pairwise logistic loss over padded lists, as allRank's `rankNet`
 * (allegro/allRank, `allrank/models/losses/rankNet.py`).
 *
 * `scores`, `relevance`: `(B, L)` lists (one float dtype; integer relevance is accepted); a
 * relevance of −1 marks a padded slot. For every pair of real documents of a list with
 * `y_i > y_j`: `w·softplus(s_j − s_i)` (binary cross entropy with logits of `s_i − s_j`
 * against 1), `w = 1`, `|y_i − y_j|` or `|y_i² − y_j²|`. 'mean' divides by the number of such
 * pairs in the whole batch (allRank's; NaN when there is none, e.g. only padded lists), not by
 * their weights; 'none' gives each list's sum, `(B)`.
 *
 * Gradient to the scores: `∓w·σ(s_j − s_i)` per pair. O(L²) per list, SIMD over the pairs.
 *
 * @example
 * F.rankNetLoss(tensor([[2.0, 0.5, 1.0]]), tensor([[2, 0, 1]]), { weightByDiff: true });
 */
export const rankNetLoss = defineLoss({
  name: 'rankNetLoss',
  stem: 'rank_net_loss',
  nn: 'RankNetLoss',
  family: 'ranking',
  reference: "allRank rankNet (allrank/models/losses/rankNet.py)",
  args: ['scores', 'relevance'],
  options: {
    weightByDiff: opt.bool(false),
    weightByDiffPowed: opt.bool(false),
    reduction: opt.reduction(),
  },
  mean: "the number of pairs with strictly higher relevance (padding −1 excluded)",
  notes: "lists (B, L), relevance −1 pads",
  run(fn, [scores, relevance], o) {
    const weight = o.weightByDiff ? 1 : o.weightByDiffPowed ? 2 : 0;
    return listRun(fn, 'rank_net_loss', 'RankNetLossBackward', weight, o.reduction, scores, relevance, true);
  },
});

/** The options of {@link rankNetLoss}. */
export type RankNetLossOptions = LossOptions<typeof rankNetLoss>;
