import { checkPair, elementwise } from '../elementwise.js';
import { parseReduction, type Reduction } from '../reduction.js';
import type { Tensor } from '../tensor.js';
import { checkOptions, numberOption } from '../validate.js';

export interface BalancedL1LossOptions {
  /** α > 0 (default 0.5): the slope near 0 (`∂l/∂|d| = α·ln(b|d|/β + 1)`). */
  alpha?: number;
  /** γ > 0 (default 1.5): the slope beyond β. */
  gamma?: number;
  /** β > 0 (default 1): where the two pieces meet. */
  beta?: number;
  /** 'none' | 'mean' (default, as mmdetection) | 'sum'. */
  reduction?: Reduction;
}

/** Validates BalancedL1Loss options once (used by `F.balancedL1Loss` and `nn.BalancedL1Loss`). */
export function balancedL1LossOptions(options?: BalancedL1LossOptions, fn = 'balancedL1Loss'): Required<BalancedL1LossOptions> {
  const o = checkOptions(fn, options, ['alpha', 'gamma', 'beta', 'reduction']);
  const positive = (name: string, v: unknown, d: number): number =>
    numberOption(fn, name, v, d, (x) => x > 0 && Number.isFinite(x), 'must be finite and > 0');
  return {
    alpha: positive('alpha', o.alpha, 0.5),
    gamma: positive('gamma', o.gamma, 1.5),
    // mmdetection: "assert beta > 0"
    beta: positive('beta', o.beta, 1),
    reduction: parseReduction(fn, o.reduction),
  };
}

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
export function balancedL1Loss(input: Tensor, target: Tensor, options?: BalancedL1LossOptions): Tensor {
  return balancedL1LossWith('balancedL1Loss', input, target, balancedL1LossOptions(options));
}

/** balancedL1Loss with already-validated options (shared with nn.BalancedL1Loss). */
export function balancedL1LossWith(fn: string, input: Tensor, target: Tensor, o: Required<BalancedL1LossOptions>): Tensor {
  const [x, t] = checkPair(fn, input, target);
  return elementwise({ fn, stem: 'balanced_l1_loss', params: [o.alpha, o.gamma, o.beta], input: x, target: t, reduction: o.reduction });
}
