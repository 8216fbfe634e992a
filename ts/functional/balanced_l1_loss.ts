import { defineLoss, opt, type LossOptions } from '../table.js';
import { checkPair, elementwise } from '../elementwise.js';

/**
 * Balanced L1 loss (Libra R-CNN, Pang et al. 2019) with mmdetection's `balanced_l1_loss`
 * semantics, elementwise on regression deltas: with `d = |input − target|` and
 * `b = e^{γ/α} − 1`, `l = (α/b)·(b·d + 1)·ln(b·d/β + 1) − α·d` where `d < β`, else
 * `γ·d + γ/b − α·β` (continuous at β when `α·ln(b + 1) = γ`, the defaults' relation).
 *
 * `input`, `target`: one shape (any) and dtype. Default reduction 'mean' (over elements; NaN
 * for none, as PyTorch's mean — mmdetection asserts a non-empty input). Gradients to both,
 * `sign(x − t)·(α·ln(b·d/β + 1) + α(1 − β)/(b·d + β))` below β, `γ·sign(x − t)` above.
 * The logarithm is evaluated as `log1p`, so small deltas keep their digits.
 *
 * @example
 * F.balancedL1Loss(deltas, targets); // α = 0.5, γ = 1.5, β = 1, mean
 */
export const balancedL1Loss = defineLoss({
  name: 'balancedL1Loss',
  stem: 'balanced_l1_loss',
  nn: 'BalancedL1Loss',
  family: 'localization',
  reference: "mmdetection BalancedL1Loss (Libra R-CNN)",
  args: ['input', 'target'],
  options: {
    alpha: opt.number(0.5, (x) => x > 0 && Number.isFinite(x), "must be finite and > 0", [0, -1]),
    gamma: opt.number(1.5, (x) => x > 0 && Number.isFinite(x), "must be finite and > 0", [0, -1]),
    // mmdetection: "assert beta > 0"
    beta: opt.number(1, (x) => x > 0 && Number.isFinite(x), "must be finite and > 0", [0, -1]),
    reduction: opt.reduction(),
  },
  notes: "elementwise on regression deltas",
  mean: "the number of elements",
  run(fn, [input, target], o) {
    const [x, t] = checkPair(fn, input, target);
    return elementwise({ fn, stem: 'balanced_l1_loss', params: [o.alpha, o.gamma, o.beta], input: x, target: t, reduction: o.reduction });
},
});

/** The options of {@link balancedL1Loss}. */
export type BalancedL1LossOptions = LossOptions<typeof balancedL1Loss>;
