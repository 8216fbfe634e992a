import { defineLoss, opt, type LossOptions } from '../table.js';
import { listRun } from '../ranking.js';

/**
 * −ApproxNDCG (Qin, Liu and Li, 2010), as allRank's `approxNDCGLoss` (allegro/allRank,
 * `allrank/models/losses/approxNDCG.py`), untruncated: each document's rank is smoothed to
 * `pos_i = 1 + Σ_{j≠i} max(σ(α·(s_j − s_i)), 1e-10)` over the list's real documents and
 * `l = −Σ_i G_i / log2(1 + pos_i)`, `G_i = (2^{max(y_i, 0)} − 1) / maxDCG`,
 * `maxDCG = max(IDCG, 1e-10)`.
 *
 * `scores`, `relevance`: `(B, L)`; relevance −1 marks padding. 'mean' (default) averages the
 * lists (a list without positive gain — entirely padded, or all relevances ≤ 0 — counts as 0);
 * 'none' gives `(B)`. Gradient to the scores; `σ(1 − σ)` is formed from `e^{−|x|}`, exact for
 * large score gaps. Deviation: `alpha` must be > 0 (allRank takes any number).
 *
 * @example
 * F.approxNdcgLoss(tensor([[2.0, 0.5, 1.0]]), tensor([[2, 0, 1]]), { alpha: 10 });
 */
export const approxNdcgLoss = defineLoss({
  name: 'approxNdcgLoss',
  stem: 'approx_ndcg_loss',
  nn: 'ApproxNDCGLoss',
  family: 'ranking',
  reference: "allRank approxNDCGLoss (allrank/models/losses/approxNDCG.py)",
  args: ['scores', 'relevance'],
  options: {
    alpha: opt.number(1, (v) => v > 0 && Number.isFinite(v), 'must be positive and finite', [0, -1, Infinity]),
    reduction: opt.reduction(),
  },
  mean: "the number of lists B",
  notes: "lists (B, L), relevance −1 pads",
  run(fn, [scores, relevance], o) {
    return listRun(fn, 'approx_ndcg_loss', 'ApproxNdcgLossBackward', o.alpha, o.reduction, scores, relevance);
  },
});

/** The options of {@link approxNdcgLoss}. */
export type ApproxNdcgLossOptions = LossOptions<typeof approxNdcgLoss>;
