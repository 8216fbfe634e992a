import { defineLoss, opt, type LossOptions } from '../table.js';
import { checkPair, elementwise } from '../elementwise.js';
import { noGradArgument } from '../localization.js';

/**
 * Varifocal loss (VarifocalNet, Zhang et al. 2021) with mmdetection's `varifocal_loss`
 * semantics: `l = BCEWithLogits(x, t)·w`, `w = t` (or 1 without `iouWeighted`) where `t > 0`,
 * `w = α·|σ(x) − t|^γ` where `t ≤ 0`.
 *
 * `input`: logits of any shape, usually `(N, C)`; `target`: the IoU-aware classification
 * score in [0, 1] (the IoU with the matched box for the true class, 0 elsewhere), same shape
 * and dtype, not requiring grad. Default reduction 'mean' over elements (NaN for none).
 * Gradients to the logits, including through the focal weight (mmdetection does not detach
 * it). The BCE is the stable softplus form; σ(x) and 1 − σ(x) are both computed directly.
 *
 * @example
 * F.varifocalLoss(logits, iouTargets); // α = 0.75, γ = 2, IoU-weighted, mean
 */
export const varifocalLoss = defineLoss({
  name: 'varifocalLoss',
  stem: 'varifocal_loss',
  nn: 'VarifocalLoss',
  family: 'localization',
  reference: "mmdetection varifocal_loss",
  args: ['input', 'target'],
  options: {
    alpha: opt.number(0.75, Number.isFinite, "must be finite", [Infinity]),
    gamma: opt.number(2, (g) => g >= 0 && Number.isFinite(g), "must be finite and >= 0", [-1, Infinity]),
    iouWeighted: opt.bool(true),
    reduction: opt.reduction(),
  },
  notes: "target: the IoU-aware score in [0, 1], the logits shape",
  mean: "the number of elements",
  run(fn, [input, target], o) {
    const [x, t] = checkPair(fn, input, target);
    noGradArgument(fn, 'target', t);
    const params = [o.alpha, o.gamma, o.iouWeighted ? 1 : 0] as const;
    return elementwise({ fn, stem: 'varifocal_loss', params, input: x, target: t, reduction: o.reduction });
},
});

/** The options of {@link varifocalLoss}. */
export type VarifocalLossOptions = LossOptions<typeof varifocalLoss>;
