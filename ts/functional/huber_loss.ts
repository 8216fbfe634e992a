import { elementwise } from '../elementwise.js';
import { parseReduction, type Reduction } from '../reduction.js';
import type { Tensor } from '../tensor.js';
import { checkOptions, numberOption } from '../validate.js';

export interface HuberLossOptions {
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
  /** Where the loss turns from quadratic to linear; default 1, must be > 0. */
  delta?: number;
}

/** Validates HuberLoss options once (used by `F.huberLoss` and `nn.HuberLoss`). */
export function huberLossOptions(options?: HuberLossOptions, fn = 'huberLoss'): Required<HuberLossOptions> {
  const o = checkOptions(fn, options, ['reduction', 'delta']);
  return {
    reduction: parseReduction(fn, o.reduction),
    // PyTorch: "huber_loss does not support non-positive values for delta."
    delta: numberOption(fn, 'delta', o.delta, 1, (d) => d > 0, 'does not support non-positive values'),
  };
}

/**
 * Huber loss, as `torch.nn.functional.huber_loss`: with `d = input − target`, `l = ½d²` where
 * `|d| < δ`, else `δ(|d| − ½δ)` (so `huber(δ) = δ·smoothL1(β = δ)`).
 *
 * Gradient `clamp(d, −δ, δ)`. Shapes and reductions as {@link mseLoss}.
 *
 * @example
 * F.huberLoss(input, target, { delta: 2.5 });
 */
export function huberLoss(input: Tensor, target: Tensor, options?: HuberLossOptions): Tensor {
  const { reduction, delta } = huberLossOptions(options);
  return elementwise({ fn: 'huberLoss', stem: 'huber_loss', params: [delta, 0, 0], input, target, reduction });
}
