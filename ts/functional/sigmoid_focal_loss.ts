import { checkPair, elementwise } from '../elementwise.js';
import { parseReduction, type Reduction } from '../reduction.js';
import type { Tensor } from '../tensor.js';
import { checkOptions, numberOption } from '../validate.js';

export interface SigmoidFocalLossOptions {
  /** Weight of the positive class in [0, 1] (default 0.25); a negative value disables the α weighting. */
  alpha?: number;
  /** Focusing exponent γ ≥ 0 (default 2); γ = 0 is BCE with logits (times α_t). */
  gamma?: number;
  /** 'none' (default, as torchvision) | 'mean' | 'sum'. */
  reduction?: Reduction;
}

/** Validates SigmoidFocalLoss options once (used by `F.sigmoidFocalLoss` and `nn.SigmoidFocalLoss`). */
export function sigmoidFocalLossOptions(options?: SigmoidFocalLossOptions, fn = 'sigmoidFocalLoss'): Required<SigmoidFocalLossOptions> {
  const o = checkOptions(fn, options, ['alpha', 'gamma', 'reduction']);
  return {
    alpha: numberOption(fn, 'alpha', o.alpha, 0.25, Number.isFinite, 'must be finite'),
    gamma: numberOption(fn, 'gamma', o.gamma, 2, (g) => g >= 0 && Number.isFinite(g), 'must be a finite number >= 0'),
    reduction: parseReduction(fn, o.reduction, undefined, 'none'),
  };
}

/**
 * Sigmoid focal loss (Lin et al., 2017), as `torchvision.ops.sigmoid_focal_loss`: with
 * `p = σ(x)`, `ce = BCEWithLogits(x, t)`, `1 − p_t = p·(1 − t) + (1 − p)·t`,
 * `l = α_t·(1 − p_t)^γ·ce`, `α_t = α·t + (1 − α)·(1 − t)` (α_t = 1 when α < 0).
 *
 * `input` logits of any shape, `target` of the same shape and dtype (0/1 or soft labels).
 * Defaults as torchvision: α = 0.25, γ = 2, **reduction 'none'** (the input's shape); 'mean'
 * divides by the number of elements. `nn.SigmoidFocalLoss` is lossfn's class for it
 * (torchvision has only the function).
 *
 * Numerics: `ce` is the stable BCE-with-logits; `1 − p_t` is built from σ(x) and σ(−x), so it
 * keeps its digits for confident predictions, where torchvision's `1 − sigmoid` is exactly 0
 * (|x| ≳ 17 in float32): lossfn then returns the small true loss, torchvision 0. `0^0 = 1`
 * (γ = 0). Gradients to input and target are analytic; at γ = 0 the focusing term has none
 * (as torch's `pow`); for 0 < γ < 1 its derivative is infinite where `1 − p_t = 0`.
 *
 * @example
 * const loss = F.sigmoidFocalLoss(logits, targets, { reduction: 'mean' }); // α = 0.25, γ = 2
 */
export function sigmoidFocalLoss(input: Tensor, target: Tensor, options?: SigmoidFocalLossOptions): Tensor {
  const fn = 'sigmoidFocalLoss';
  const { alpha, gamma, reduction } = sigmoidFocalLossOptions(options);
  const [x, t] = checkPair(fn, input, target);
  return elementwise({ fn, stem: 'sigmoid_focal_loss', params: [alpha, gamma, 0], input: x, target: t, reduction });
}
