import { elementwise, NO_PARAMS } from '../elementwise.js';
import { parseReduction, type Reduction } from '../reduction.js';
import type { Tensor } from '../tensor.js';
import { checkOptions, numberOption } from '../validate.js';

export interface SmoothL1LossOptions {
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
  /** Where the loss turns from quadratic to linear; default 1, 0 means L1, negative is an error. */
  beta?: number;
}

/** Validates SmoothL1Loss options once (used by `F.smoothL1Loss` and `nn.SmoothL1Loss`). */
export function smoothL1LossOptions(options?: SmoothL1LossOptions, fn = 'smoothL1Loss'): Required<SmoothL1LossOptions> {
  const o = checkOptions(fn, options, ['reduction', 'beta']);
  return {
    reduction: parseReduction(fn, o.reduction),
    // PyTorch: "smooth_l1_loss does not support negative values for beta."
    beta: numberOption(fn, 'beta', o.beta, 1, (b) => b >= 0, 'does not support negative values'),
  };
}

/**
 * Smooth L1 loss, as `torch.nn.functional.smooth_l1_loss`: with `d = input − target`,
 * `l = ½d²/β` where `|d| < β`, else `|d| − ½β`.
 *
 * `beta = 0` is exactly {@link l1Loss} (forward and gradient), as in PyTorch. Gradient:
 * `clamp(d/β, −1, 1)`. Shapes and reductions as {@link mseLoss}.
 *
 * @example
 * F.smoothL1Loss(input, target, { beta: 0.5, reduction: 'sum' });
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options?: SmoothL1LossOptions): Tensor {
  const { reduction, beta } = smoothL1LossOptions(options);
  if (beta === 0) {
    return elementwise({ fn: 'smoothL1Loss', stem: 'l1_loss', params: NO_PARAMS, input, target, reduction });
  }
  return elementwise({ fn: 'smoothL1Loss', stem: 'smooth_l1_loss', params: [beta, 0, 0], input, target, reduction });
}
