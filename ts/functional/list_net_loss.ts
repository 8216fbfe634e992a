import { defineLoss, opt, type LossOptions } from '../table.js';
import { listRun } from '../ranking.js';

/**
 * ListNet's top-one loss, as allRank's `listNet` (allegro/allRank,
 * `allrank/models/losses/listNet.py`): the cross entropy between the softmax of the true
 * relevance and that of the scores over each list, `l = −Σ_j softmax(y)_j·log(softmax(s)_j + eps)`,
 * padded slots (relevance −1) left out of both softmaxes.
 *
 * `scores`, `relevance`: `(B, L)`. 'mean' (default) averages the lists; 'none' gives `(B)`. A
 * list whose slots are all padded gives NaN (allRank's formula: a softmax of nothing), which
 * makes the batch mean NaN, and no gradient.
 *
 * Gradient to the scores: `p_k·Σ_j r_j − r_k`, `r_j = t_j·p_j/(p_j + eps)`. Softmaxes are
 * max-shifted SIMD passes. Deviation: `eps` must be > 0 (with 0, allRank's padded slots give
 * `0·log 0 = NaN`).
 *
 * @example
 * F.listNetLoss(tensor([[2.0, 0.5, 1.0, 0]]), tensor([[2, 0, 1, -1]]));
 */
export const listNetLoss = defineLoss({
  name: 'listNetLoss',
  stem: 'list_net_loss',
  nn: 'ListNetLoss',
  family: 'ranking',
  reference: "allRank listNet (allrank/models/losses/listNet.py)",
  args: ['scores', 'relevance'],
  options: {
    eps: opt.number(1e-10, (v) => v > 0 && Number.isFinite(v), 'must be positive and finite', [0, -1, Infinity]),
    reduction: opt.reduction(),
  },
  mean: "the number of lists B",
  notes: "lists (B, L), relevance −1 pads",
  run(fn, [scores, relevance], o) {
    return listRun(fn, 'list_net_loss', 'ListNetLossBackward', o.eps, o.reduction, scores, relevance);
  },
});

/** The options of {@link listNetLoss}. */
export type ListNetLossOptions = LossOptions<typeof listNetLoss>;
