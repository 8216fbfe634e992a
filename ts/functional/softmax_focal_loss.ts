import { defineLoss, opt, type LossOptions } from '../table.js';
import { indexRowLoss } from '../rowloss.js';

/**
 * The multi-class (softmax) focal loss of Lin et al. (2017), with cross entropy's options.
 * No PyTorch function; torchvision's `sigmoid_focal_loss` is the binary form. The reference
 * is written beside its generator in scripts/gen_fixtures.py.
 *
 * `input`: logits `(C)`, `(N, C)` or `(N, C, d1, …, dk)` (class dimension 1). `target`: class
 * indices (int32 or int64) of shape `()`, `(N)` or `(N, d1, …, dk)`.
 *
 * With `p = softmax(x)` over the class dimension: `l = −w_y·(1 − p_y)^γ·log p_y` per position,
 * 0 where the target is `ignoreIndex` (default −100). 'none' has the target's shape; 'sum' =
 * Σ l; 'mean' (default) = Σ l / Σ w_y over the non-ignored positions, as cross entropy (NaN
 * when all are ignored or the batch is empty). `gamma` = 0 is exactly `crossEntropy`.
 *
 * Numerics: `log p_y` by the max-shifted log-sum-exp (any logit magnitude); `1 − p_y` as
 * `−expm1(log p_y)`, which keeps `(1 − p_y)^γ` accurate for confident predictions where `p_y`
 * rounds to 1; the gradient `dl/dlog p_y = w_y·(1 − p_y)^γ·(γ·p_y·log p_y/(1 − p_y) − 1)` is
 * finite for every γ ≥ 0, including 0 < γ < 1 at `p_y = 1` (its limit, 0).
 *
 * @example
 * const logits = tensor([[2, 0.5, -1], [0.1, 0.2, 3]], undefined, { requiresGrad: true });
 * const loss = F.softmaxFocalLoss(logits, tensor([0, 2], undefined, { dtype: 'int64' }), { gamma: 2 });
 * loss.backward();
 */
export const softmaxFocalLoss = defineLoss({
  name: 'softmaxFocalLoss',
  stem: 'softmax_focal_loss',
  nn: 'SoftmaxFocalLoss',
  family: 'classification',
  reference: 'Lin et al. 2017 (multi-class form; formula in scripts/fixtures/classification.py)',
  args: ['input', 'target'],
  options: {
    gamma: opt.number(2, (g) => g >= 0 && Number.isFinite(g), 'must be finite and >= 0', [-1, Infinity]),
    weight: opt.tensor(),
    ignoreIndex: opt.int32(-100),
    reduction: opt.reduction(),
  },
  notes: '`−w_y·(1 − p_y)^γ·log p_y`; `gamma` (2), `weight`, `ignoreIndex`; γ = 0 is `crossEntropy`',
  mean: 'Σ w_y over the non-ignored targets',
  run(fn, [input, target], o) {
    return indexRowLoss(fn, 'softmax_focal_loss', 'SoftmaxFocalLossBackward', o.gamma, input, target, o);
  },
});

/** The options of {@link softmaxFocalLoss}. */
export type SoftmaxFocalLossOptions = LossOptions<typeof softmaxFocalLoss>;
