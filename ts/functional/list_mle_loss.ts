import { defineLoss, opt, type LossOptions } from '../table.js';
import { listRun } from '../ranking.js';

/**
 * ListMLE, the Plackett–Luce negative log-likelihood of the true order, as allRank's
 * `listMLE` (allegro/allRank, `allrank/models/losses/listMLE.py`): with the real documents of
 * a list in decreasing relevance and `z = s − max s`,
 * `l = Σ_k (log(Σ_{k' ≥ k} e^{z_k'} + eps) − z_k)`.
 *
 * **Ties in relevance are broken by position** (a stable sort: the earlier slot first), where
 * allRank shuffles the list first and so breaks them at random: lossfn's loss is deterministic.
 * Padded slots (relevance −1) contribute nothing; an entirely padded list gives 0.
 *
 * `scores`, `relevance`: `(B, L)`. 'mean' (default) averages the lists; 'none' gives `(B)`.
 * Gradient to the scores, including allRank's path through the (not detached) maximum.
 *
 * @example
 * F.listMleLoss(tensor([[2.0, 0.5, 1.0]]), tensor([[2, 0, 1]]));
 */
export const listMleLoss = defineLoss({
  name: 'listMleLoss',
  stem: 'list_mle_loss',
  nn: 'ListMLELoss',
  family: 'ranking',
  reference: "allRank listMLE (allrank/models/losses/listMLE.py)",
  args: ['scores', 'relevance'],
  options: {
    eps: opt.number(1e-10, (v) => v > 0 && Number.isFinite(v), 'must be positive and finite', [0, -1, Infinity]),
    reduction: opt.reduction(),
  },
  mean: "the number of lists B",
  notes: "lists (B, L), relevance −1 pads; ties in relevance broken by position (stable), where allRank shuffles",
  run(fn, [scores, relevance], o) {
    return listRun(fn, 'list_mle_loss', 'ListMleLossBackward', o.eps, o.reduction, scores, relevance);
  },
});

/** The options of {@link listMleLoss}. */
export type ListMleLossOptions = LossOptions<typeof listMleLoss>;
