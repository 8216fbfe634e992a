import { checkPair, elementwise, NO_PARAMS } from '../elementwise.js';
import { parseReduction, type Reduction } from '../reduction.js';
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../validate.js';

export interface SoftMarginLossOptions {
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
}

/** Validates SoftMarginLoss options once (used by `F.softMarginLoss` and `nn.SoftMarginLoss`). */
export function softMarginLossOptions(options?: SoftMarginLossOptions, fn = 'softMarginLoss'): Required<SoftMarginLossOptions> {
  const o = checkOptions(fn, options, ['reduction']);
  return { reduction: parseReduction(fn, o.reduction) };
}

/**
 * Two-class logistic loss, as `torch.nn.functional.soft_margin_loss` (`nn.SoftMarginLoss`):
 * `l = log(1 + exp(−t·x))` with targets `t ∈ {−1, 1}` (other values are used as they are).
 *
 * `target` has the input's shape and dtype. 'mean' divides by the number of elements; 'none'
 * keeps the input's shape. Gradient to the input `−t·σ(−t·x)`; like PyTorch, the target gets
 * none (an Error if it requires grad).
 *
 * Numerics: evaluated as `softplus(−t·x)`, finite for any margin; PyTorch computes
 * `log(1 + exp(−t·x))` literally, which is inf (value) and NaN (gradient) in float32 once
 * `−t·x > 88.7`. Where PyTorch's value is finite the two agree.
 *
 * @example
 * F.softMarginLoss(scores, tensor([1, -1, 1]), { reduction: 'sum' });
 */
export function softMarginLoss(input: Tensor, target: Tensor, options?: SoftMarginLossOptions): Tensor {
  const fn = 'softMarginLoss';
  const { reduction } = softMarginLossOptions(options);
  const [x, t] = checkPair(fn, input, target);
  if (t.requiresGrad) {
    // PyTorch: "The function 'soft_margin_loss' is not differentiable with respect to argument 'target'."
    throw new Error(`${fn}: the function is not differentiable with respect to argument 'target'; it cannot have requiresGrad true`);
  }
  return elementwise({ fn, stem: 'soft_margin_loss', params: NO_PARAMS, input: x, target: t, reduction });
}
