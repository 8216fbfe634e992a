import { defineLoss, opt, type LossOptions } from '../table.js';
import { indexRowLoss } from '../rowloss.js';

/**
 * The Poly-1 loss of Leng et al. (2022) with class-index targets: cross entropy plus
 * `ε·(1 − p_y)`. No PyTorch function (optax has `poly_loss_cross_entropy`, default ε = 2,
 * there with probability targets); the reference is written beside its generator in
 * scripts/gen_fixtures.py.
 *
 * `input`: logits `(C)`, `(N, C)` or `(N, C, d1, …, dk)` (class dimension 1). `target`: class
 * indices (int32 or int64) of shape `()`, `(N)` or `(N, d1, …, dk)`.
 *
 * `l = w_y·(−log p_y + ε·(1 − p_y))` per position, `p = softmax(x)` over the class dimension,
 * `w` = `weight` (ones by default), 0 where the target is `ignoreIndex` (default −100).
 * 'none' has the target's shape; 'sum' = Σ l; 'mean' (default) = Σ l / Σ w_y over the
 * non-ignored positions, as cross entropy — the batch mean of the paper when there are no
 * weights or ignored targets (NaN when all are ignored or the batch is empty).
 *
 * Numerics: max-shifted log-sum-exp; `1 − p_y = −expm1(log p_y)` (accurate when `p_y` → 1).
 *
 * @example
 * const logits = tensor([[2, 0.5, -1], [0.1, 0.2, 3]], undefined, { requiresGrad: true });
 * const loss = F.polyLoss(logits, tensor([0, 2], undefined, { dtype: 'int64' }), { epsilon: 1 });
 * loss.backward(); // logits.grad = (1 + ε·p_y)·(softmax − one-hot) / 2 per row
 */
export const polyLoss = defineLoss({
  name: 'polyLoss',
  stem: 'poly_loss',
  nn: 'PolyLoss',
  family: 'classification',
  reference: 'Leng et al. 2022, Poly-1 (formula in scripts/fixtures/classification.py)',
  args: ['input', 'target'],
  options: {
    epsilon: opt.number(1, Number.isFinite, 'must be finite', [Infinity]),
    weight: opt.tensor(),
    ignoreIndex: opt.int32(-100),
    reduction: opt.reduction(),
  },
  notes: 'cross entropy + `epsilon`·(1 − p_y) (default 1); `weight`, `ignoreIndex`',
  mean: 'Σ w_y over the non-ignored targets',
  run(fn, [input, target], o) {
    return indexRowLoss(fn, 'poly_loss', 'PolyLossBackward', o.epsilon, input, target, o);
  },
});

/** The options of {@link polyLoss}. */
export type PolyLossOptions = LossOptions<typeof polyLoss>;
